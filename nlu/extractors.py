"""Entity extraction: lookups (built-in + data), patterns (phone, email, tax code, money, data
regexes) and a CRF tagger trained on the data's annotations, with lexicon features."""

from __future__ import annotations

import copy
import re
from bisect import bisect_left
from dataclasses import dataclass, field
from typing import Any

from nlu.crf import CrfTagger
from nlu.gazetteer import Gazetteer, Match, is_single_marked
from nlu.lexicon import EVENT_KINDS, add_product, builtin_gazetteer, product_table
from nlu.loader import TrainingData
from nlu.money import find_amounts, money_view
from nlu.normalize import Normalized, Token, plain, tokenize
from nlu.patterns import find_patterns
from nlu.pipeline import BUILTIN_TYPES, PipelineConfig
from nlu.taxonomy import SECTOR_BY_ID, find_province, find_sector

RULE_TYPES = BUILTIN_TYPES
# Types whose built-in patterns are exact (digits, "@"): the tagger never overrides them.
PATTERN_TYPES = frozenset({"budget", "phone", "email", "tax_code"})
LOOKUP = "LookupEntityExtractor"
REGEX = "RegexEntityExtractor"
CRF = "CRFEntityExtractor"
_MIN_LEARNT_ASCII_WORD = 5
# The tagger reads this many leading tokens (a pasted 10,000-character text would cost a second);
# the lexicons and patterns read the whole text.
MAX_TAGGED_TOKENS = 400  # shorter single ASCII words from data are too ambiguous to look up


