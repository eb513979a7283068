"""Per-chat order across processes: a chat's turns one at a time, in update-id order.

With several bot processes, two updates of one chat may reach two processes. A process handles
an update only while it holds the chat's lock (`storage.chat_lock`: a PostgreSQL advisory lock,
or a Redis lock), and first handles the chat's earlier updates that are stored in the inbox but
not handled yet (whichever process stored them: exactly-once handling makes the other process's
later attempt a duplicate). So replies come in the order the user wrote, and an update stored by a
process that died is not left waiting for its restart.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import UTC, datetime, timedelta
from typing import Any

from storage import chat_lock
from storage.db import Database
from storage.repos import inbox

# Pooled connections a process keeps for good besides its chat lock's (`ChatLock.connections`):
# the sent marks' and the inbox writes' (`storage.own_connection`); and those left free for the
# short reads outside a turn (the sweeps, the resume).
KEPT_CONNECTIONS = 2
SPARE_CONNECTIONS = 2


def turn_slots(db: Database, lock: chat_lock.ChatLock) -> int | None:
    """How many of a process's turns may run at once: what its connection pool lends, less what
    it keeps for other work (None: no bound)."""
    limit = db.connection_limit
    if limit is None:
        return None
    kept = KEPT_CONNECTIONS + getattr(lock, "connections", 0) + SPARE_CONNECTIONS
    return max(1, limit - kept)


class ChatOrder:
    """`turns`: how many held chats may run their turns at once in this process. A burst of
    updates then queues here, in order, instead of waiting for a pooled connection past the
    pool's timeout (which failed the turn: the update waited for the orphan sweep)."""

    def __init__(self, lock: chat_lock.ChatLock, db: Database | None,
                 turns: int | None = None) -> None:
        self.lock = lock
        self.db = db
        self.turns = turns
        self._slots = asyncio.Semaphore(turns) if turns else None
        self._queued = 0  # turns waiting for a slot
        # Chats held now whose lock statement saw no replies waiting to be sent (`nothing_unsent`)
        self._no_unsent: set[tuple[str, str]] = set()

    @classmethod
    def for_database(cls, db: Database, redis_url: str | None = None,
                     redis_prefix: str = "ketnoi") -> ChatOrder:
        lock = chat_lock.for_database(db, redis_url, redis_prefix)
        return cls(lock, db, turn_slots(db, lock))

    @property
    def across_processes(self) -> bool:
        return not isinstance(self.lock, chat_lock.NoChatLock)

    @asynccontextmanager
    async def hold(self, channel: str, chat_id: str,
                   update_id: str | None = None) -> AsyncIterator[list[tuple[str, Any]]]:
        """Hold the chat; yields its stored updates before `update_id` that nobody has handled
        yet (to handle first), oldest first."""
        if not self.across_processes:
            yield []
            return
        # The slot is taken once the chat is held: a chat another process holds (a Redis lock
        # left by a killed process: up to its expiry) keeps no slot from the chats that can go.
        async with self.lock.hold(channel, chat_id, update_id) as held, self._slot():
            if not held.replies_pending:
                self._no_unsent.add((channel, chat_id))
            try:
                if not held.waiting or update_id is None or self.db is None:
                    yield []
                else:
                    yield await inbox.earlier(self.db, channel, chat_id, update_id)
            finally:
                self._no_unsent.discard((channel, chat_id))

    @asynccontextmanager
    async def _slot(self) -> AsyncIterator[None]:
        if self._slots is None:
            yield
            return
        self._queued += 1
        try:
            await self._slots.acquire()
        finally:
            self._queued -= 1
        try:
            yield
        finally:
            self._slots.release()

    def backlogged(self) -> bool:
        """Whether turns of this process wait for a slot: its updates then wait longer than the
        orphan sweep's age (`bot.chat_turns`), which must not take them for a dead process's."""
        return self._queued > 0

    def nothing_unsent(self, channel: str, chat_id: str) -> bool:
        """True once right after the chat was taken when the lock's statement saw no replies of
        the chat committed and not recorded as sent: the check before its next update needs no
        query of its own. (Only the holder commits the chat's replies, so none can appear while
        the chat is held before that check; a second call asks the database again.)"""
        key = (channel, chat_id)
        if key in self._no_unsent:
            self._no_unsent.discard(key)
            return True
        return False

    async def orphans(self, channel: str, older_than: float = 10.0) -> list[tuple[str, Any]]:
        """Updates stored more than `older_than` seconds ago and still not handled: the process
        that stored them may have died with no later update of the chat to take them over."""
        if not self.across_processes or self.db is None:
            return []
        before = datetime.now(UTC) - timedelta(seconds=older_than)
        return await inbox.unhandled(self.db, channel, limit=1000, received_before=before)

    async def close(self) -> None:
        with contextlib.suppress(Exception):
            await self.lock.close()
