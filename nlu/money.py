"""Amounts of money in Vietnamese chat ("500tr", "1,5 tỷ", "2 tỷ rưỡi", "300k") → int VND.

Works on the plain view (lowercase, no diacritics), so "tỷ"/"ty"/"tỉ" and "triệu"/"trieu" are one.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

UNITS: dict[str, int] = {
    "ty": 10**9, "ti": 10**9, "trieu": 10**6, "tr": 10**6, "cu": 10**6,
    "nghin": 10**3, "ngan": 10**3, "k": 10**3,
}
_NUMBER_WORDS = {
    "mot": 1, "hai": 2, "ba": 3, "bon": 4, "tu": 4, "nam": 5, "lam": 5, "sau": 6, "bay": 7,
    "tam": 8, "chin": 9, "muoi": 10, "nua": 0.5,
}
_NUM = r"\d+(?:[.,]\d+)*"
_WORDNUM = r"(?:(?:mot|hai|ba|bon|nam|sau|bay|tam|chin|muoi)\s+tram|mot|hai|ba|bon|nam|sau|bay|tam|chin|muoi|nua)"
_UNIT = r"(?:ty|ti|trieu|tr|cu|nghin|ngan|k)"
_PART = rf"(?:(?P<num>{_NUM})|(?P<word>{_WORDNUM}))\s*(?P<unit>{_UNIT})(?![a-z0-9])"
_PART_RE = re.compile(_PART)
_AMOUNT_RE = re.compile(
    rf"(?<![\w.,]){_PART}"
    rf"(?:\s+(?:{_NUM}|{_WORDNUM})\s*{_UNIT}(?![a-z0-9]))*"  # "1 tỷ 200 triệu"
    rf"(?:\s+(?P<tail>ruoi|\d{{1,3}})(?![\w.,]))?"  # "1 tỷ rưỡi", "2 tỷ 5"
    rf"(?:\s*(?:dong|vnd|d)(?![a-z0-9]))?"
)
_CURRENCY_ONLY_RE = re.compile(rf"(?<![\w.,])(?P<num>{_NUM})\s*(?:dong|vnd|d)(?![a-z0-9])")


@dataclass(frozen=True, slots=True)
class Amount:
    start: int  # offsets into the plain view
    end: int
    value: int


def parse_number(num: str) -> float:
    """'1,5' → 1.5; '1.500' → 1500 (three digits after the separator mean thousands)."""
    groups = re.split(r"[.,]", num)
    if len(groups) == 1:
        return float(num)
    if all(len(g) == 3 for g in groups[1:]):
        return float("".join(groups))
    return float("".join(groups[:-1]) + "." + groups[-1])


def _word_number(word: str) -> float:
    parts = word.split()
    if len(parts) == 2:  # "năm trăm"
        return _NUMBER_WORDS[parts[0]] * 100
    return _NUMBER_WORDS[word]


def _amount(m: re.Match[str]) -> int:
    total = 0.0
    last_unit = 0
    for part in _PART_RE.finditer(m.group(0)):
        unit = UNITS[part.group("unit")]
        n = parse_number(part.group("num")) if part.group("num") else _word_number(part.group("word"))
        total += n * unit
        last_unit = unit
    tail = m.group("tail")
    if tail == "ruoi":
        total += last_unit / 2
    elif tail:
        total += int(tail) * last_unit / 10 ** len(tail)
    return int(round(total))


# The forms of money words as written with diacritics. In a message typed with diacritics a word
# counts only in one of these forms ("bảy" is seven, "bay" is to fly; "năm" five, "Nam" a name);
# units right after digits are unambiguous in any spelling ("500 ty", "2tr").
_WRITTEN: dict[str, frozenset[str]] = {
    "mot": frozenset({"một", "mốt"}), "hai": frozenset({"hai"}), "ba": frozenset({"ba"}),
    "bon": frozenset({"bốn"}), "tu": frozenset({"tư"}), "nam": frozenset({"năm"}),
    "lam": frozenset({"lăm"}), "sau": frozenset({"sáu"}), "bay": frozenset({"bảy", "bẩy"}),
    "tam": frozenset({"tám"}), "chin": frozenset({"chín"}), "muoi": frozenset({"mười", "mươi"}),
    "nua": frozenset({"nửa"}), "tram": frozenset({"trăm"}), "ruoi": frozenset({"rưỡi"}),
    "ty": frozenset({"tỷ", "tỉ"}), "ti": frozenset({"tỷ", "tỉ"}), "trieu": frozenset({"triệu"}),
    "nghin": frozenset({"nghìn"}), "ngan": frozenset({"ngàn"}), "cu": frozenset({"củ"}),
    "dong": frozenset({"đồng"}), "d": frozenset({"đ"}),
}
_ANY_AFTER_DIGITS = frozenset({"ty", "ti", "trieu", "tr", "nghin", "ngan", "k", "cu", "dong",
                               "vnd", "d"})
_VIEW_WORD_RE = re.compile(r"\w+")


def money_view(norm: Any) -> str:
    """The text amounts are looked for in: the plain view when the message has no diacritics;
    otherwise the plain view with money words not written as such masked (same length)."""
    if norm.folded == norm.plain:
        return str(norm.plain)
    chars = list(norm.plain)
    prev_digit = False
    for m in _VIEW_WORD_RE.finditer(norm.folded):
        word = m.group(0)
        key = norm.plain[m.start() : m.end()]
        forms = _WRITTEN.get(key)
        if not (forms is None or word in forms or (prev_digit and key in _ANY_AFTER_DIGITS)):
            chars[m.start() : m.end()] = "#" * (m.end() - m.start())
        prev_digit = word[-1:].isdigit()
    return "".join(chars)


def find_amounts(plain_text: str) -> list[Amount]:
    out = [Amount(m.start(), m.end(), _amount(m)) for m in _AMOUNT_RE.finditer(plain_text)]
    taken = [(a.start, a.end) for a in out]
    for m in _CURRENCY_ONLY_RE.finditer(plain_text):
        if any(s < m.end() and m.start() < e for s, e in taken):
            continue
        out.append(Amount(m.start(), m.end(), int(parse_number(m.group("num")))))
    return sorted(out, key=lambda a: a.start)


def parse_money(text: str) -> int | None:
    """The first amount in ``text`` (any diacritics), or None."""
    from nlu.normalize import plain

    found = find_amounts(plain(text))
    return found[0].value if found else None
