"""Search hits and their short Vietnamese reasons ("khớp: sấy, vải thiều · lĩnh vực ... · tỉnh ...")."""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from functools import lru_cache
from typing import Any

from nlu.normalize import fold, plain
from nlu.taxonomy import PROVINCE_BY_ID, SECTOR_BY_ID
from storage.convert import LOCAL_TZ
from storage.models import Event, Expert, Technology
from storage.search.text import GENERIC_WORDS

MAX_REASON_TERMS = 4
CITIES = frozenset({"ha_noi", "hue", "hai_phong", "da_nang", "ho_chi_minh", "can_tho"})


def province_label(province_id: str | None) -> str:
    """"tỉnh Bắc Ninh", "TP. Hà Nội", "TP. Hồ Chí Minh"."""
    province = PROVINCE_BY_ID.get(province_id or "")
    if province is None:
        return ""
    if province.name.startswith("TP."):
        return province.name
    return f"TP. {province.name}" if province.id in CITIES else f"tỉnh {province.name}"


def province_name(province_id: str | None) -> str | None:
    province = PROVINCE_BY_ID.get(province_id or "")
    return province.name if province else None


def sector_name(sector_id: str | None) -> str | None:
    sector = SECTOR_BY_ID.get(sector_id or "")
    return sector.name if sector else None


def _phrases(query_words: Sequence[str], matched: set[str]) -> list[list[str]]:
    """Runs of query words found in the row; adjacent words join when their pair matched too."""
    phrases: list[list[str]] = []
    prev: str | None = None
    for word in query_words:
        if word not in matched:
            prev = None
            continue
        if prev is not None and f"{prev}_{word}" in matched:
            phrases[-1].append(word)
        else:
            phrases.append([word])
        prev = word
    out = []
    for phrase in phrases:  # generic words at the edges say nothing ("công nghệ sấy" → "sấy")
        while phrase and phrase[0] in GENERIC_WORDS:
            phrase.pop(0)
        while phrase and phrase[-1] in GENERIC_WORDS:
            phrase.pop()
        # A lone two-letter syllable ("so": số/sở/sổ) matches too much by accident to explain.
        if phrase and (len(phrase) > 1 or len(phrase[0]) > 2):
            out.append(phrase)
    return out


_WORD_RE = re.compile(r"\w+")
_plain_word = lru_cache(maxsize=65536)(plain)


@lru_cache(maxsize=2048)
def _words(text: str) -> tuple[tuple[str, ...], tuple[str, ...]]:
    """Folded and plain words of a text, in order.

    `fold` + a per-word cached `plain` rather than `tokenize`: no offsets are needed here and
    this runs for every hit of every query; the same rows come back query after query, so the
    words of their texts are kept too.
    """
    folded = tuple(_WORD_RE.findall(fold(text or "")))
    return folded, tuple(_plain_word(w) for w in folded)


def _find(phrase: Sequence[str], folded: Sequence[str], plains: Sequence[str]) -> str | None:
    """The phrase as written where its words appear together in this text, if they do."""
    n, words = len(phrase), tuple(phrase)
    for i, p in enumerate(plains):
        if p == words[0] and plains[i:i + n] == words:
            return " ".join(folded[i:i + n])
    return None


def _phrase_forms(phrases: list[list[str]], texts: Iterable[str]) -> dict[str, str]:
    """Written forms of the phrases, reading the texts in order (title first) only as far as
    needed; a phrase never found whole is spelled word by word from where each word appears."""
    forms: dict[str, str] = {}
    words: dict[str, str] = {}
    for text in texts:
        folded, plains = _words(text)
        for phrase in phrases:
            key = " ".join(phrase)
            if key not in forms and (found := _find(phrase, folded, plains)) is not None:
                forms[key] = found
        for f, p in zip(folded, plains, strict=True):
            words.setdefault(p, f)
        if len(forms) == len(phrases):
            break
    for phrase in phrases:
        forms.setdefault(" ".join(phrase), " ".join(words.get(w, w) for w in phrase))
    return forms


def display_terms(query_words: Sequence[str], matched: Sequence[str],
                  texts: Iterable[str]) -> list[str]:
    """Matched query phrases written as in the catalog text (with its diacritics)."""
    phrases = _phrases(query_words, set(matched))
    if not phrases:
        return []
    forms = _phrase_forms(phrases, texts)
    out: list[str] = []
    for phrase in phrases:
        label = forms[" ".join(phrase)]
        if label not in out:
            out.append(label)
    out.sort(key=lambda label: -len(label.split()))  # the most specific phrases first
    return out[:MAX_REASON_TERMS]


