"""A process's turns across processes are bounded by its connection pool: a burst queues.

Each turn of a held chat needs a pooled PostgreSQL connection; hundreds of them at once used to
wait for one past the pool's timeout, which failed the turn (its update then waited for the
orphan sweep). `ChatOrder` runs at most `turn_slots` of them at once and the others wait their
turn, however long.
"""

from __future__ import annotations

import asyncio
import os
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

import pytest
from sqlalchemy import text

from bot.chat_turns import ChannelTurns
from bot.ordering import KEPT_CONNECTIONS, SPARE_CONNECTIONS, ChatOrder, turn_slots
from storage.chat_lock import Held
from storage.db import Database

PG_URL = os.environ.get("KETNOI_TEST_POSTGRES_URL",
                        "postgresql+asyncpg://postgres@127.0.0.1:5432/test")


class OtherProcesses:
    """The cross-process lock as another process sees it: `busy` chats are held elsewhere until
    `freed` is set; the others are free."""

    name = "test"

    def __init__(self, busy: frozenset[str] = frozenset()) -> None:
        self.busy = busy
        self.freed = asyncio.Event()

    @asynccontextmanager
    async def hold(self, channel: str, chat_id: str, update_id: str | None = None
                   ) -> AsyncIterator[Held]:
        if chat_id in self.busy:
            await self.freed.wait()
        yield Held(False, False)

    async def close(self) -> None:
        return None


@pytest.fixture
async def small_pool() -> AsyncIterator[Database]:
    db = Database(PG_URL, pool_size=6, pool_timeout=0.3)
    try:
        async with asyncio.timeout(5), db.engine.connect() as conn:
            await conn.execute(text("select 1"))
    except Exception:
        await db.dispose()
        pytest.skip(f"PostgreSQL unreachable at {PG_URL}")
    yield db
    await db.dispose()


async def turn(order: ChatOrder, db: Database, chat: str) -> None:
    """A turn that holds a pooled connection for 0.1 s (a busy process's turn)."""
    async with order.hold("telegram", chat, "1"), db.session() as s:
        await s.execute(text("select pg_sleep(0.1)"))


async def test_a_burst_of_turns_waits_for_slots_and_none_fails(small_pool: Database) -> None:
    """40 chats' turns at once on a pool of 6 whose checkout waits at most 0.3 s: each turn
    runs in its turn (unbounded, 40 x 0.1 s over 6 connections left most of them waiting past
    the timeout)."""
    lock = OtherProcesses()
    slots = turn_slots(small_pool, lock)
    assert slots == 6 - KEPT_CONNECTIONS - SPARE_CONNECTIONS
    order = ChatOrder(lock, small_pool, slots)
    outcomes = await asyncio.gather(*(turn(order, small_pool, str(n)) for n in range(40)),
                                    return_exceptions=True)
    assert [o for o in outcomes if o is not None] == []


async def test_a_chat_held_elsewhere_keeps_no_slot(small_pool: Database) -> None:
    """With one slot, a chat another process holds (a killed process's Redis lock, until it
    expires) does not stop the other chats' turns: the slot is taken once the chat is held."""
    lock = OtherProcesses(busy=frozenset({"7"}))
    order = ChatOrder(lock, small_pool, turns=1)
    waiting = asyncio.create_task(turn(order, small_pool, "7"))
    async with asyncio.timeout(5):
        await asyncio.gather(*(turn(order, small_pool, str(n)) for n in range(5)))
    assert not waiting.done()
    lock.freed.set()
    async with asyncio.timeout(5):
        await waiting


class Core:
    """The core as the sweep sees it: nothing left unsent."""

    def __init__(self, order: ChatOrder) -> None:
        self.order = order

    async def resend_pending(self, channel: str, send: object, *, stale_after: float) -> int:
        return 0


async def test_a_backlogged_process_leaves_its_queued_updates_to_their_turns(
        small_pool: Database) -> None:
    """While this process's turns wait for a slot, its queued updates are older than the orphan
    sweep's age: the sweep must not queue them again as a dead process's (each would run a
    second time as a duplicate, and the backlog grew: hundreds taken over per sweep at 1,000
    chats). Once the backlog is gone, the sweep takes over what is still unhandled."""
    order = ChatOrder(OtherProcesses(), small_pool, turns=1)
    stored: list[tuple[str, object]] = [("9", {"update_id": 9})]

    async def orphans(channel: str, older_than: float = 10.0) -> list[tuple[str, object]]:
        return stored

    order.orphans = orphans  # type: ignore[method-assign]
    queued: list[str] = []

    async def queue(update_id: str, raw: object) -> None:
        queued.append(update_id)

    turns = ChannelTurns(Core(order), "telegram", send_to=None)  # type: ignore[arg-type]
    release = asyncio.Event()

    async def long_turn() -> None:
        async with order.hold("telegram", "1", "1"):
            await release.wait()

    first = asyncio.create_task(long_turn())
    second = asyncio.create_task(turn(order, small_pool, "2"))
    await asyncio.sleep(0.05)
    assert order.backlogged()
    await turns.sweep(order, queue, {})
    assert queued == []
    release.set()
    await asyncio.gather(first, second)
    await turns.sweep(order, queue, {})
    assert queued == ["9"]
