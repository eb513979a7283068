"""Concurrency across chats, order within a chat.

PTB's `concurrent_updates` runs every update as its own task, which can reorder two quick
messages from one user. This processor adds a FIFO lock per chat: tasks are created in arrival
order and take the lock in that order, so each chat's updates are handled one after another while
different chats proceed in parallel.

The work bound (`max_concurrent_updates`) is taken only once a task holds its chat's lock, so a
chat that floods the bot queues behind itself and never occupies the slots other chats need.
PTB's own bound is set much higher and only limits how many tasks may wait in memory.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable
from typing import Any

from telegram import Update
from telegram.ext import BaseUpdateProcessor

from storage.keyed_locks import KeyedLocks

MAX_WAITING_TASKS = 20_000


def chat_key(update: object) -> str | None:
    if isinstance(update, Update):
        chat = update.effective_chat
        if chat is not None:
            return str(chat.id)
        if update.effective_user is not None:
            return f"user:{update.effective_user.id}"
    return None


def raw_chat_key(data: object) -> str | None:
    """`chat_key` read from the raw update (decoded JSON), before PTB builds its objects."""
    if not isinstance(data, dict):
        return None
    sender = None
    for value in data.values():
        if not isinstance(value, dict):
            continue
        inner = value.get("message")
        holder: dict[str, Any] = inner if isinstance(inner, dict) else value
        chat = holder.get("chat")
        if isinstance(chat, dict) and chat.get("id") is not None:
            return str(chat["id"])
        author = value.get("from")
        if sender is None and isinstance(author, dict) and author.get("id") is not None:
            sender = f"user:{author['id']}"
    return sender


class PerChatUpdateProcessor(BaseUpdateProcessor):
    def __init__(self, max_concurrent_updates: int = 256) -> None:
        super().__init__(max(MAX_WAITING_TASKS, max_concurrent_updates))
        self.work_slots = max_concurrent_updates
        self._work = asyncio.BoundedSemaphore(max_concurrent_updates)
        self._locks = KeyedLocks()

    async def do_process_update(self, update: object, coroutine: Awaitable[Any]) -> None:
        key = chat_key(update)
        if key is None:
            async with self._work:
                await coroutine
            return
        async with self._locks.hold(key), self._work:
            await coroutine

    def pending_chats(self) -> int:
        return len(self._locks)

    async def initialize(self) -> None:
        """Nothing to set up."""

    async def shutdown(self) -> None:
        """Nothing to release."""
