import unicodedata

from nlu.normalize import fold, normalize, plain, search_words, tokenize


def test_nfd_and_nfc_give_the_same_views() -> None:
    nfc = "Công nghệ sấy vải thiều"
    nfd = unicodedata.normalize("NFD", nfc)
    assert nfd != nfc
    assert normalize(nfd).folded == normalize(nfc).folded
    assert normalize(nfd).plain == "cong nghe say vai thieu"


def test_tone_placement_is_unified() -> None:
    assert fold("hoà") == fold("hòa")
    assert fold("thuỷ sản") == fold("thủy sản")
    assert fold("khoẻ") == fold("khỏe")


def test_d_stroke_becomes_d() -> None:
    assert plain("Đà Nẵng đặc sản") == "da nang dac san"


def test_offsets_point_into_the_original_nfd_text() -> None:
    text = unicodedata.normalize("NFD", "ở Bắc Giang")
    norm = normalize(text)
    i = norm.plain.index("bac giang")
    s, e = norm.span(i, i + len("bac giang"))
    assert unicodedata.normalize("NFC", text[s:e]) == "Bắc Giang"


def test_tokens_keep_original_offsets() -> None:
    toks = tokenize("Cty  sấy")
    assert [(t.text, t.start, t.end) for t in toks] == [("Cty", 0, 3), ("sấy", 5, 8)]


def test_abbreviations_are_expanded_for_search() -> None:
    assert search_words("cty cần cn sx") == ["cong", "ty", "can", "cong", "nghe", "san", "xuat"]
