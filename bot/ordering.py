"""Per-chat order across processes: a chat's turns one at a time, in update-id order.

With several bot processes, two updates of one chat may reach two processes. A process handles
an update only while it holds the chat's lock (`storage.chat_lock`: a PostgreSQL advisory lock,
or a Redis lock), and first handles the chat's earlier updates that are stored in the inbox but
not handled yet (whichever process stored them: exactly-once handling makes the other process's
later attempt a duplicate). So replies come in the order the user wrote, and an update stored by a
process that died is not left waiting for its restart.
"""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import UTC, datetime, timedelta
from typing import Any

from storage import chat_lock
from storage.db import Database
from storage.repos import inbox


class ChatOrder:
    def __init__(self, lock: chat_lock.ChatLock, db: Database | None) -> None:
        self.lock = lock
        self.db = db
        # Chats held now whose lock statement saw no replies waiting to be sent (`nothing_unsent`)
        self._no_unsent: set[tuple[str, str]] = set()

    @classmethod
    def for_database(cls, db: Database, redis_url: str | None = None,
                     redis_prefix: str = "ketnoi") -> ChatOrder:
        return cls(chat_lock.for_database(db, redis_url, redis_prefix), db)

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
        async with self.lock.hold(channel, chat_id, update_id) as held:
            if not held.replies_pending:
                self._no_unsent.add((channel, chat_id))
            try:
                if not held.waiting or update_id is None or self.db is None:
                    yield []
                else:
                    yield await inbox.earlier(self.db, channel, chat_id, update_id)
            finally:
                self._no_unsent.discard((channel, chat_id))

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
