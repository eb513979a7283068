"""Search keys of catalog items and queries, built only from `nlu.normalize.search_words`.

A catalog row stores its keys in `search_text` (one line per field, plain words), computed when
the row is written, so rebuilding the index never re-normalises the whole catalog. Terms are the
words plus adjacent-word pairs ("vai_thieu"), which tell "vải thiều" from "vải" and "thiều".
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from functools import lru_cache

from nlu.normalize import search_words
from nlu.taxonomy import PROVINCE_BY_ID, SECTOR_BY_ID, SECTORS, province_names

MAX_QUERY_CHARS = 1000
MAX_QUERY_TERMS = 64

# Field weights: how many times a field's terms count (title and keywords matter most).
TECH_WEIGHTS = (3, 3, 2, 1, 1)  # title, keywords, summary, description, provider
EXPERT_WEIGHTS = (1, 3, 2, 1, 1)  # name + title, fields, sector names, bio, organisation + country
META_WEIGHT = 1  # sector name and province name of the row, added at index time

# Words that say nothing about the topic: ignored in queries ("tôi cần tìm công nghệ ...").
# Only words unambiguous without diacritics: "can" (cân), "cho" (chợ), "la" (lá), "de" (dê),
# "mot" (mọt), "do" (đỏ), "ban" (bán) can all be the topic, so they stay.
FUNCTION_WORDS = frozenset((
    "toi", "em", "minh", "chung", "anh", "chi", "tim", "muon", "xin", "giup", "voi", "cua", "va",
    "hoac", "nao", "gi", "duoc", "khong", "nhe", "cac", "nhung", "nay", "thi", "kiem",
))
# Words that only name what is searched for ("chuyên gia", "sự kiện"): dropped from such queries.
KIND_NOISE = {
    "technology": frozenset(),
    "expert": frozenset({"chuyen", "gia"}),
    "event": frozenset({"su", "kien", "lich"}),
}
# Shown in no reason: too generic to explain a match.
GENERIC_WORDS = FUNCTION_WORDS | {"cong", "nghe", "cong_nghe", "giai", "phap", "giai_phap",
                                  "thiet", "bi", "thiet_bi", "he", "thong", "he_thong", "quy",
                                  "trinh", "quy_trinh", "san_xuat", "dung", "su",
                                  "ung", "ung_dung", "can", "cho", "ve", "la", "o", "tai",
                                  "de", "ma", "ra", "vao", "mot", "the", "hay", "a", "do"}


def field_line(text: str | Sequence[str] | None) -> str:
    """One stored line: the plain, abbreviation-expanded words of a field."""
    if text is None:
        return ""
    if not isinstance(text, str):
        text = " , ".join(str(t) for t in text)
    return " ".join(search_words(text))


def search_text(fields: Sequence[str | Sequence[str] | None]) -> str:
    return "\n".join(field_line(f) for f in fields)


def terms_of_words(words: Sequence[str]) -> list[str]:
    """Words and adjacent pairs of one field."""
    return [*words, *map("_".join, zip(words, words[1:], strict=False))]


def row_fields(stored: str, weights: Sequence[int],
               meta: Sequence[str] = ()) -> list[tuple[list[str], int]]:
    """The weighted fields of a row for the index: stored lines with their weights, plus meta."""
    lines = stored.split("\n")
    fields = [(terms_of_words(line.split()), w) for line, w in zip(lines, weights, strict=False)]
    fields.extend((terms_of_words(line.split()), META_WEIGHT) for line in meta if line)
    return fields


@lru_cache(maxsize=256)
def sector_words(sector_id: str | None) -> str:
    sector = SECTOR_BY_ID.get(sector_id or "")
    return " ".join(search_words(sector.name)) if sector else ""


@lru_cache(maxsize=256)
def province_words(province_id: str | None) -> str:
    province = PROVINCE_BY_ID.get(province_id or "")
    if province is None:
        return ""
    return " ".join(search_words(" ".join((province.name, *province.former))))


def query_words(query: str, noise: frozenset[str] = frozenset()) -> list[str]:
    """Content words of a query, in order (bounded: a 10,000-character paste stays cheap)."""
    return [w for w in search_words((query or "")[:MAX_QUERY_CHARS])
            if w not in FUNCTION_WORDS and w not in noise]


def query_terms(words: Sequence[str]) -> list[str]:
    """Distinct index terms (words and pairs) of the query words."""
    seen: dict[str, None] = {}
    for term in terms_of_words(words):
        seen.setdefault(term, None)
    return list(seen)[:MAX_QUERY_TERMS]


_SPACES = re.compile(r"\s+")


def provinces_in_query(query: str) -> list[str]:
    """Province ids named in the query (old and new names, abbreviations such as HCM)."""
    words = search_words((query or "")[:MAX_QUERY_CHARS])
    names = province_names()
    found: list[str] = []
    for size in (4, 3, 2, 1):
        for i in range(len(words) - size + 1):
            key = _SPACES.sub(" ", " ".join(words[i:i + size]))
            province = names.get(key)
            if province and province.id not in found and (size > 1 or len(key) > 2):
                found.append(province.id)
    return found


# Sector keywords too ambiguous without diacritics to imply a sector ("may": máy/may/mây,
# "van": ván/vấn in "tư vấn", "bo": bò/bộ/bỏ, ...).
_AMBIGUOUS_SECTOR_WORDS = frozenset({"may", "van", "bo", "ga", "go", "su", "men", "ai", "ao"})


@lru_cache(maxsize=1)
def _sector_keywords() -> tuple[tuple[tuple[str, ...], str], ...]:
    out = []
    for sector in SECTORS:
        for keyword in sector.keywords:
            words = tuple(search_words(keyword))
            if words and not (len(words) == 1 and words[0] in _AMBIGUOUS_SECTOR_WORDS):
                out.append((words, sector.id))
    return tuple(out)


def sectors_in_query(words: Sequence[str]) -> list[str]:
    """Sector ids whose keywords appear in the query words ("sấy" → agri_processing)."""
    found: list[str] = []
    joined = f" {' '.join(words)} "
    for keyword, sector_id in _sector_keywords():
        if sector_id not in found and f" {' '.join(keyword)} " in joined:
            found.append(sector_id)
    return found