@dataclass
class EntityPipeline:
    """Rules (lexicons, patterns, the data's regexes) and a CRF tagger, merged so that

    - only the types the pipeline emits come out (``emit``: built-ins the data's config or
      annotations ask for, plus the data's own lookup/regex names);
    - for a type the tagger learnt from the data, the tagger decides where it is: a lexicon
      match of that type counts only where the tagger saw it (and gives it its canonical value);
    - no rule claims a span the tagger labels with another of the data's types.
    """

    gazetteer: Gazetteer
    regexes: list[tuple[str, re.Pattern[str]]] = field(default_factory=list)
    synonyms: dict[str, str] = field(default_factory=dict)  # plain variant → value
    crf: CrfTagger | None = None
    emit: frozenset[str] | None = None  # None: everything (no training data)
    # A lexicon match of a type the tagger learnt is dropped when the tagger is this sure that
    # its words are outside any entity ("máy" alone is seldom the mechanics sector).
    veto: float = 0.97
    decides: frozenset[str] | None = None  # the types the tagger decides (None: all it learnt)
    # A soft lexicon match (a strict name typed without diacritics) counts when the tagger's
    # probability that it is outside any entity is below this.
    soft_accept: float = 0.5

    @classmethod
    def build(cls, data: TrainingData | None = None, use_crf: bool = True) -> EntityPipeline:
        g = copy.deepcopy(builtin_gazetteer())
        pipe = cls(g)
        if data is None:
            return pipe
        config = data.config or PipelineConfig()
        # Like Rasa's EntitySynonymMapper: annotations whose value differs from the text count.
        learnt = {plain(a.text): a.value for e in data.examples for a in e.entities
                  if a.value != a.text}
        pipe.synonyms = learnt | {plain(k): v for k, v in data.synonyms.items()}
        annotated = set(data.entity_types())
        own = set(data.lookup_types()) if config.regex_entities else set()
        pipe.emit = frozenset(config.builtin_types(annotated | set(data.lookup_types())) | own)
        _learn_lookups(g, data, pipe.synonyms, set(pipe.emit) | annotated | RULE_TYPES)
        _learn_annotations(g, data)
        for name, patterns in data.regexes.items():
            if name not in pipe.emit:
                continue  # a regex only used as an intent feature in Rasa
            for p in patterns:
                try:
                    pipe.regexes.append((name, re.compile(p, re.IGNORECASE)))
                except re.error:
                    continue
        pipe.veto = config.crf_veto
        pipe.decides = config.tagger_decides
        pipe.soft_accept = config.crf_soft_accept
        if config.crf_stripped:  # bare one-syllable names ("tom", "che") as hints
            g.soft_types = frozenset({"product"})
        if use_crf and config.crf and annotated - PATTERN_TYPES:
            pipe.crf = CrfTagger.train(
                data.examples, c1=config.crf_c1, c2=config.crf_c2,
                iterations=config.crf_iterations, algorithm=config.crf_algorithm, skip=PATTERN_TYPES,
                lexicon=g.tags, stripped_copies=config.crf_stripped)
        return pipe

    def extract(self, norm: Normalized) -> list[dict[str, Any]]:
        try:
            tokens = tokenize(norm)
            matches = self.gazetteer.match(tokens)
            rules = self._rules(norm, tokens, matches)
            if self.emit is not None:
                rules = [r for r in rules if r["entity"] in self.emit]
            decides = self.decides if self.decides is not None else frozenset(
                self.crf.entity_types if self.crf else ())
            vetoable = [r for r in rules if r["entity"] in decides
                        and r["entity"] not in PATTERN_TYPES]
            asked = {i for r in vetoable for i in _token_indices(r, tokens)}
            window = tokens[:MAX_TAGGED_TOKENS]
            in_window = [m for m in matches if m.end <= len(window)]
            soft = self.gazetteer.soft_matches(window, in_window, decides & self._emits()
                                               ) if self.crf else []
            asked.update(i for m in soft for i in range(m.start, m.end))
            crf, outside = self._crf(norm, window, in_window, soft, asked
                                     ) if self.crf else ([], {})
        except Exception:  # never let one odd message break a parse
            return []
        if self.crf:
            ids = {id(r) for r in vetoable}  # identity: a long message has many equal-looking rules
            rules = [r for r in rules if id(r) not in ids
                     or _outside(r, tokens, outside) < self.veto]
            rules += self._soft_rules(window, soft, outside)
        merged = _merge(_dedupe(rules), crf, decides)
        return sorted(merged, key=lambda e: (e["start"], e["end"]))

    def _rules(self, norm: Normalized, tokens: list[Token],
               matches: list[Match]) -> list[dict[str, Any]]:
        text = norm.original
        out: list[dict[str, Any]] = []
        for m in matches:
            s, e = tokens[m.start].start, tokens[m.end - 1].end
            ent = _entity(m.entry.entity, m.entry.value, s, e, m.entry.extractor)
            extra = dict(m.entry.extra)
            if m.entry.entity == "province":
                ent["mentioned"] = text[s:e]
                ent.update(extra)
            out.append(ent)
        view = money_view(norm)
        has_digit = any(ch.isdigit() for ch in norm.plain)
        for f in find_patterns(norm.plain) if has_digit or "@" in norm.plain else []:
            s, e = norm.span(f.start, f.end)
            value = text[s:e].strip() if f.entity == "email" else f.value
            out.append(_entity(f.entity, value, s, e, REGEX))
        for a in find_amounts(view):
            s, e = norm.span(a.start, a.end)
            out.append(_entity("budget", a.value, s, e, REGEX))
        for name, rx in self.regexes:
            for rm in rx.finditer(text):
                if rm.end() > rm.start():
                    out.append(_entity(name, rm.group(0), rm.start(), rm.end(), REGEX))
        return out

    def _emits(self) -> frozenset[str]:
        return self.emit if self.emit is not None else RULE_TYPES

    def _soft_rules(self, tokens: list[Token], soft: list[Match], outside: dict[int, float]
                    ) -> list[dict[str, Any]]:
        """Bare names typed without diacritics ("nuoi ca") that the tagger, though it did not
        label them, thinks more likely than not to be in an entity (``soft_accept``)."""
        out = []
        for m in soft:
            p_out = max(outside.get(i, 1.0) for i in range(m.start, m.end))
            if p_out < self.soft_accept:
                s, e = tokens[m.start].start, tokens[m.end - 1].end
                out.append(_entity(m.entry.entity, m.entry.value, s, e, CRF, 1.0 - p_out))
        return out

    def _crf(self, norm: Normalized, tokens: list[Token], matches: list[Match],
             soft: list[Match], asked: set[int]) -> tuple[list[dict[str, Any]], dict[int, float]]:
        assert self.crf is not None
        out = []
        tagged, outside = self.crf.tag_with_outside(
            tokens, self.gazetteer.tags(tokens, matches, soft), asked)
        for t in tagged:
            surface = norm.original[t.start : t.end]
            ent = _entity(t.entity, surface, t.start, t.end, CRF, t.confidence)
            mapped = self.synonyms.get(plain(surface))
            if mapped is not None:
                ent["value"] = mapped
                ent["processors"] = ["EntitySynonymMapper"]
            out.append(ent)
        return out, outside


def _overlaps(a: dict[str, Any], b: dict[str, Any]) -> bool:
    return bool(a["start"] < b["end"] and b["start"] < a["end"])


def _token_indices(r: dict[str, Any], tokens: list[Token]) -> list[int]:
    """Tokens inside the span; found by bisection so a long message stays linear."""
    out = []
    i = bisect_left(tokens, r["start"], key=lambda t: t.start)
    while i < len(tokens) and tokens[i].start < r["end"]:
        if tokens[i].end <= r["end"]:
            out.append(i)
        i += 1
    return out


