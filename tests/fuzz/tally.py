"""How many inputs each fuzz test tried (read by benchmarks/fuzz.py)."""

from __future__ import annotations

from collections import Counter

TRIED: Counter[str] = Counter()


def tried(entry_point: str, count: int = 1) -> None:
    TRIED[entry_point] += count
