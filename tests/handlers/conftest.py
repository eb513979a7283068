"""Fixtures: `bot` (the demo catalog, real clock) and `chat` (user "u1" talking to it); modules
needing an empty database, a fixed clock or rows of their own override `bot` with `open_bot`."""

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
    """`await open_bot(*rows, seeded=True, now=None)`: a bot on a fresh database of its own
    holding `rows`; every bot opened is closed after the test."""
    opened: list[Bot] = []

    async def open_(*rows: Base, seeded: bool = True, now: datetime | None = None) -> Bot:
        bot = await Bot.open(tmp_path / f"bot{len(opened)}", nlu, seeded=seeded, now=now)
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


@pytest.fixture
def chat(bot: Bot) -> Chat:
    return bot.chat()
