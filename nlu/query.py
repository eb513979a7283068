"""What a message says about the need, apart from who is asking.

``contact_in(text)`` finds the person's name, phone, email and organisation as typed in a first
message ("em là Nguyễn Văn Nam, cty TNHH Minh Phát, sđt 0912345678"); ``need_terms(text)`` is the
search query: the content words of the need, without those contact details, places, amounts
and function words (so "Nam" never matches "nấm" and "Hà Tây" adds no "tây").
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache

from nlu.gazetteer import Gazetteer
from nlu.lexicon import builtin_gazetteer
from nlu.money import find_amounts, money_view
from nlu.normalize import Token, expand_words, fold, normalize, strip_diacritics, tokenize
from nlu.patterns import find_patterns

# Words and phrases that carry no need: pronouns, particles, connectives, request verbs,
# politeness, kinds of organisation and place. Phrases go as phrases: "nhà máy" is filler, "máy"
# is not; "bao nhiêu" is, "bao" (bì) is not.
_FUNCTION = (
    "tôi|mình|em|anh|chị|chúng tôi|chúng em|bên em|bên mình|cháu|bác|chú|cô|ông|bà|bạn|ad|admin|"
    "trung tâm|mọi người|là|của|và|hoặc|hay|với|cho|để|mà|thì|nên|nhưng|vì|bởi|nếu|khi|lúc|đã|"
    "đang|sẽ|vẫn|còn|rồi|cũng|rất|quá|lắm|hơn|nhất|các|những|một|mấy|vài|nhiều|ít|này|kia|đó|"
    "ấy|đây|đấy|có|không|chưa|được|bị|ở|tại|trong|ngoài|trên|dưới|từ|đến|tới|về|ra|vào|bằng|"
    "theo|qua|cần|muốn|tìm|tìm kiếm|kiếm|nhờ|giúp|hỏi|cho hỏi|xin|biết|làm sao|thế nào|như thế "
    "nào|gì|ai|đâu|bao nhiêu|liệu|có thể|ạ|nhé|nha|ơi|vậy|thế|đi|à|ừ|dạ|vâng|hả|nhỉ|chứ|luôn|"
    "thôi|giùm|chiếc|loại|việc|cách|hiện nay|hiện tại|năm nay|tháng|ngày|tuần|"
    "khoảng|tầm|chừng|xin chào|chào|cảm ơn|tên|số điện thoại|điện thoại|email|liên hệ|địa chỉ|"
    "công ty|doanh nghiệp|hợp tác xã|tnhh|cổ phần|tư nhân|cơ sở|nhà máy|xưởng|tỉnh|thành phố|"
    "huyện|xã|thị xã|quận|phường|trước đây|hiện|giải pháp|công nghệ|thiết bị|chuyên gia|"
    "tư vấn|hỗ trợ|nhu cầu"
)


_FUNCTION_EXTRA = ("kinh phí|ngân sách|vốn|chi phí|giá|tiền|triệu|tỷ|nghìn|sđt|sdt|đt|cty|dn|mn|ko|"
                   "đc|dc|vs|mk|mik|bn|tt|ttin|ntn|bt|ad|tks|thanks|ok|oke|pls|dùng|sử dụng")
# Plain spellings shared with content words ("may": mấy/máy, "vai": vài/vải, "co": có/cơ):
# typed without diacritics they are kept, since the need matters more than a stray filler word.
_AMBIGUOUS = (
    "la cua voi cho de ma nen nhung vi khi da van con cung qua lam mot may vai do day co chua "
    "duoc bi tai trong tu den bang can nho hoi ai dau lieu nhe nha vay vang ha chu luon thang "
    "tam chao tinh xa quan gia tien chi nam it ba hay ong su cai dieu cu ho bo dung")
_AMBIGUOUS_PLAIN = frozenset(_AMBIGUOUS.split())
_NAME_CUES = ("tên là", "tên em", "tên tôi", "tên mình", "em là", "tôi là", "mình là", "cháu là",
              "em tên", "tôi tên", "mình tên", "người liên hệ", "liên hệ anh", "liên hệ chị",
              "anh", "chị", "cô", "chú", "bác", "ông", "bà")  # "anh Nam cần...": a name
_ORG_KINDS = ("công ty", "cty", "c ty", "ct", "htx", "hợp tác xã", "dntn", "doanh nghiệp tư nhân",
              "cơ sở", "xưởng", "trang trại", "viện", "trường")
_ORG_QUALIFIERS = frozenset({"tnhh", "co", "phan", "cp", "mtv", "tm", "dv", "sx", "xnk", "jsc"})


@dataclass(frozen=True)
class Contact:
    name: str | None = None
    phone: str | None = None
    email: str | None = None
    organisation: str | None = None


def _phrases(spec: str | tuple[str, ...]) -> frozenset[tuple[str, ...]]:
    """Phrases as folded words (abbreviations expanded the way messages are)."""
    items = spec.split("|") if isinstance(spec, str) else spec
    return frozenset(tuple(fold(p).split()) for p in items if p.strip())


@lru_cache(maxsize=1)
def _tables() -> dict[str, frozenset[tuple[str, ...]]]:
    return {"function": _phrases(_FUNCTION + "|" + _FUNCTION_EXTRA), "names": _phrases(_NAME_CUES),
            "orgs": _phrases(_ORG_KINDS)}


def _same(tok: Token, word: str) -> bool:
    """A token is the word: as written when it has diacritics, else diacritic-insensitively."""
    if tok.folded != tok.plain:
        return tok.folded == word
    return tok.plain == strip_diacritics(word) and (tok.plain == word
                                                   or tok.plain not in _AMBIGUOUS_PLAIN)


@lru_cache(maxsize=8)
def _by_start(phrases: frozenset[tuple[str, ...]]
              ) -> dict[tuple[int, str], list[tuple[str, ...]]]:
    """The phrases by (length, first word without diacritics): a token can only be a word
    whose plain form is the token's (`_same`), so only those are compared."""
    index: dict[tuple[int, str], list[tuple[str, ...]]] = {}
    for p in phrases:
        index.setdefault((len(p), strip_diacritics(p[0])), []).append(p)
    return index


