"""SQLite write transactions run on the event loop's thread, without a thread hop per statement.

aiosqlite runs every statement in a worker thread and hands the result back through the event
loop: a write transaction of twenty statements waits twenty times for the loop, behind whatever
other chats are parsing or rendering meanwhile, and holds SQLite's single write lock (and
`Database.write_lock`) all that time, so every other chat's commit waits too. A statement of these
short writes takes microseconds on the connection itself, so write transactions use a second
engine whose connections execute in the calling thread: the locked section lasts as long as its
own work. Reads keep the threaded engine (a long report query never blocks the loop).

The writer connection's busy timeout is short: it would block the loop while another process
writes, so waiting for that process happens in asyncio instead (`storage.busy`). Once BEGIN
IMMEDIATE succeeded the transaction holds the write lock and its statements never wait.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Callable
from typing import Any

import aiosqlite

# Another process's write blocks BEGIN IMMEDIATE at most this long on the loop's thread before
# `storage.busy` waits in asyncio and tries again.
BUSY_TIMEOUT_MS = 50


class InlineConnection(aiosqlite.Connection):
    """An aiosqlite connection whose calls run in the caller's thread (the event loop's).

    The worker thread still opens and closes the sqlite3 connection (as aiosqlite does), so the
    connection is opened with check_same_thread=False.
    """

    async def _execute(self, fn: Callable[..., Any], *args: Any, **kwargs: Any) -> Any:
        if not self._running or not self._connection:
            raise ValueError("Connection closed")
        return fn(*args, **kwargs)


def connect(database: str, **kwargs: Any) -> InlineConnection:
    """SQLAlchemy's aiosqlite dialect calls this (connect_args `async_creator_fn`)."""
    kwargs["check_same_thread"] = False
    kwargs["timeout"] = BUSY_TIMEOUT_MS / 1000

    def open_connection() -> sqlite3.Connection:
        return sqlite3.connect(database, **kwargs)

    connection = InlineConnection(open_connection, 64)
    # As SQLAlchemy does for aiosqlite's own connections (before 0.22 the connection was the
    # thread itself).
    thread: Any = getattr(connection, "_thread", connection)
    thread.daemon = True
    return connection
