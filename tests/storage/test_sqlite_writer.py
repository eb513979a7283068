"""On a SQLite file a write transaction holds the one write lock only for its own work: its
statements run on the event loop's thread, so no other chat's turn runs in between (before, each
statement waited for the loop behind other chats' parsing while every writer waited)."""

from __future__ import annotations

import asyncio
from pathlib import Path

from sqlalchemy import func, insert, select

from storage.db import Database
from storage.models import ProcessedUpdate
from storage.sqltypes import utcnow
from tests.handlers.chat import copy_db


async def test_a_write_transaction_does_not_yield_to_other_tasks(tmp_path: Path) -> None:
    db = Database(copy_db(tmp_path / "w.db", seeded=False))
    others: list[int] = []
    try:
        async with db.transaction() as s:
            asyncio.get_running_loop().call_soon(others.append, 1)  # another chat's work
            for n in range(20):
                await s.execute(insert(ProcessedUpdate).values(
                    channel="test", update_id=str(n), processed_at=utcnow()))
            count = (await s.execute(select(func.count()).select_from(ProcessedUpdate))).scalar()
            assert others == []  # nothing else ran while the lock was held
        await asyncio.sleep(0)
        assert others == [1] and count == 20
        async with db.session() as s:  # committed, and read back through the threaded engine
            assert (await s.execute(select(func.count()).select_from(ProcessedUpdate))
                    ).scalar() == 20
    finally:
        await db.dispose()


async def test_reads_outside_transactions_still_leave_the_loop_free(tmp_path: Path) -> None:
    db = Database(copy_db(tmp_path / "r.db", seeded=False))
    others: list[int] = []
    try:
        async with db.session() as s:
            asyncio.get_running_loop().call_soon(others.append, 1)
            await s.execute(select(func.count()).select_from(ProcessedUpdate))
            assert others == [1]  # a (possibly long) read runs in aiosqlite's thread
    finally:
        await db.dispose()
