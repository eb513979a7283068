"""Dialogue state stores and the per-message writes (state, processed update, message log), on
SQLite and PostgreSQL; and the transaction rule of `Database` that storage functions rely on."""

from __future__ import annotations

import asyncio

import pytest
from sqlalchemy import func, select

from storage.db import Database
from storage.models import ConversationState, MessageLog, User
from storage.repos import users
from storage.state import DialogueState, LogLine, for_database
from storage.state.sql import SqlStateStore


async def _rows(db: Database, model: type) -> list:
    async with db.session() as s:
        return list((await s.execute(select(model))).scalars())


async def test_a_form_in_progress_survives_a_new_store(db: Database) -> None:
    store = for_database(db)
    state = DialogueState(form="find_technology", awaiting="contact", values={"need": "sấy vải"})
    await store.end_turn("console", "c", state, [])
    await store.close()
    again = for_database(db)
    loaded = await again.load("console", "c")
    assert (loaded.form, loaded.awaiting, loaded.values) == ("find_technology", "contact",
                                                             {"need": "sấy vải"})
    await again.end_turn("console", "c", DialogueState(), [])  # finished: the row goes
    await again.close()
    assert await _rows(db, ConversationState) == []


async def test_an_update_is_handled_once_even_when_redelivered_concurrently(db: Database) -> None:
    stores = [SqlStateStore(db), for_database(db)]
    first = await stores[0].begin_turn("telegram", "c", "100")
    assert first is not None
    assert await stores[1].begin_turn("telegram", "c", "100") is None  # another process saw it
    assert await stores[1].begin_turn("console", "c", "100") is not None  # other channel
    results = await asyncio.gather(*(stores[i % 2].begin_turn("telegram", "c", "200")
                                     for i in range(4)))
    assert sum(r is not None for r in results) == 1
    for store in stores:
        await store.close()


async def test_the_message_log_keeps_both_directions_and_cuts_long_text(db: Database) -> None:
    store = for_database(db)
    await store.end_turn("console", "c", None, [LogLine("in", "chào", "u1", "greet", 0.9),
                                                LogLine("out", "x" * 9000)])
    await store.close()
    log = sorted(await _rows(db, MessageLog), key=lambda m: m.id)
    assert [m.direction for m in log] == ["in", "out"]
    assert (log[0].intent, log[0].user_id, len(log[1].text)) == ("greet", "u1", 4000)
    assert await _rows(db, ConversationState) == []  # None: the state was left alone


async def test_a_user_is_created_once_by_the_store(db: Database) -> None:
    store = for_database(db)
    found = await asyncio.gather(*(store.user(db, "telegram", "42", "Lan") for _ in range(3)))
    assert len({u.id for u in found}) == 1 and found[0].display_name == "Lan"
    await store.close()
    assert len(await _rows(db, User)) == 1


async def test_storage_functions_join_the_open_transaction(db: Database) -> None:
    user = await users.ensure(db, "telegram", "7", "Minh")
    with pytest.raises(RuntimeError):
        async with db.transaction():
            await users.remember_contact(db, user.id, phone="0912345678")
            raise RuntimeError("the turn failed")
    assert (await users.ensure(db, "telegram", "7")).phone is None  # rolled back together
    async with db.transaction():
        await users.remember_contact(db, user.id, phone="0912345678")
        await users.remember_contact(db, user.id, email="minh@example.vn")
    again = await users.ensure(db, "telegram", "7")
    assert (again.phone, again.email) == ("0912345678", "minh@example.vn")


async def test_another_task_never_joins_the_open_transaction(db: Database) -> None:
    user = await users.ensure(db, "telegram", "8", "Hoa")
    outer_started = asyncio.Event()

    async def other_task() -> None:  # created inside the block: copies the context
        await outer_started.wait()
        async with db.session() as s:  # its own session: the outer write is not visible yet
            count = (await s.execute(select(func.count()).select_from(User).where(
                User.phone == "0987654321"))).scalar_one()
            assert count == 0

    async with db.transaction():
        await users.remember_contact(db, user.id, phone="0987654321")
        task = asyncio.create_task(other_task())
        outer_started.set()
        await task
    assert (await users.ensure(db, "telegram", "8")).phone == "0987654321"
