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
from nlu.taxonomy import PROVINCE_BY_ID, SECTOR_BY_ID, province_names

MAX_QUERY_CHARS = 1000
MAX_QUERY_TERMS = 64

# Field weights: how many times a field's terms count (title and keywords matter most).
TECH_WEIGHTS = (3, 3, 2, 1, 1)  # title, keywords, summary, description, provider
EXPERT_WEIGHTS = (1, 3, 2, 1, 1)  # name + title, fields, sector names, bio, organisation + country
META_WEIGHT = 1  # sector name and province name of the row, added at index time

# Words that say nothing about the topic: ignored in queries ("tôi cần tìm công nghệ ...") and
# never shown as a reason. Only unambiguous ones: "co" (có/cỏ/cô) stays, it can be a topic.
FUNCTION_WORDS = frozenset(
    ["toi", "em", "minh", "chung", "anh", "chi", "ban", "can", "tim", "muon", "hoi", "xin", "giup", "voi", "cho", "ve", "cua", "la", "va", "hay", "hoac", "nao", "gi", "the", "duoc", "khong", "a", "nhe", "nha", "o", "tai", "de", "cac", "nhung", "mot", "nay", "do", "thi", "ma", "ra", "vao"]
)
# Shown in no reason either: too generic to explain a match.
GENERIC_WORDS = FUNCTION_WORDS | {"cong", "nghe", "cong_nghe", "giai", "phap", "giai_phap",
                                  "thiet", "bi", "thiet_bi", "he", "thong", "he_thong", "quy",
                                  "trinh", "quy_trinh", "san", "xuat", "san_xuat", "dung", "su",
                                  "dung_cho", "cho_san", "ung", "ung_dung"}


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
    return [*words, *(f"{a}_{b}" for a, b in zip(words, words[1:], strict=False))]


def weighted_terms(stored: str, weights: Sequence[int], meta: Sequence[str] = ()) -> list[str]:
    """The index terms of a row: each field's terms repeated by its weight, plus meta lines."""
    lines = stored.split("\n")
    out: list[str] = []
    for line, weight in zip(lines, weights, strict=False):
        terms = terms_of_words(line.split())
        for _ in range(weight):
            out.extend(terms)
    for line in meta:
        out.extend(terms_of_words(line.split()) * META_WEIGHT)
    return out


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


def query_terms(query: str) -> list[str]:
    """Distinct terms of a free-text query (bounded: a 10,000-character paste stays cheap)."""
    words = [w for w in search_words((query or "")[:MAX_QUERY_CHARS]) if w not in FUNCTION_WORDS]
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
