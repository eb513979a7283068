"""A noise model of how people type, applied to training examples (never to test data).

Each noisy copy of an example gets one or two of: diacritics dropped on some words (phones
without a Vietnamese keyboard, or typing in a hurry), Telex residue (the keyboard switched off
mid-word: "coong nghee", "sấy" → "saays"), teen code and abbreviations ("không" → "ko",
"được" → "dc", "gì" → "j"), and a typo (a letter dropped, doubled or swapped). The copies are
drawn from a seeded generator, so training stays reproducible.
"""

from __future__ import annotations

import random
import re
import unicodedata
import zlib

from nlu.normalize import strip_diacritics

# Vowel with a hat/horn/breve → its Telex keys; tone mark → its Telex key.
_TELEX_BASE = {"â": "aa", "ê": "ee", "ô": "oo", "ă": "aw", "ơ": "ow", "ư": "uw", "đ": "dd"}
_TELEX_TONE = {"\u0301": "s", "\u0300": "f", "\u0309": "r", "\u0303": "x", "\u0323": "j"}
# Whole words as chat shortens them (the plain form on the left is matched without diacritics).
_SHORT = {
    "khong": ("ko", "k", "hok", "khg"), "duoc": ("dc", "đc", "dk"), "gi": ("j", "gì z"),
    "roi": ("r",), "voi": ("vs",), "biet": ("bit", "bt"), "cong nghe": ("cn", "c.nghệ"),
    "doanh nghiep": ("dn", "DN"), "cong ty": ("cty", "ct"), "hop tac xa": ("htx", "HTX"),
    "san xuat": ("sx",), "kinh doanh": ("kd",), "nguoi": ("ng",), "minh": ("mk", "mik"),
    "vay": ("z", "zậy", "v"), "thoi": ("thui",), "nhieu": ("nhìu",), "yeu cau": ("y/c",),
    "thong tin": ("tt", "ttin"), "nhu the nao": ("ntn",), "bao nhieu": ("bn", "bnhieu"),
    "anh chi": ("a/c", "ac"), "em": ("e",), "anh": ("a",), "chi": ("c",), "nhe": ("nha", "nhé"),
    "a": ("ạ",), "oi": ("ơi",), "toi": ("t", "tui"), "chung toi": ("bọn em", "bên em"),
}
_WORD_RE = re.compile(r"\w+", re.UNICODE)


def telex(word: str) -> str:
    """'sấy' → 'saays': how a word comes out with the Vietnamese keyboard switched off."""
    tone = ""
    out = []
    for ch in unicodedata.normalize("NFD", word):
        if ch in _TELEX_TONE:
            tone = _TELEX_TONE[ch]
            continue
        out.append(ch)
    base = unicodedata.normalize("NFC", "".join(out))
    return "".join(_TELEX_BASE.get(c, _TELEX_BASE.get(c.lower(), c)) for c in base) + tone


def _half_stripped(text: str, rng: random.Random) -> str:
    return _WORD_RE.sub(lambda m: strip_diacritics(m.group(0)) if rng.random() < 0.5
                        else m.group(0), text)


def _telex_residue(text: str, rng: random.Random) -> str:
    words = [m for m in _WORD_RE.finditer(text) if not m.group(0).isascii()]
    if not words:
        return text
    m = rng.choice(words)
    return text[: m.start()] + telex(m.group(0)) + text[m.end() :]


def _teen_code(text: str, rng: random.Random) -> str:
    plain = strip_diacritics(text)
    spots = [(m.start(), m.end(), k) for k in _SHORT
             for m in re.finditer(rf"(?<!\w){k}(?!\w)", plain)]
    if not spots:
        return text
    rng.shuffle(spots)
    taken: list[tuple[int, int, str]] = []
    for s, e, k in spots[: 1 + rng.randrange(3)]:
        if all(e <= ts or s >= te for ts, te, _ in taken):
            taken.append((s, e, k))
    for s, e, k in sorted(taken, reverse=True):
        text = text[:s] + rng.choice(_SHORT[k]) + text[e:]
    return text


def _typo(text: str, rng: random.Random) -> str:
    words = [m for m in _WORD_RE.finditer(text) if len(m.group(0)) > 3]
    if not words:
        return text
    m = rng.choice(words)
    w = m.group(0)
    i = rng.randrange(1, len(w) - 1)
    kind = rng.randrange(3)
    if kind == 0:
        w = w[:i] + w[i + 1 :]
    elif kind == 1:
        w = w[:i] + w[i] + w[i:]
    else:
        w = w[: i - 1] + w[i] + w[i - 1] + w[i + 1 :]
    return text[: m.start()] + w + text[m.end() :]


_OPS = (_half_stripped, _telex_residue, _teen_code, _typo)


def noisy(text: str, rng: random.Random) -> str:
    """One noisy variant of ``text`` (one or two kinds of noise)."""
    text = unicodedata.normalize("NFC", text)
    for op in rng.sample(_OPS, 1 + (rng.random() < 0.4)):
        text = op(text, rng)
    return text


def noisy_copy(text: str, seed: int = 29) -> str:
    """A noisy copy that depends only on the text and the seed (reproducible training, and the
    same copy of an example in every cross-validation fold)."""
    return noisy(text, random.Random(zlib.crc32(text.encode()) ^ seed))
