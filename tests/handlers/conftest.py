"""Fixtures: a bot on a fresh copy of the seeded database per test, and one user talking to it.

Modules that need an empty database or a fixed clock override `bot` with `Bot.open(...,
seeded=False, now=NOW)` and seed what they need.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from bot.app import App
from nlu.api import EmbeddedBackend
from tests.handlers.chat import Bot, Chat


@pytest.fixture
async def bot(tmp_path: Path, nlu: EmbeddedBackend) -> AsyncIterator[Bot]:
    bot = await Bot.open(tmp_path, nlu)
    yield bot
    await bot.close()


@pytest.fixture
def app(bot: Bot) -> App:
    return bot.app


@pytest.fixture
def chat(bot: Bot) -> Chat:
    return bot.chat()
