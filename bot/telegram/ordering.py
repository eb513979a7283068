"""Concurrency across chats, order within a chat.

PTB's `concurrent_updates` runs every update as its own task, which can reorder two quick
messages from one user. This processor keeps PTB's global bound and adds a FIFO lock per chat:
tasks are created in arrival order and acquire the lock in that order, so each chat's updates
are handled one after another while different chats proceed in parallel.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable
from typing import Any

from telegram import Update
from telegram.ext import BaseUpdateProcessor


def chat_key(update: object) -> str | None:
    if isinstance(update, Update):
        chat = update.effective_chat
        if chat is not None:
            return str(chat.id)
        if update.effective_user is not None:
            return f"user:{update.effective_user.id}"
    return None


class PerChatUpdateProcessor(BaseUpdateProcessor):
    def __init__(self, max_concurrent_updates: int = 512) -> None:
        super().__init__(max_concurrent_updates)
        self._locks: dict[str, asyncio.Lock] = {}
        self._users: dict[str, int] = {}  # tasks holding or waiting for each lock

    async def do_process_update(self, update: object, coroutine: Awaitable[Any]) -> None:
        key = chat_key(update)
        if key is None:
            await coroutine
            return
        lock = self._locks.setdefault(key, asyncio.Lock())
        self._users[key] = self._users.get(key, 0) + 1
        try:
            async with lock:
                await coroutine
        finally:
            self._users[key] -= 1
            if self._users[key] == 0:  # forget idle chats so memory stays bounded
                del self._users[key]
                del self._locks[key]

    def pending_chats(self) -> int:
        return len(self._locks)

    async def initialize(self) -> None:
        """Nothing to set up."""

    async def shutdown(self) -> None:
        """Nothing to release."""
