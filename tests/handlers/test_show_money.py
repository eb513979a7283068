"""One money format for replies and the CLI: "500 triệu đồng", "1,5 tỷ đồng"."""

from __future__ import annotations

import pytest

from bot.cli_storage import money
from handlers.parsers import show_money


@pytest.mark.parametrize(("amount", "shown"), [
    (950_000, "950.000 đồng"),
    (350_000_000, "350 triệu đồng"),
    (12_345_678, "12,35 triệu đồng"),
    (1_200_000_000, "1,2 tỷ đồng"),
    (1_234_567_890, "1,23 tỷ đồng"),
])
def test_amounts_read_like_a_person_would_say_them(amount: int, shown: str) -> None:
    assert show_money(amount) == shown
    assert money(amount) == shown  # the CLI shows prices the way the chat does


def test_the_cli_marks_an_unknown_price() -> None:
    assert money(None) == "?"
