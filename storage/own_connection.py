"""Writes of one kind on a PostgreSQL connection of their own, group-committed.

Some writes must not wait for a pooled connection behind other chats' turns (a dozen
connections for hundreds of chats under load): a reply's "sent" record, an update stored before
the platform is told it arrived. `Batches` keeps one autocommit connection and writes every item
that arrives while a batch is being written with the next batch, in one statement.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from typing import Generic, TypeVar

from sqlalchemy.ext.asyncio import AsyncConnection

from storage.db import Database

log = logging.getLogger(__name__)
Item = TypeVar("Item")


class Batches(Generic[Item]):
    what = "batched writes"  # for the logs

    def __init__(self, db: Database) -> None:
        self.db = db
        self._conn: AsyncConnection | None = None
        self._queue: list[tuple[list[Item], asyncio.Future[None]]] = []
        self._writer: asyncio.Task[None] | None = None

    async def write(self, conn: AsyncConnection, items: list[Item]) -> None:
        """One statement for the batch (subclasses)."""
        raise NotImplementedError

    async def add(self, items: list[Item]) -> None:
        """Write the items; returns once committed (raises if they could not be)."""
        if not items:
            return
        done = asyncio.get_running_loop().create_future()
        self._queue.append((items, done))
        if self._writer is None or self._writer.done():
            self._writer = asyncio.create_task(self._write())
        await done

    async def _write(self) -> None:
        while self._queue:
            batch, self._queue = self._queue, []
            try:
                await self._execute([item for items, _ in batch for item in items])
            except Exception as error:
                for _, done in batch:
                    if not done.done():
                        done.set_exception(error)
            else:
                for _, done in batch:
                    if not done.done():
                        done.set_result(None)

    async def _execute(self, items: list[Item]) -> None:
        for attempt in (1, 2):  # a connection dropped since the last batch: one fresh try
            try:
                await self.write(await self._connection(), items)
                return
            except Exception:
                await self._drop()
                if attempt == 2:
                    raise
                log.warning("%s connection failed; trying a fresh one", self.what)

    async def _connection(self) -> AsyncConnection:
        if self._conn is None or self._conn.closed:
            conn = await self.db.engine.connect()
            self._conn = await conn.execution_options(isolation_level="AUTOCOMMIT")
        return self._conn

    async def _drop(self) -> None:
        if self._conn is not None:
            with contextlib.suppress(Exception):
                await self._conn.close()
            self._conn = None

    async def close(self) -> None:
        if self._writer is not None:
            with contextlib.suppress(Exception):
                await self._writer
        await self._drop()
