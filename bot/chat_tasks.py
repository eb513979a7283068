"""Work for many chats at once, each chat's work in arrival order (webhooks and polling alike).

A webhook answers the platform at once and handles the update afterwards; two quick messages of
one user must still be answered in order. Each chat gets a FIFO lock (asyncio locks wake waiters
in order); the bound on concurrent work is taken only once a task holds its chat's lock, so one
chat flooding the bot queues behind itself and never takes the slots other chats need.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable

from storage.keyed_locks import KeyedLocks

log = logging.getLogger(__name__)


class ChatTasks:
    def __init__(self, limit: int = 256) -> None:
        self._work = asyncio.Semaphore(limit)
        self._locks = KeyedLocks()
        self._tasks: set[asyncio.Task[None]] = set()

    def submit(self, chat: str, work: Callable[[], Awaitable[None]]) -> asyncio.Task[None]:
        # Tasks start in the order they were made, so they ask for the chat's lock in that order.
        task = asyncio.create_task(self._run(chat, work))
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)
        return task

    async def _run(self, chat: str, work: Callable[[], Awaitable[None]]) -> None:
        try:
            async with self._locks.hold(chat), self._work:
                await work()
        except Exception:  # one bad update never stops the others
            log.exception("failed to handle an update of chat %s", chat)

    def pending(self) -> int:
        return len(self._tasks)

    async def drain(self) -> None:
        """Wait until everything submitted so far is done."""
        while self._tasks:
            await asyncio.gather(*list(self._tasks), return_exceptions=True)

    async def cancel(self) -> None:
        for task in list(self._tasks):
            task.cancel()
        await asyncio.gather(*list(self._tasks), return_exceptions=True)