def _phrase_at(tokens: list[Token], i: int, phrases: frozenset[tuple[str, ...]]) -> int:
    """Length of the longest phrase starting at token i (0 if none)."""
    index = _by_start(phrases)
    first = tokens[i].plain
    for size in range(min(4, len(tokens) - i), 0, -1):
        for p in index.get((size, first), ()):
            if all(_same(t, w) for t, w in zip(tokens[i : i + size], p, strict=True)):
                return size
    return 0


def _joined(text: str, a: Token, b: Token) -> bool:
    """Only spaces between two tokens (a comma or a full stop ends a name)."""
    return not text[a.end : b.start].strip()


def _capitalised_from(text: str, tokens: list[Token], i: int, most: int = 5) -> int:
    """Index after the run of capitalised tokens starting at i."""
    j = i
    while (j < len(tokens) and j - i < most and tokens[j].text[:1].isupper()
           and (j == i or _joined(text, tokens[j - 1], tokens[j]))):
        j += 1
    return j


def _name_span(text: str, tokens: list[Token]) -> tuple[int, int] | None:
    names = _tables()["names"]
    for i in range(len(tokens)):
        size = _phrase_at(tokens, i, names)
        if size and i + size < len(tokens):
            j = _capitalised_from(text, tokens, i + size)
            if j > i + size:
                return tokens[i + size].start, tokens[j - 1].end
    return None


def _org_span(text: str, tokens: list[Token]) -> tuple[int, int] | None:
    orgs = _tables()["orgs"]
    for i in range(len(tokens)):
        size = _phrase_at(tokens, i, orgs)
        if not size:
            continue
        k = i + size
        while k < len(tokens) and tokens[k].plain in _ORG_QUALIFIERS:
            k += 1
        j = _capitalised_from(text, tokens, k, most=6)
        if j > k:
            return tokens[i].start, tokens[j - 1].end
    return None


def contact_in(text: str) -> Contact:
    """The asker's name, phone, email and organisation typed in the message, if any."""
    norm = normalize(text)
    tokens = tokenize(norm)
    phone = email = None
    for f in find_patterns(norm.plain):
        s, e = norm.span(f.start, f.end)
        if f.entity == "phone" and phone is None:
            phone = f.value
        elif f.entity == "email" and email is None:
            email = text[s:e].strip()
    name = _name_span(text, tokens)
    org = _org_span(text, tokens)
    return Contact(
        name=text[name[0]:name[1]] if name else None, phone=phone, email=email,
        organisation=" ".join(text[org[0]:org[1]].split()) if org else None,
    )


@lru_cache(maxsize=1)
def _lexicons() -> tuple[Gazetteer, Gazetteer]:
    """The built-in place names, and the built-in product and sector names."""
    places, topics = Gazetteer(), Gazetteer()
    for key, entries in builtin_gazetteer().index.items():
        for e in entries:
            g = places if e.entity == "province" else topics if e.entity in (
                "product", "sector") else None
            if g is not None:
                g.index.setdefault(key, []).append(e)
                g.max_len = max(g.max_len, len(key))
                g.first[key[0]] = max(g.first.get(key[0], 0), len(key))
    return places, topics


def _personal_spans(text: str, tokens: list[Token]) -> list[tuple[int, int]]:
    """Spans about the person, not the need: contacts, names, organisations, places, amounts.

    Product and sector names stay even inside an organisation's name ("HTX Cà phê Tây Nguyên").
    """
    norm = normalize(text)
    spans = [norm.span(f.start, f.end) for f in find_patterns(norm.plain)]
    spans += [norm.span(a.start, a.end) for a in find_amounts(money_view(norm))]
    places, topics = _lexicons()
    spans += [(tokens[m.start].start, tokens[m.end - 1].end) for m in places.match(tokens)]
    topic_tokens = {i for m in topics.match(tokens) for i in range(m.start, m.end)}
    for found in (_name_span(text, tokens), _org_span(text, tokens)):
        if found:
            spans += [(t.start, t.end) for i, t in enumerate(tokens)
                      if found[0] <= t.start and t.end <= found[1] and i not in topic_tokens]
    return spans


def need_terms(text: str) -> list[str]:
    """The words a catalog search should use for this message (plain, expanded, in order)."""
    tokens = tokenize(text)
    spans = _personal_spans(text, tokens)
    kept = [t for t in tokens if not any(s < t.end and t.start < e for s, e in spans)]
    function = _tables()["function"]
    out: list[str] = []
    i = 0
    while i < len(kept):
        size = _phrase_at(kept, i, function)
        if size:
            i += size
            continue
        out += [w for w in expand_words([kept[i].plain]) if len(w) > 1 and not w[:1].isdigit()]
        i += 1
    return list(dict.fromkeys(out))


def need_query(text: str) -> str:
    return " ".join(need_terms(text))
