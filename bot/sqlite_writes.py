"""One writer at a time for SQLite, queued in asyncio instead of in SQLite's busy handler.

SQLite allows a single writer; a transaction that reads and then writes fails at once with
"database is locked" when another connection wrote meanwhile, and plain waiting happens in
SQLite's busy handler, which sleeps in steps of milliseconds. Wrapping `Database.transaction`
with an asyncio lock (re-entrant per task, so nested transactions of one handler never deadlock)
makes every `db.transaction()` of this process wait its turn cheaply.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Callable
from contextlib import AbstractAsyncContextManager, asynccontextmanager
from typing import Any

from storage.db import Database


class TaskLock:
    """An asyncio lock that the task holding it may take again."""

    def __init__(self) -> None:
        self._lock = asyncio.Lock()
        self._owner: asyncio.Task[Any] | None = None
        self._depth = 0

    @asynccontextmanager
    async def hold(self) -> AsyncIterator[None]:
        task = asyncio.current_task()
        if self._owner is task and task is not None:
            self._depth += 1
            try:
                yield
            finally:
                self._depth -= 1
            return
        async with self._lock:
            self._owner, self._depth = task, 1
            try:
                yield
            finally:
                self._owner, self._depth = None, 0


def serialize_sqlite_writes(db: Database) -> TaskLock | None:
    """Make `db.transaction()` take a process-wide writer lock (SQLite only; idempotent)."""
    if db.dialect != "sqlite":
        return None
    existing = getattr(db, "_ketnoi_write_lock", None)
    if existing is not None:
        return existing
    lock = TaskLock()
    original: Callable[[], AbstractAsyncContextManager[Any]] = db.transaction

    @asynccontextmanager
    async def transaction() -> AsyncIterator[Any]:
        async with lock.hold(), original() as session:
            yield session

    db.transaction = transaction  # type: ignore[method-assign]
    db._ketnoi_write_lock = lock  # type: ignore[attr-defined]
    return lock
