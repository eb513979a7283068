"""Intent features: the same code path feeds training (sparse matrices) and the fast parse path.

Blocks, each TF-IDF weighted, L2-normalised and weighted separately so the many character n-grams do not drown the
few word features:
- ``c``: character n-grams of every abbreviation-expanded plain word (typos, missing diacritics);
- ``w``: word unigrams and bigrams of the expanded plain words;
- ``f``: folded (with diacritics) words that differ from their plain form, which separate words the
  plain view merges (bán/bạn, nhận/nhãn) when the user did type the diacritics.
"""

from __future__ import annotations

import math
import re
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

from nlu.normalize import Normalized, abbreviations, expand_words, fold, normalize, plain

_RESOURCES = Path(__file__).parent / "resources"

_WORD_RE = re.compile(r"\w+", re.UNICODE)
_DIGIT_RE = re.compile(r"\d")
# A very long message (a pasted letter) is classified on its opening and its end, where people
# greet, say who they are and put the ask; the story in between costs time and adds noise.
# Entities are still looked for in the whole text.
MAX_CLASSIFY_CHARS = 1000
CLASSIFY_HEAD_CHARS = 400


@dataclass(frozen=True, slots=True)
class FeatureConfig:
    char_min: int = 2
    char_max: int = 5
    char_weight: float = 1.0
    word_weight: float = 1.6
    folded_weight: float = 0.35
    concept_weight: float = 0.5
    bigrams: bool = True
    trigrams: bool = False
    concept_pairs: bool = True  # "#NEED>PROVIDER": who does what, not only which words


def ask_bearing(text: str, limit: int = MAX_CLASSIFY_CHARS, head: int = CLASSIFY_HEAD_CHARS) -> str:
    """The text itself, or for one longer than ``limit`` its first ``head`` and last
    ``limit - head`` characters, cut at spaces so no word is split."""
    if len(text) <= limit:
        return text
    first = text[:head].rsplit(" ", 1)[0]
    last = text[len(text) - (limit - head):].split(" ", 1)[-1]
    return f"{first} {last}"


def words_of(norm: Normalized, limit: int = MAX_CLASSIFY_CHARS) -> tuple[list[str], list[str]]:
    """(expanded plain words, folded words with diacritics) of the ask-bearing part."""
    words, folded, _ = words_with_marks(norm, limit)
    return words, folded


def words_with_marks(norm: Normalized, limit: int = MAX_CLASSIFY_CHARS
                     ) -> tuple[list[str], list[str], list[str | None]]:
    """``words_of``, and per expanded plain word the word as typed with its diacritics (None
    when typed without any, or when it comes from an abbreviation's expansion)."""
    plain_text = ask_bearing(norm.plain, limit)
    folded_text = ask_bearing(norm.folded, limit)  # same length and spaces as plain_text
    table = abbreviations()
    words: list[str] = []
    marks: list[str | None] = []
    folded_words: list[str] = []
    for m in _WORD_RE.finditer(plain_text):
        w = _DIGIT_RE.sub("0", m.group(0))
        typed = folded_text[m.start() : m.end()]
        if not typed.isascii() and not _DIGIT_RE.search(typed):
            folded_words.append(typed)
        full = table.get(w)
        if full is None:
            words.append(w)
            marks.append(typed if typed != m.group(0) else None)
        else:
            pieces = full.split()
            words.extend(pieces)
            marks.extend([None] * len(pieces))
    return words, folded_words, marks


@lru_cache(maxsize=65536)
def char_ngrams(word: str, lo: int, hi: int) -> tuple[str, ...]:
    """Character n-grams of one word padded with spaces (cached: words repeat a lot)."""
    padded = f" {word} "
    size = len(padded)
    return tuple("c" + padded[i : i + n] for n in range(lo, hi + 1) for i in range(size - n + 1))


def _sublinear(counts: Counter[str], weight: float) -> dict[str, float]:
    if weight <= 0:
        return {}
    return {k: 1.0 + math.log(v) for k, v in counts.items()}


BLOCKS = ("c", "w", "f", "#")  # char n-grams, words (+ bigrams), folded words, concepts


def block_weights(cfg: FeatureConfig) -> dict[str, float]:
    """Feature-name prefix → weight of that block after its own L2 normalisation."""
    return {"c": cfg.char_weight, "w": cfg.word_weight, "b": cfg.word_weight,
            "f": cfg.folded_weight, "#": cfg.concept_weight}


def weigh(
    raw: dict[str, float], vocab: dict[str, int], idf: list[float], blocks: dict[str, float]
) -> tuple[list[int], list[float]]:
    """TF-IDF of the known features, L2-normalised per block: (indices, values)."""
    idx: list[int] = []
    vals: list[float] = []
    norms: dict[str, float] = {}
    kinds: list[str] = []
    for k, v in raw.items():
        j = vocab.get(k)
        if j is None:
            continue
        x = v * idf[j]
        kind = "w" if k[0] == "b" else k[0]
        norms[kind] = norms.get(kind, 0.0) + x * x
        idx.append(j)
        vals.append(x)
        kinds.append(kind)
    scale = {k: blocks.get(k, 1.0) / math.sqrt(n) for k, n in norms.items() if n > 0}
    return idx, [x * scale[k] for x, k in zip(vals, kinds, strict=True)]