def _outside(r: dict[str, Any], tokens: list[Token], outside: dict[int, float]) -> float:
    """How sure the tagger is that no token of the rule's span is in an entity."""
    probs = [outside[i] for i in _token_indices(r, tokens) if i in outside]
    return min(probs) if probs else 0.0


def _merge(rules: list[dict[str, Any]], crf: list[dict[str, Any]],
           decides: frozenset[str]) -> list[dict[str, Any]]:
    """Rules and tagger output: a rule never claims a span the tagger gives another type; where
    both agree on the type, the tagger's span keeps the rule's canonical value."""
    out: list[dict[str, Any]] = []
    used: set[int] = set()
    for r in rules:
        kind = r["entity"]
        if any(_overlaps(r, c) and c["entity"] != kind for c in crf):
            continue
        same = [i for i, c in enumerate(crf) if c["entity"] == kind and _overlaps(r, c)]
        if same and kind in decides and kind not in PATTERN_TYPES:  # the tagger's span
            c = crf[same[0]]
            r = r | {"start": c["start"], "end": c["end"]}
        used.update(same)
        out.append(r)
    for i, c in enumerate(crf):
        if i in used or any(_overlaps(c, o) for o in out):
            continue
        value = _crf_value(c)
        if value is not None:
            out.append(c | {"value": value})
    return out


def _crf_value(c: dict[str, Any]) -> Any:
    """A tagger span of a built-in type needs a canonical value; other types keep their text."""
    kind = c["entity"]
    if kind not in RULE_TYPES or kind == "product":
        return c["value"]
    return _resolve(kind, str(c["value"]), {})


def _entity(entity: str, value: Any, start: int, end: int, extractor: str,
            confidence: float = 1.0) -> dict[str, Any]:
    return {"entity": entity, "start": start, "end": end, "confidence_entity": confidence,
            "value": value, "extractor": extractor}


def _dedupe(ents: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Per entity type keep the longest of overlapping matches (built-ins first on ties)."""
    ents = sorted(ents, key=lambda e: (-(e["end"] - e["start"]), e["start"]))
    kept: list[dict[str, Any]] = []
    for e in ents:
        if any(k["entity"] == e["entity"] and k["start"] < e["end"] and e["start"] < k["end"]
               for k in kept):
            continue
        kept.append(e)
    return kept


def _resolve(entity: str, text: str, synonyms: dict[str, str]) -> Any:
    """The value a looked-up phrase stands for, or None when it cannot be resolved."""
    value = synonyms.get(plain(text), text)
    if entity == "province":
        p = find_province(value) or find_province(text)
        return p.name if p else None
    if entity == "sector":
        s = SECTOR_BY_ID.get(value) or find_sector(value)
        return s.id if s else None
    if entity == "event_kind":
        return value if value in EVENT_KINDS else None
    return value


def _learnable(phrase: str) -> bool:
    words = phrase.split()
    return len(words) > 1 or not phrase.isascii() or len(phrase) >= _MIN_LEARNT_ASCII_WORD


def _learn_lookups(g: Gazetteer, data: TrainingData, synonyms: dict[str, str],
                   wanted: set[str]) -> None:
    products = {c for c, _, _ in product_table()}
    for name, items in data.lookups.items():
        if name not in wanted:
            continue
        for item in items:
            value = _resolve(name, item, synonyms)
            if value is None:
                continue
            if name == "province":
                p = find_province(item) or find_province(str(value))
                if p:
                    g.add("province", item, p.name, extra={"id": p.id})
            elif name == "product":
                add_product(g, item, str(value))
            else:
                g.add(name, item, value, strict=is_single_marked(item))
    # Synonyms pointing at a sector id or a known product extend those lexicons.
    for variant_plain, value in synonyms.items():
        if value in SECTOR_BY_ID and _learnable(variant_plain):
            g.add("sector", variant_plain, value)
        elif value in products and _learnable(variant_plain):
            add_product(g, variant_plain, value)


def _learn_annotations(g: Gazetteer, data: TrainingData) -> None:
    """Phrases annotated with a resolvable value become lookups ("[sấy lạnh](sector:...)")."""
    for ex in data.examples:
        for a in ex.entities:
            if a.entity not in ("product", "sector", "event_kind") or not _learnable(a.text):
                continue
            value = _resolve(a.entity, a.value, {})
            if value is None:
                continue
            if a.entity == "product":
                add_product(g, a.text, str(value))
            else:
                g.add(a.entity, a.text, value, strict=is_single_marked(a.text))