def reason(query_words: Sequence[str], matched: Sequence[str], texts: Iterable[str],
           sectors: Sequence[str], province: str | None, extra: Sequence[str] = ()) -> str:
    parts = []
    terms = display_terms(query_words, matched, texts)
    if terms:
        parts.append("khớp: " + ", ".join(terms))
    names = [n for n in (sector_name(s) for s in sectors) if n]
    if names:
        parts.append("lĩnh vực " + ", ".join(names[:2]))
    if province_label(province):
        parts.append(province_label(province))
    parts.extend(extra)
    return " · ".join(parts)


@dataclass(slots=True)
class Hit:
    """One search result: the ORM row, its score and why it matched."""

    kind: str  # "technology" | "expert" | "event"
    obj: Any
    score: float
    reason: str
    matched: tuple[str, ...] = field(default=())

    @property
    def id(self) -> int:
        return int(self.obj.id)

    @property
    def code(self) -> str:
        return str(self.obj.code)

    @property
    def title(self) -> str:
        if isinstance(self.obj, Expert):
            return f"{self.obj.title} {self.obj.name}".strip()
        return str(self.obj.title)

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready, with Vietnamese names next to ids."""
        o = self.obj
        data: dict[str, Any] = {"kind": self.kind, "id": self.id, "code": self.code,
                                "title": self.title, "score": round(self.score, 4),
                                "reason": self.reason}
        if isinstance(o, Technology):
            data |= {"summary": o.summary, "sector": o.sector, "sector_name": sector_name(o.sector),
                     "province_id": o.province, "province": province_name(o.province),
                     "provider": o.provider, "stage": o.stage, "transfer_modes": o.transfer_modes,
                     "price_min": o.price_min, "price_max": o.price_max}
        elif isinstance(o, Expert):
            data |= {"organisation": o.organisation, "fields": o.fields,
                     "sectors": o.sectors, "sector_names": [sector_name(s) for s in o.sectors],
                     "province_id": o.province, "province": province_name(o.province),
                     "country": o.country, "foreign": o.foreign}
        elif isinstance(o, Event):
            data |= {"event_kind": o.kind, "starts_at": local_iso(o.starts_at),
                     "ends_at": local_iso(o.ends_at), "venue": o.venue, "online_url": o.online_url,
                     "province_id": o.province, "province": province_name(o.province),
                     "sectors": o.sectors, "sector_names": [sector_name(s) for s in o.sectors],
                     "registration_deadline": local_iso(o.registration_deadline),
                     "capacity": o.capacity}
        return data


def local_iso(value: datetime | None) -> str | None:
    return value.astimezone(LOCAL_TZ).isoformat() if value else None


def accented_words(query: str) -> dict[str, frozenset[str]]:
    """Plain word → the forms the query wrote it in, for words typed with diacritics ("nấm")."""
    folded, plains = _words(query)
    out: dict[str, set[str]] = {}
    for f, p in zip(folded, plains, strict=True):
        if f != p:
            out.setdefault(p, set()).add(f)
    return {p: frozenset(forms) for p, forms in out.items()}


def accent_mismatches(accented: dict[str, frozenset[str]], matched: Sequence[str],
                      texts: Iterable[str], meta: Iterable[str] = ()) -> set[str]:
    """Matched terms whose accented query word the row never writes that way: the query said
    "nấm", the row says "Nam" (or "Quảng Nam"). A row typed without any diacritics still
    matches: its "nam" may well mean "nấm". ``meta`` (sector and province names we add) count
    as written, but not as a sign that the row was typed with diacritics. Generic words
    ("công nghệ" / "làng nghề") weigh too little to judge a row by."""
    wanted = {t for t in matched if any(w in accented and w not in GENERIC_WORDS
                                        for w in t.split("_"))}
    if not wanted:
        return set()
    seen: set[str] = set()
    for text in texts:
        seen.update(_WORD_RE.findall(fold(text or "")))
    if all(w == _plain_word(w) for w in seen):
        return set()
    for text in meta:
        seen.update(_WORD_RE.findall(fold(text or "")))
    plains = {_plain_word(w) for w in seen}
    # Judged only where the row does write the word in some form: a match found otherwise
    # (an abbreviation the index expanded, an index a moment behind an edit) is left alone.
    return {t for t in wanted
            if any(w in accented and w not in GENERIC_WORDS and w in plains
                   and not (accented[w] & seen) for w in t.split("_"))}
