"""Diacritic-insensitive phrase matching over tokens, with guards against ordinary words.

Matching happens on the plain view, but a token the user typed *with* diacritics must carry the
phrase's own diacritics ("huệ" is not "Huế", "nhận" is not "nhãn"). Extra guards per phrase:
``strict`` (the diacritics are required: one-syllable words such as "gỗ" are too ambiguous when
plain), ``needs_cue`` (a word that is also an ordinary phrase, e.g. "hòa bình", only counts when
capitalised or after a place cue such as "ở"/"tại"), ``plain_needs_cue`` (the same, only when typed without diacritics: "hue"), ``upper_or_cue`` (abbreviations such as "HN",
"SG": written in capitals or after a cue), ``not_before`` (plain words that veto the match when they
follow: "nhãn hiệu" is not the fruit).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from nlu.normalize import Token, fold, plain

PLACE_CUES = frozenset(
    ["o", "tai", "tu", "ve", "den", "tinh", "tp", "pho", "vung", "khu", "sang", "ra", "vao", "thuoc", "gan", "quanh", "cua", "huyen", "xa"]
)


@dataclass(frozen=True)
class Entry:
    entity: str
    value: Any
    phrase: str
    folded: tuple[str, ...]
    extra: tuple[tuple[str, Any], ...] = ()
    strict: bool = False
    needs_cue: bool = False
    plain_needs_cue: bool = False
    upper_or_cue: bool = False
    not_before: frozenset[str] = frozenset()
    extractor: str = "LookupEntityExtractor"


@dataclass(frozen=True, slots=True)
class Match:
    start: int  # token indices, end exclusive
    end: int
    entry: Entry


def phrase_tokens(phrase: str) -> tuple[tuple[str, ...], tuple[str, ...]]:
    """(plain tokens, folded tokens) of a phrase, split the way messages are tokenised."""
    from nlu.normalize import tokenize  # local: tokenize is cheap but keeps imports one-way

    toks = tokenize(phrase.replace("-", " "))
    return tuple(t.plain for t in toks), tuple(t.folded for t in toks)


@dataclass
class Gazetteer:
    index: dict[tuple[str, ...], list[Entry]] = field(default_factory=dict)
    max_len: int = 1
    # first plain word → longest phrase starting with it: most words start no phrase at all
    first: dict[str, int] = field(default_factory=dict)
    # Types whose strict names also give soft matches (see ``soft_matches``); none by default.
    soft_types: frozenset[str] = frozenset()

    def add(self, entity: str, phrase: str, value: Any, **kw: Any) -> None:
        plain_toks, folded_toks = phrase_tokens(phrase)
        if not plain_toks:
            return
        extra = tuple(sorted(kw.pop("extra", {}).items()))
        entry = Entry(entity, value, phrase, folded_toks, extra, **kw)
        bucket = self.index.setdefault(plain_toks, [])
        # One entry per entity type and key: the first added wins (built-in names before data).
        if any(e.entity == entity for e in bucket):
            return
        bucket.append(entry)
        self.max_len = max(self.max_len, len(plain_toks))
        self.first[plain_toks[0]] = max(self.first.get(plain_toks[0], 0), len(plain_toks))

    def add_all(self, entity: str, phrases: Iterable[str], value: Any, **kw: Any) -> None:
        for p in phrases:
            self.add(entity, p, value, **dict(kw))

    def match(self, tokens: list[Token], soft: bool = False) -> list[Match]:
        """Longest non-overlapping matches, independently per entity type ("nuôi tôm" is a
        sector and "tôm" a product). ``soft``: a ``strict`` phrase also matches words typed
        without any diacritics ("ca" for "cá"): too ambiguous to report, a hint for the tagger."""
        out: list[Match] = []
        free_from: dict[str, int] = {}  # entity type → first token index not yet covered
        n = len(tokens)
        plains = [t.plain for t in tokens]
        for i in range(n):
            longest = self.first.get(plains[i], 0)
            if not longest:
                continue
            done: set[str] = set()
            for length in range(min(longest, n - i), 0, -1):
                bucket = self.index.get(tuple(plains[i : i + length]))
                if not bucket:
                    continue
                for e in bucket:
                    if (e.entity in done or free_from.get(e.entity, 0) > i
                            or not _accept(e, tokens, i, i + length, soft)):
                        continue
                    out.append(Match(i, i + length, e))
                    done.add(e.entity)
                    free_from[e.entity] = i + length
        return out

    def soft_matches(self, tokens: list[Token], hard: list[Match],
                     types: frozenset[str] | None = None) -> list[Match]:
        """Strict one-syllable names of ``soft_types`` (and ``types``) typed without diacritics
        ("tom" for "tôm"), which ``match`` never reports: hints for the tagger, and its call
        (see extractors.EntityPipeline)."""
        types = self.soft_types if types is None else self.soft_types & types
        if not types or all(t.folded != t.plain for t in tokens):
            return []
        seen = {(m.start, m.end, m.entry.entity) for m in hard}
        return [m for m in self.match(tokens, soft=True)
                if m.entry.strict and m.entry.entity in types
                and (m.start, m.end, m.entry.entity) not in seen]

    def tags(self, tokens: list[Token], matches: list[Match] | None = None,
             soft: list[Match] | None = None) -> list[list[str]]:
        """Per token the lexicon matches it is part of ("B-province", "I-product", and "~B-product"
        for a soft match): features for the tagger."""
        out: list[list[str]] = [[] for _ in tokens]
        hard = self.match(tokens) if matches is None else matches
        if soft is None:
            soft = self.soft_matches(tokens, hard)
        for marks, group in (("", hard), ("~", soft)):
            for m in group:
                out[m.start].append(f"{marks}B-{m.entry.entity}")
                for i in range(m.start + 1, m.end):
                    out[i].append(f"{marks}I-{m.entry.entity}")
        return out


def _accept(e: Entry, tokens: list[Token], start: int, end: int, soft: bool = False) -> bool:
    span = tokens[start:end]
    for tok, want in zip(span, e.folded, strict=True):
        has_marks = tok.folded != tok.plain
        if has_marks and tok.folded != want:
            return False
        if e.strict and tok.folded != want and not (soft and not has_marks):
            return False
    nxt = tokens[end].plain if end < len(tokens) else ""
    if nxt and nxt in e.not_before:
        return False
    cue = start > 0 and tokens[start - 1].plain in PLACE_CUES
    if e.upper_or_cue:
        written = "".join(t.text for t in span)
        return cue or (written.isupper() and len(written) > 1)
    if e.needs_cue or (e.plain_needs_cue and all(t.folded == t.plain for t in span)):
        return cue or span[0].text[:1].isupper()
    return True


def is_single_marked(phrase: str) -> bool:
    """One syllable carrying diacritics: too ambiguous to match without them."""
    toks = phrase.split()
    return len(toks) == 1 and fold(phrase) != plain(phrase)
