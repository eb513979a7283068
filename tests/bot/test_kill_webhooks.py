"""Exactly once at any crash instant, through the webhooks: a real `ketnoi serve` process
(Telegram and Zalo Bot) SIGKILLed at random points of demand dialogues, restarted each time,
the platforms POSTing each update again until it is answered 200; on SQLite and PostgreSQL."""

from __future__ import annotations

import random
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from tests.bot.fake_telegram import FakeTelegram
from tests.bot.fake_zalo import FakeZaloBot
from tests.bot.kill_serve import (
    DIALOGUE,
    ServeProcess,
    run_served_dialogues,
    seeded_postgres_database,
)
from tests.bot.telegram.server import BackgroundServer
from tests.handlers.chat import copy_db
from tests.storage.conftest import PG_URL, REQUIRE_PG, _pg_reachable

CHATS, KILLS = 6, 12  # 30 steps, half on each channel; the big budget is benchmarks/kill_bench.py


@pytest.fixture(params=["sqlite", "postgresql"])
async def database_url(request: pytest.FixtureRequest, tmp_path: Path) -> AsyncIterator[str]:
    if request.param == "sqlite":
        yield copy_db(tmp_path / "ketnoi.db")
        return
    if not await _pg_reachable():
        if REQUIRE_PG:
            pytest.fail(f"PostgreSQL is required but unreachable at {PG_URL}")
        pytest.skip(f"PostgreSQL unreachable at {PG_URL}")
    async with seeded_postgres_database(PG_URL) as url:
        yield url


@pytest.fixture
async def served(database_url: str, tmp_path: Path) -> AsyncIterator[ServeProcess]:
    telegram, zalo = FakeTelegram(), FakeZaloBot()
    telegram_server, zalo_server = BackgroundServer(telegram.app), BackgroundServer(zalo.app)
    telegram_url = await telegram_server.start()
    zalo.url = await zalo_server.start()
    process = ServeProcess(database_url, tmp_path / "serve.log", telegram, telegram_url, zalo)
    await process.start()
    yield process
    await process.stop()
    await telegram.close()
    await zalo.close()
    await telegram_server.stop()
    await zalo_server.stop()


async def test_webhooks_killed_at_random_points_every_demand_once_every_reply_delivered(
        served: ServeProcess, database_url: str) -> None:
    found = await run_served_dialogues(served, database_url, CHATS, KILLS, random.Random(11))
    print(found.summary())
    assert found.kills == KILLS and CHATS * len(DIALOGUE) >= KILLS
    assert found.lost == []  # every step got its reply, at least once
    assert found.demands == {chat: 1 for chat in range(CHATS)}  # each confirmed demand once
    # A reply repeats only when the kill fell between its delivery and its "sent" record.
    assert found.repeats <= found.in_flight
