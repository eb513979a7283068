"""Recording replies as sent the instant they are (PostgreSQL).

Between Telegram taking a reply and its outbox row saying "sent", a process that dies leaves a
reply that is sent again later (at least once: `docs/architecture.md`). So the record must not
wait: neither for a pooled connection behind other chats' turns (a dozen connections for
hundreds of chats under load) nor for the records of other chats ahead of it. `SentMarks` keeps
one connection of its own and writes every record that arrives while a batch is being written
with the next batch, in one statement (group commit). SQLite has its own (`storage.state`).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging

from sqlalchemy.ext.asyncio import AsyncConnection

from storage.db import Database
from storage.sqltypes import utcnow
from storage.state.sql import MARK_SENT

log = logging.getLogger(__name__)
Mark = tuple[int, str | None]  # (outbox row id, the channel's message id)


class SentMarks:
    def __init__(self, db: Database) -> None:
        self.db = db
        self._conn: AsyncConnection | None = None
        self._queue: list[tuple[list[Mark], asyncio.Future[None]]] = []
        self._writer: asyncio.Task[None] | None = None

    async def mark(self, sent: list[Mark]) -> None:
        """Record replies as sent; returns once committed (raises if it could not be)."""
        if not sent:
            return
        done = asyncio.get_running_loop().create_future()
        self._queue.append((sent, done))
        if self._writer is None or self._writer.done():
            self._writer = asyncio.create_task(self._write())
        await done

    async def _write(self) -> None:
        while self._queue:
            batch, self._queue = self._queue, []
            try:
                await self._execute([mark for sent, _ in batch for mark in sent])
            except Exception as error:
                for _, done in batch:
                    if not done.done():
                        done.set_exception(error)
            else:
                for _, done in batch:
                    if not done.done():
                        done.set_result(None)

    async def _execute(self, marks: list[Mark]) -> None:
        now = utcnow()
        rows = [{"row_id": row_id, "sent_message_id": message_id, "now": now}
                for row_id, message_id in marks]
        for attempt in (1, 2):  # a connection dropped since the last batch: one fresh try
            try:
                conn = await self._connection()
                await conn.execute(MARK_SENT, rows)
                return
            except Exception:
                await self._drop()
                if attempt == 2:
                    raise
                log.warning("sent-marks connection failed; trying a fresh one")

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
