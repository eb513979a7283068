"""SQLite shared by several processes: a write waits for another process's writer (in SQLite's
busy handler, then in asyncio with jitter) instead of failing with "database is locked"."""

from __future__ import annotations

import asyncio
import logging
import sqlite3
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

import storage.db as db_module
from storage import busy
from storage.db import Database
from storage.repos import subscriptions, users
from storage.state.sqlite import SqliteStateStore

from .conftest import create_schema


@pytest.fixture
async def shared(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> AsyncIterator[Database]:
    """A SQLite file whose busy handler gives up quickly, so the asyncio retries show."""
    monkeypatch.setattr(db_module, "SQLITE_BUSY_TIMEOUT_MS", 20)
    db = Database(f"sqlite+aiosqlite:///{tmp_path / 'shared.db'}")
    await create_schema(db)
    yield db
    await db.dispose()


def other_process(db: Database) -> sqlite3.Connection:
    """Another process's connection, holding the write lock until it commits."""
    assert db.url.database is not None
    conn = sqlite3.connect(db.url.database, isolation_level=None)
    conn.execute("BEGIN IMMEDIATE")
    return conn


async def waiting(caplog: pytest.LogCaptureFixture, task: asyncio.Task[object]) -> None:
    """Until the write has reported that it waits (bounded; not a timing assertion)."""
    for _ in range(2000):
        if any("waiting" in r.getMessage() for r in caplog.records) or task.done():
            return
        await asyncio.sleep(0.01)


async def test_a_write_waits_for_another_process_then_is_saved(
    shared: Database, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO, logger="storage.busy")
    async with shared.transaction() as s:
        user = await users.get_or_create(s, "telegram", "42", "Lan")
    holder = other_process(shared)
    write = asyncio.create_task(subscriptions.start(shared, user, sectors=["energy"]))
    await waiting(caplog, write)
    assert not write.done()  # still waiting, no "database is locked"
    holder.execute("COMMIT")
    holder.close()
    await write
    assert [s.sectors for s in await subscriptions.current(shared, user)] == [["energy"]]


async def test_a_write_transaction_holds_the_lock_from_its_first_read(shared: Database) -> None:
    """BEGIN IMMEDIATE: another process cannot slip a write between our read and our write
    (with a deferred BEGIN, our write would then fail at once, SQLite cannot wait there)."""
    assert shared.url.database is not None
    other = sqlite3.connect(shared.url.database, isolation_level=None, timeout=0)
    async with shared.transaction() as s:
        await users.find(s, "telegram", "1")  # a read only, so far
        with pytest.raises(sqlite3.OperationalError, match="locked"):
            other.execute("BEGIN IMMEDIATE")
        await users.get_or_create(s, "telegram", "1", "An")
    other.execute("BEGIN IMMEDIATE")  # free again once committed
    other.execute("ROLLBACK")
    other.close()


async def test_the_conversation_store_waits_without_blocking_the_bot(
    shared: Database, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO, logger="storage.busy")
    assert shared.url.database is not None
    store = SqliteStateStore(shared, Path(shared.url.database), write_behind=False)
    holder = other_process(shared)
    turn = asyncio.create_task(store.begin_turn("telegram", "7", "1001"))
    ticks = 0
    while not any("waiting" in r.getMessage() for r in caplog.records) and ticks < 2000:
        ticks += 1  # the event loop keeps running other chats meanwhile
        await asyncio.sleep(0.01)
    assert ticks > 0 and not turn.done()
    holder.execute("COMMIT")
    holder.close()
    assert await turn is not None  # the update is recorded once, the turn goes on
    assert await store.begin_turn("telegram", "7", "1001") is None  # and is a duplicate after
    await store.close()


def test_only_lock_errors_are_retried() -> None:
    assert busy.is_locked(sqlite3.OperationalError("database is locked"))
    assert not busy.is_locked(sqlite3.OperationalError("no such table: users"))
    assert all(0 <= busy.pause(n) <= 1.0 for n in range(40))
