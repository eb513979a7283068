"""Recording replies as sent the instant they are (PostgreSQL).

Between Telegram taking a reply and its outbox row saying "sent", a process that dies leaves a
reply that is sent again later (at least once: `docs/architecture.md`). So the record must not
wait: neither for a pooled connection behind other chats' turns nor for the records of other
chats ahead of it: `SentMarks` writes them on a connection of its own, every record that
arrives while a batch is being written with the next batch, in one statement
(`storage.own_connection`). SQLite has its own (`storage.state`).
"""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncConnection

from storage.own_connection import Batches
from storage.sqltypes import utcnow
from storage.state.sql import MARK_SENT

Mark = tuple[int, str | None]  # (outbox row id, the channel's message id)


class SentMarks(Batches[Mark]):
    what = "sent-marks"

    async def mark(self, sent: list[Mark]) -> None:
        """Record replies as sent; returns once committed (raises if it could not be)."""
        await self.add(sent)

    async def write(self, conn: AsyncConnection, marks: list[Mark]) -> None:
        now = utcnow()
        await conn.execute(MARK_SENT, [{"row_id": row_id, "sent_message_id": message_id,
                                        "now": now} for row_id, message_id in marks])
