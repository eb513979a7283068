"""Exactly once at any crash instant: a real bot process SIGKILLed at random points of demand
dialogues, restarted each time, with Telegram redelivering what it did not confirm."""

from __future__ import annotations

import random
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from tests.bot.telegram.kill import DIALOGUE, BotProcess, killable_bot, run_dialogues

KILLS = 20  # the big budget is benchmarks/kill_bench.py (150 kills by default)


@pytest.fixture
async def bot(tmp_path: Path) -> AsyncIterator[tuple[BotProcess, Path]]:
    async with killable_bot(tmp_path) as started:
        yield started


async def test_killed_at_random_points_every_demand_once_every_reply_delivered(
        bot: tuple[BotProcess, Path]) -> None:
    process, db_path = bot
    chats = 6  # 30 updates, 20 of them followed by a kill
    found = await run_dialogues(process, db_path, chats, KILLS, random.Random(9))
    print(found.summary())
    assert found.kills == KILLS and chats * len(DIALOGUE) >= KILLS
    assert found.lost == []  # every step got its reply, at least once
    assert found.demands == {chat: 1 for chat in range(chats)}  # each confirmed demand once
    # A reply repeats only when the kill fell between its delivery and its "sent" record.
    assert found.repeats <= found.in_flight
