"""Vietnamese text normalisation shared by the NLU, the catalog search and the dialogue.

Views of one message:
- ``nfc``: Unicode NFC with one tone-mark placement (hoà/hòa → hoà, thuỷ/thủy → thuỷ);
- ``folded``: ``nfc`` lowercased;
- ``plain``: ``folded`` without diacritics, đ → d.
``nfc``, ``folded`` and ``plain`` have the same length, and ``offsets[i]`` is the index in the
original text where character i of those views starts, so a match found on ``plain`` maps back to
the text the user typed (which may have been NFD).
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

_RESOURCES = Path(__file__).parent / "resources"

# Old-style placement on the second vowel of open "oa", "oe", "uy" syllables; both styles are
# common, and picking one makes "hòa" and "hoà" the same token.
_TONE_MOVES = {
    f"{unicodedata.normalize('NFC', first + mark)}{second}": (
        f"{first}{unicodedata.normalize('NFC', second + mark)}"
    )
    for first, second in (("o", "a"), ("o", "e"), ("u", "y"), ("O", "A"), ("O", "E"), ("U", "Y"))
    for mark in ("\u0300", "\u0301", "\u0309", "\u0303", "\u0323")
}
_TONE_RE = re.compile("|".join(map(re.escape, _TONE_MOVES)))
_TOKEN_RE = re.compile(r"\w+(?:[.,]\d+)*", re.UNICODE)


def _nfc_with_offsets(text: str) -> tuple[str, list[int]]:
    """NFC-normalise cluster by cluster, remembering where each output char came from."""
    if unicodedata.is_normalized("NFC", text):  # the common case: nothing moves
        return text, list(range(len(text)))
    out: list[str] = []
    offsets: list[int] = []
    i, n = 0, len(text)
    while i < n:
        j = i + 1
        while j < n and unicodedata.combining(text[j]):
            j += 1
        composed = unicodedata.normalize("NFC", text[i:j])
        out.append(composed)
        offsets.extend([i] * len(composed))
        i = j
    return "".join(out), offsets


def fix_tone_placement(text: str) -> str:
    """Move tone marks in open oa/oe/uy syllables to one placement (same length)."""
    return _TONE_RE.sub(lambda m: _TONE_MOVES[m.group(0)], text)


def _strip_char(ch: str) -> str:
    if ch in "đĐ":
        return "d"
    base = unicodedata.normalize("NFD", ch)[0]
    return base if base.isascii() or len(ch) == 1 else ch


@lru_cache(maxsize=4096)
def _strip_char_cached(ch: str) -> str:
    stripped = _strip_char(ch)
    return stripped if len(stripped) == 1 else ch


# Precomputed for Latin letters (str.translate is far faster than a per-character Python loop).
_STRIP_TABLE = {
    i: _strip_char_cached(chr(i))
    for i in range(0x00C0, 0x2000)
    if _strip_char_cached(chr(i)) != chr(i)
}


def strip_diacritics(text: str) -> str:
    """Lowercase text without Vietnamese diacritics (đ → d); length is preserved for NFC input."""
    low = text.lower()
    if len(low) != len(text):
        return "".join(_strip_char_cached(c) for c in low)
    return low.translate(_STRIP_TABLE)


@dataclass(frozen=True, slots=True)
class Normalized:
    original: str
    nfc: str
    folded: str
    plain: str
    offsets: tuple[int, ...]  # offsets[i]: start in `original` of char i of nfc/folded/plain

    def span(self, start: int, end: int) -> tuple[int, int]:
        """Map a [start, end) span of the normalised views to the original text."""
        if start >= len(self.offsets):
            return len(self.original), len(self.original)
        o_start = self.offsets[start]
        o_end = self.offsets[end] if end < len(self.offsets) else len(self.original)
        return o_start, o_end


def normalize(text: str) -> Normalized:
    nfc, offsets = _nfc_with_offsets(text)
    nfc = fix_tone_placement(nfc)
    folded = nfc.lower()
    if len(folded) != len(nfc):  # rare characters whose lowercase is longer (e.g. İ)
        folded = "".join(c.lower()[0] for c in nfc)
    plain = strip_diacritics(folded)
    return Normalized(text, nfc, folded, plain, tuple(offsets))


def fold(text: str) -> str:
    """NFC, one tone placement, lowercase: the 'with diacritics' comparison key."""
    return fix_tone_placement(unicodedata.normalize("NFC", text)).lower()


def plain(text: str) -> str:
    """The diacritic-insensitive comparison key: lowercase, no marks, đ → d."""
    return strip_diacritics(fold(text))


@dataclass(frozen=True, slots=True)
class Token:
    text: str  # as in the original message
    folded: str
    plain: str
    start: int  # offsets into the original message, end exclusive
    end: int


def tokenize(text: str | Normalized) -> list[Token]:
    norm = text if isinstance(text, Normalized) else normalize(text)
    tokens = []
    for m in _TOKEN_RE.finditer(norm.folded):
        s, e = norm.span(m.start(), m.end())
        tokens.append(Token(norm.original[s:e], m.group(0), norm.plain[m.start() : m.end()], s, e))
    return tokens


@lru_cache(maxsize=1)
def abbreviations() -> dict[str, str]:
    """Abbreviation (plain form) → expansion (plain form, may be several words)."""
    table: dict[str, str] = {}
    path = _RESOURCES / "abbreviations.tsv"
    for line in path.read_text(encoding="utf-8").splitlines():
        line = line.strip()
        if not line or line.startswith("#"):
            continue
        short, _, full = line.partition("\t")
        if full.strip():
            table[plain(short.strip())] = plain(full.strip())
    return table


def expand_words(words: list[str]) -> list[str]:
    """Replace abbreviations in a list of plain words by their (plain) expansions."""
    table = abbreviations()
    out: list[str] = []
    for w in words:
        out.extend(table.get(w, w).split())
    return out


def search_words(text: str) -> list[str]:
    """Plain, abbreviation-expanded words: the key used for matching and catalog search."""
    return expand_words([t.plain for t in tokenize(text)])