def featurize(text: str | Normalized, cfg: FeatureConfig) -> dict[str, float]:
    """Raw sublinear term frequencies by feature name (weighting happens in ``weigh``)."""
    norm = text if isinstance(text, Normalized) else normalize(text)
    words, folded, marks = words_with_marks(norm)
    chars: Counter[str] = Counter()
    for w in words:
        chars.update(char_ngrams(w, cfg.char_min, cfg.char_max))
    wordc: Counter[str] = Counter("w" + w for w in words)
    if cfg.bigrams:
        seq = ["<s>", *words, "</s>"]
        wordc.update(f"b{a} {b}" for a, b in zip(seq, seq[1:], strict=False))
    if cfg.trigrams:
        seq = ["<s>", *words, "</s>"]
        wordc.update(f"b{a} {b} {c}" for a, b, c in zip(seq, seq[1:], seq[2:], strict=False))
    foldc: Counter[str] = Counter("f" + w for w in folded)
    feats = _sublinear(chars, cfg.char_weight)
    feats.update(_sublinear(wordc, cfg.word_weight))
    feats.update(_sublinear(foldc, cfg.folded_weight))
    if cfg.concept_weight > 0:
        found = concept_spans(words, marks)
        names = [c for _, _, c in found]
        if cfg.concept_pairs:
            names += [f"{a}>{b[1:]}" for (_, ea, a), (sb, _, b) in zip(found, found[1:], strict=False)
                      if sb - ea <= PAIR_GAP]
        feats.update(_sublinear(Counter(names), cfg.concept_weight))
    return feats


@lru_cache(maxsize=1)
def concept_table() -> tuple[dict[tuple[str, ...], tuple[str, frozenset[tuple[str, ...]]]], int]:
    """Phrase (expanded plain words) → (concept, the phrase's words as written with their
    diacritics, one tuple per spelling), from resources/concepts.tsv."""
    table: dict[tuple[str, ...], tuple[str, frozenset[tuple[str, ...]]]] = {}
    for line in (_RESOURCES / "concepts.tsv").read_text(encoding="utf-8").splitlines():
        if not line.strip() or line.startswith("#") or "\t" not in line:
            continue
        concept, _, phrases = line.partition("\t")
        for phrase in phrases.split("|"):
            words = plain(phrase).split()
            key = tuple(expand_words(words))
            if not key:
                continue
            name = "#" + concept.strip()
            # Spelling known word for word only when no abbreviation was expanded.
            spelt = tuple(fold(phrase).split()) if len(key) == len(words) else ("",) * len(key)
            old = table.get(key)
            if old is None:
                table[key] = (name, frozenset({spelt}))
            elif old[0] == name:
                table[key] = (name, old[1] | {spelt})
    return table, max((len(k) for k in table), default=1)


PAIR_GAP = 3  # words between two concepts that still read as one clause ("cần đơn vị cung cấp")


def _spelt_as(typed: Sequence[str | None], spellings: frozenset[tuple[str, ...]]) -> bool:
    """A word typed with diacritics must carry the phrase's own ("dùng" is not "dừng"), the way
    the lexicons match (nlu/gazetteer.py); words typed without any match every spelling."""
    if all(t is None for t in typed):
        return True
    return any(all(t is None or not w or t == w for t, w in zip(typed, sp, strict=True))
               for sp in spellings)


def concept_spans(words: list[str], marks: Sequence[str | None] | None = None
                  ) -> list[tuple[int, int, str]]:
    """(start, end, concept) of the longest phrases found in the words (non-overlapping);
    ``marks``: the words as typed with diacritics (see ``words_with_marks``)."""
    table, longest = concept_table()
    out: list[tuple[int, int, str]] = []
    i, n = 0, len(words)
    while i < n:
        for size in range(min(longest, n - i), 0, -1):
            hit = table.get(tuple(words[i : i + size]))
            if hit and (marks is None or _spelt_as(marks[i : i + size], hit[1])):
                out.append((i, i + size, hit[0]))
                i += size
                break
        else:
            i += 1
    return out


def concepts(words: list[str], marks: Sequence[str | None] | None = None) -> list[str]:
    """Concept features of the longest phrases found in the words (non-overlapping)."""
    return [c for _, _, c in concept_spans(words, marks)]


def known_word_ratio(norm: Normalized, vocab: dict[str, int]) -> tuple[int, float]:
    """(number of words, share of them seen in training): low coverage means out-of-domain text."""
    words, _ = words_of(norm)
    if not words:
        return 0, 0.0
    known = sum(1 for w in words if ("w" + w) in vocab)
    return len(words), known / len(words)
