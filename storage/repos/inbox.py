"""The inbox: each update a channel delivers, stored before the channel is told it arrived.

The webhook stores an update before answering 200; polling stores a batch before it confirms it
(the next getUpdates offset). The turn that handles an update marks its row "done" in the same
transaction as its effects (`storage.state`), so at start the rows still "new" are exactly the
acknowledged updates nobody handled yet.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import delete, func, select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncConnection

from storage.db import Database
from storage.models import InboxUpdate
from storage.own_connection import Batches
from storage.sqltypes import utcnow

# The Core table: an ORM bulk insert costs more CPU than the statement itself; built once, as
# building it (and its cache key) for each update cost about a third of storing it.
_TABLE: Any = InboxUpdate.__table__
_STORE = {postgres: insert(_TABLE).on_conflict_do_nothing(index_elements=["channel", "update_id"])
          for postgres, insert in ((True, postgresql.insert), (False, sqlite.insert))}


async def store(db: Database, channel: str, updates: Sequence[tuple[str, Any]],
                chats: Sequence[str | None] | None = None) -> None:
    """Keep (update id, raw JSON) pairs, with each one's chat when known (`chats`, same order);
    one already stored is left as it is."""
    values = _rows(channel, updates, chats)
    if not values:
        return
    async with db.single() as s:  # one statement: no transaction needed around it
        await s.execute(_STORE[db.dialect == "postgresql"], values[0] if len(values) == 1
                        else values)


def _rows(channel: str, updates: Sequence[tuple[str, Any]],
          chats: Sequence[str | None] | None) -> list[dict[str, Any]]:
    now = utcnow()
    chat_ids = list(chats) if chats is not None else [None] * len(updates)
    rows = {str(update_id): {"channel": channel, "update_id": str(update_id), "raw": raw,
                             "status": "new", "received_at": now, "chat_id": chat}
            for (update_id, raw), chat in zip(updates, chat_ids, strict=True)}
    return list(rows.values())


class InboxWrites(Batches[dict[str, Any]]):
    """`store` on PostgreSQL for a busy webhook: on a connection of its own, the updates of
    every chat that arrive while one batch is written going together in the next statement, so
    storing an update before answering waits for no pooled connection behind the turns and
    costs a share of one statement."""

    what = "inbox"

    async def store(self, channel: str, updates: Sequence[tuple[str, Any]],
                    chats: Sequence[str | None] | None = None) -> None:
        await self.add(_rows(channel, updates, chats))

    async def write(self, conn: AsyncConnection, rows: list[dict[str, Any]]) -> None:
        await conn.execute(_STORE[True], rows[0] if len(rows) == 1 else rows)


async def unhandled(db: Database, channel: str, *, limit: int = 10_000,
                    received_before: datetime | None = None) -> list[tuple[str, Any]]:
    """Stored updates of `channel` not handled yet (received before `received_before` when
    given), oldest first: (update id, raw JSON)."""
    stmt = (select(InboxUpdate.update_id, InboxUpdate.raw)
            .where(InboxUpdate.status == "new", InboxUpdate.channel == channel)
            .order_by(InboxUpdate.id).limit(limit))
    if received_before is not None:
        stmt = stmt.where(InboxUpdate.received_at < received_before)
    async with db.session() as s:
        return [(row.update_id, row.raw) for row in await s.execute(stmt)]


async def earlier(db: Database, channel: str, chat_id: str, update_id: str
                  ) -> list[tuple[str, Any]]:
    """The chat's stored updates not handled yet that come before `update_id`, oldest first:
    (update id, raw JSON). Numeric ids (Telegram's) are in the order the user wrote; other ids
    (Zalo's message ids, digests) carry no order, so there it is the order they were stored."""
    update_id = str(update_id)
    stmt = (select(InboxUpdate.update_id, InboxUpdate.raw)
            .where(InboxUpdate.channel == channel, InboxUpdate.chat_id == chat_id,
                   InboxUpdate.status == "new", InboxUpdate.update_id != update_id))
    if not update_id.isdigit():
        mine = (select(InboxUpdate.id).where(InboxUpdate.channel == channel,
                                             InboxUpdate.update_id == update_id)
                .scalar_subquery())
        stmt = stmt.where(InboxUpdate.id < mine).order_by(InboxUpdate.id)
        async with db.session() as s:
            return [(row.update_id, row.raw) for row in await s.execute(stmt)]
    async with db.session() as s:
        rows = [(row.update_id, row.raw) for row in await s.execute(stmt)]
    mine_order = _order(update_id)
    return sorted((row for row in rows if _order(row[0]) < mine_order),
                  key=lambda row: _order(row[0]))


def _order(update_id: str) -> tuple[int, str]:
    # Telegram's ids grow by one per update; a longer string of digits is a later id.
    return (len(update_id), update_id) if update_id.isdigit() else (1 << 30, update_id)


async def backlog(db: Database) -> int:
    """How many stored updates wait to be handled (all channels)."""
    stmt = select(func.count()).select_from(InboxUpdate).where(InboxUpdate.status == "new")
    async with db.session() as s:
        return int((await s.execute(stmt)).scalar_one())


async def mark_done(db: Database, channel: str, update_id: str) -> None:
    """An update the channel adapter deliberately ignores (an edit, a group message) is done."""
    stmt = (update(InboxUpdate).where(InboxUpdate.channel == channel,
                                      InboxUpdate.update_id == str(update_id))
            .values(status="done"))
    async with db.transaction() as s:
        await s.execute(stmt)


async def purge_older_than(db: Database, when: datetime) -> int:
    """Forget handled updates received before `when` (their raw JSON holds personal data)."""
    stmt = delete(InboxUpdate).where(InboxUpdate.received_at < when, InboxUpdate.status == "done")
    async with db.transaction() as s:
        return int((await s.execute(stmt)).rowcount or 0)  # type: ignore[attr-defined]
