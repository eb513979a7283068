"""Who does what: the same words ("cung cấp", "chuyển giao", "đối tác") serve the one who seeks a
technology and the one who offers it; the bot's own model must tell them apart, with or without
diacritics, and in long messages that tell their story before the ask."""

from __future__ import annotations

import pytest

from nlu.api import EmbeddedBackend
from nlu.classifier import stripped_copy
from nlu.features import FeatureConfig, ask_bearing, featurize

SEEKING = [
    "nhà máy em cần tìm đơn vị cung cấp hệ thống sấy lạnh cho hành tím",
    "có bên nào chuyển giao cho bên mình công nghệ làm phân vi sinh từ vỏ cà phê không",
    "cty tôi muốn mua lại quy trình ủ men bia thủ công quy mô nhỏ",
    "Xưởng tôi làm đậu phụ đã 10 năm, nước thải nhiều và chua. Hàng xóm phàn nàn suốt. "
    "Tôi cần công nghệ xử lý nước thải phù hợp với xưởng nhỏ.",
]
OFFERING = [
    "viện tôi có công nghệ sấy thăng hoa, muốn tìm doanh nghiệp nhận chuyển giao",
    "bên em sản xuất được máy tách hạt ngô mini, đang cần đầu ra ở các tỉnh",
    "chúng tôi có nhu cầu chuyển giao quy trình nuôi lươn không bùn cho các hộ",
]


@pytest.mark.parametrize("text", SEEKING)
async def test_seeking_with_the_words_of_a_provider_is_seeking(nlu: EmbeddedBackend,
                                                               text: str) -> None:
    for typed in (text, stripped_copy(text)):
        assert (await nlu.parse(typed))["intent"]["name"] == "find_technology", typed


@pytest.mark.parametrize("text", OFFERING)
async def test_offering_is_offering(nlu: EmbeddedBackend, text: str) -> None:
    for typed in (text, stripped_copy(text)):
        assert (await nlu.parse(typed))["intent"]["name"] == "offer_technology", typed


async def test_tell_me_when_is_a_subscription(nlu: EmbeddedBackend) -> None:
    text = "khi nào có hội chợ công nghệ ở Huế thì nhắn em với nhé"
    for typed in (text, stripped_copy(text)):
        assert (await nlu.parse(typed))["intent"]["name"] == "subscribe", typed


def test_concept_pairs_say_who_does_what() -> None:
    cfg = FeatureConfig()
    assert "#NEED>PROVIDER" in featurize("cần đơn vị cung cấp công nghệ sấy", cfg)
    assert "#SELF>OFFER" in featurize("chúng tôi có công nghệ sấy", cfg)
    assert "#NEED>PROVIDER" in featurize("can don vi cung cap cong nghe say", cfg)
    assert not [k for k in featurize("công nghệ sấy vải", cfg) if k[0] == "#" and ">" in k]


def _pasted_letter(ask: str) -> str:
    """A letter of about 11,000 characters: who the writer is, a long story, then the ask."""
    opening = "Kính gửi Sở Khoa học và Công nghệ. Tôi là giám đốc một hợp tác xã ở Bắc Giang. "
    story = ("Hợp tác xã có 120 thành viên trồng vải thiều trên 300 ha, mỗi năm thu hoạch "
             "khoảng 4.000 tấn quả, bán tươi cho thương lái và xuất sang Trung Quốc. ")
    return opening + story * 70 + ask


async def test_a_pasted_letter_is_read_by_its_ask_at_the_end(nlu: EmbeddedBackend) -> None:
    ask = ("Chúng tôi cần tìm công nghệ sấy vải bằng bơm nhiệt, kinh phí khoảng 2 tỷ, "
           "liên hệ 0912345678.")
    text = _pasted_letter(ask)
    assert len(text) > 10_000
    for typed in (text, stripped_copy(text)):
        result = await nlu.parse(typed)
        assert result["intent"]["name"] == "find_technology", typed[-120:]
        phone = [e for e in result["entities"] if e["entity"] == "phone"]
        assert phone and typed[phone[0]["start"]:phone[0]["end"]] == "0912345678"


async def test_a_pasted_letter_that_offers_is_an_offer(nlu: EmbeddedBackend) -> None:
    ask = ("Nay hợp tác xã đã tự chế tạo được lò sấy vải tiết kiệm củi, muốn chuyển giao "
           "cho các hợp tác xã khác có nhu cầu.")
    result = await nlu.parse(_pasted_letter(ask))
    assert result["intent"]["name"] == "offer_technology"


def test_the_ask_bearing_part_keeps_the_opening_and_the_end_whole_words() -> None:
    text = "mở đầu " + "câu chuyện dài " * 200 + "cần công nghệ sấy"
    part = ask_bearing(text, limit=300, head=100)
    assert part.startswith("mở đầu ") and part.endswith("cần công nghệ sấy")
    assert len(part) <= 300
    assert all(w in {"mở", "đầu", "câu", "chuyện", "dài", "cần", "công", "nghệ", "sấy"}
               for w in part.split())
    assert ask_bearing("tin ngắn", limit=300) == "tin ngắn"
