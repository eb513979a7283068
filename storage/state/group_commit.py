"""Group commit for the plain-sqlite3 writes of `storage.state.sqlite`.

Every write of a SQLite file waits for the process-wide writer lock. Writes of the same kind
that arrive while one of them waits for it (sent marks, updates for the inbox, under load from
many chats at once) go together in that one's transaction: one BEGIN and COMMIT for all.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from typing import Any, Generic, TypeVar

Item = TypeVar("Item")


class GroupCommit(Generic[Item]):
    def __init__(self, lock: Any, write: Callable[[list[Item]], Awaitable[object]]) -> None:
        self.lock = lock  # `storage.db.TaskLock`
        self.write = write
        self._items: list[Item] = []
        self._batch: asyncio.Future[None] | None = None

    async def add(self, items: list[Item]) -> None:
        """Written (committed) before returning; raises when the batch could not be."""
        if not items:
            return
        self._items.extend(items)
        batch = self._batch
        if batch is not None:  # a writer is waiting for the lock: it takes these items too
            await asyncio.shield(batch)
            return
        batch = self._batch = asyncio.get_running_loop().create_future()
        try:
            async with self.lock.hold():
                items, self._items, self._batch = self._items, [], None
                await self.write(items)
        except BaseException as error:
            if self._batch is batch:  # failed before taking the batch: let others retry
                self._batch = None
            batch.set_exception(error if isinstance(error, Exception) else RuntimeError("stopped"))
            batch.exception()  # retrieved: the callers waiting on it get it raised
            raise
        batch.set_result(None)
