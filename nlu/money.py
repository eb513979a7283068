"""Amounts of money in Vietnamese chat ("500tr", "1,5 tỷ", "2 tỷ rưỡi", "300k") → int VND.

Works on the plain view (lowercase, no diacritics), so "tỷ"/"ty"/"tỉ" and "triệu"/"trieu" are one.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

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
