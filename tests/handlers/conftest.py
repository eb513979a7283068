"""Fixtures: `bot` (the demo catalog on SQLite, real clock) and `chat` (user "u1" talking to it);
`any_bot` runs a test on SQLite and on PostgreSQL; modules needing an empty database, a fixed
clock or rows of their own override `bot` with `open_bot`."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import datetime
from pathlib import Path

import pytest

from nlu.api import EmbeddedBackend
from storage.models import Base
from tests.handlers.chat import Bot, Chat, OpenBot


@pytest.fixture
async def open_bot(tmp_path: Path, nlu: EmbeddedBackend) -> AsyncIterator[OpenBot]:
    """`await open_bot(*rows, seeded=True, now=None, database="sqlite")`: a bot on a fresh
    database of its own holding `rows`; every bot opened is closed after the test."""
    opened: list[Bot] = []

    async def open_(*rows: Base, seeded: bool = True, now: datetime | None = None,
                    database: str = "sqlite") -> Bot:
        bot = await Bot.open(tmp_path / f"bot{len(opened)}", nlu, seeded=seeded, now=now,
                             database=database)
        opened.append(bot)
        if rows:
            await bot.add(*rows)
        return bot

    yield open_
    for bot in opened:
        await bot.close()


@pytest.fixture
async def bot(open_bot: OpenBot) -> Bot:
    return await open_bot()


@pytest.fixture(params=["sqlite", "postgresql"])
async def any_bot(request: pytest.FixtureRequest, open_bot: OpenBot) -> Bot:
    """The demo catalog on SQLite, then on PostgreSQL (skipped when unreachable, unless
    KETNOI_REQUIRE_POSTGRES=1): for the dialogues whose storage differs by backend."""
    return await open_bot(database=request.param)


@pytest.fixture
def chat(bot: Bot) -> Chat:
    return bot.chat()
