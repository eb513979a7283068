"""Fixtures: a migrated SQLite database (or both engines via tests.storage) and the fake Bot API."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from storage.db import Database
from tests.bot.fake_telegram import FakeTelegram
from tests.bot.outbox.support import Senders
from tests.bot.telegram.server import serving
from tests.storage.conftest import create_schema, db, empty_db  # noqa: F401  (both engines)


@pytest.fixture
async def sqlite(tmp_path: Path) -> AsyncIterator[Database]:
    database = Database(f"sqlite+aiosqlite:///{tmp_path / 'outbox.db'}")
    await create_schema(database)
    yield database
    await database.dispose()


@pytest.fixture
async def fake() -> AsyncIterator[tuple[FakeTelegram, str]]:
    async with serving(api := FakeTelegram()) as url:
        yield api, url


@pytest.fixture
async def senders(sqlite: Database, fake: tuple[FakeTelegram, str]) -> AsyncIterator[Senders]:
    """Real `ketnoi worker` processes on the `sqlite` database and the `fake` Bot API."""
    group = Senders(sqlite.url.render_as_string(hide_password=False), fake[1])
    yield group
    await group.close()
