"""Several processes on one SQLite file: wait for the other writer instead of failing.

SQLite has one writer at a time per file. Inside a process `Database.write_lock` queues the
writers; across processes (the bot, `ketnoi chat`, an import, a worker) they meet in SQLite:

- write transactions start with BEGIN IMMEDIATE, so a transaction takes the write lock before it
  reads. A deferred transaction that reads, then writes after another process committed, fails
  at once with "database is locked" (SQLite cannot wait there: its snapshot is stale);
- BEGIN IMMEDIATE waits up to the busy timeout in SQLite's own busy handler (in the driver's
  thread, not on the event loop);
- if the other writer holds on longer (a large import), `retry_when_locked` tries again after a
  jittered pause (so waiting processes do not retry in lockstep), for up to `LOCK_WAIT_S`.

Nothing has run when BEGIN fails, so trying again is always safe.
"""

from __future__ import annotations

import asyncio
import logging
import random
from collections.abc import Awaitable, Callable
from typing import TypeVar

log = logging.getLogger(__name__)

T = TypeVar("T")
BUSY_TIMEOUT_MS = 5_000  # SQLite's busy handler, per attempt
LOCK_WAIT_S = 60.0  # in all, before the user sees an error
WRITE = "ketnoi_write"  # execution option: begin this transaction IMMEDIATE (see storage.db)


def is_locked(error: BaseException) -> bool:
    """SQLite's "database is locked" / "is busy", raw or wrapped by SQLAlchemy."""
    text = str(error).lower()
    return "database is locked" in text or "database is busy" in text


def pause(attempt: int) -> float:
    """Full jitter on a doubling ceiling (10 ms, 20 ms ... 1 s)."""
    return random.uniform(0.0, min(1.0, 0.01 * 2**attempt))


async def retry_when_locked(start: Callable[[], Awaitable[T]], what: str = "write") -> T:
    """`await start()` again while SQLite reports another writer, for up to `LOCK_WAIT_S`.

    `start` must be safe to repeat: beginning a transaction, or a whole short transaction.
    """
    loop = asyncio.get_running_loop()
    deadline = loop.time() + LOCK_WAIT_S
    attempt = 0
    while True:
        try:
            return await start()
        except Exception as error:
            if not is_locked(error) or loop.time() >= deadline:
                raise
        attempt += 1
        if attempt == 1:
            log.info("SQLite is busy with another process's %s; waiting", what)
        await asyncio.sleep(pause(attempt))
