"""Replies recorded as sent on a connection of their own, batched (PostgreSQL)."""

from __future__ import annotations

import asyncio

import pytest
from sqlalchemy import insert, select, text

from storage.db import Database
from storage.models import OutboxMessage
from storage.repos import outbox
from storage.sent_marks import SentMarks


async def _replies(db: Database, count: int) -> list[int]:
    rows = outbox.reply_rows("telegram", "42", None, None,
                             [{"text": f"trả lời {n}"} for n in range(count)])
    async with db.transaction() as s:
        return list((await s.execute(insert(OutboxMessage).returning(OutboxMessage.id),
                                     rows)).scalars())


async def _statuses(db: Database) -> dict[int, tuple[str, str | None]]:
    async with db.session() as s:
        rows = await s.execute(select(OutboxMessage.id, OutboxMessage.status,
                                      OutboxMessage.message_id))
        return {row.id: (row.status, row.message_id) for row in rows}


async def test_marks_from_many_chats_at_once_are_all_recorded(db: Database) -> None:
    if db.dialect != "postgresql":
        pytest.skip("SQLite batches its marks in its state store")
    ids = await _replies(db, 40)
    marks = SentMarks(db)
    try:
        await asyncio.gather(*(marks.mark([(row_id, f"m{row_id}")]) for row_id in ids))
    finally:
        await marks.close()
    assert await _statuses(db) == {row_id: ("sent", f"m{row_id}") for row_id in ids}


async def test_a_mark_after_its_connection_dropped_is_still_recorded(
        db: Database, caplog: pytest.LogCaptureFixture) -> None:
    if db.dialect != "postgresql":
        pytest.skip("SQLite batches its marks in its state store")
    first, second = await _replies(db, 2)
    marks = SentMarks(db)
    try:
        await marks.mark([(first, "m1")])
        async with db.session() as s:  # the server drops the marks' connection
            dropped = (await s.execute(text(
                "SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity WHERE pid <> "
                "pg_backend_pid() AND datname = current_database() AND state = 'idle' "
                "AND query LIKE 'UPDATE outbox%'"))).scalar_one()
        await marks.mark([(second, "m2")])
    finally:
        await marks.close()
    assert dropped == 1 and "trying a fresh one" in caplog.text
    assert await _statuses(db) == {first: ("sent", "m1"), second: ("sent", "m2")}
