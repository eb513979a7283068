"""Per-chat locks across processes, the inbox's per-chat order and long button payloads.

Two `Database` handles (two engines, two connection pools) stand for two bot processes.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import uuid

import pytest
from sqlalchemy import text

from storage.chat_lock import NoChatLock, PostgresChatLock, RedisChatLock, for_database, lock_key
from storage.db import Database
from storage.repos import inbox, payloads

REDIS_URL = os.environ.get("KETNOI_TEST_REDIS_URL", "redis://127.0.0.1:6379/0")


async def _order_of_two_holders(first: object, second: object) -> list[str]:
    """`first` holds chat 42 while `second` asks for it: the second gets it only after."""
    events: list[str] = []
    held = asyncio.Event()

    async def one() -> None:
        async with first.hold("telegram", "42"):  # type: ignore[attr-defined]
            events.append("first in")
            held.set()
            await asyncio.sleep(0.3)
            events.append("first out")

    async def two() -> None:
        await held.wait()
        async with second.hold("telegram", "42"):  # type: ignore[attr-defined]
            events.append("second in")
        async with second.hold("telegram", "43"):  # type: ignore[attr-defined]
            events.append("other chat")

    await asyncio.gather(one(), two())
    return events


async def test_postgres_lock_lets_one_process_at_a_time_into_a_chat(db: Database) -> None:
    if db.dialect != "postgresql":
        assert isinstance(for_database(db, "redis://unused"), NoChatLock)  # SQLite: one process
        return
    other = Database(db.url.render_as_string(hide_password=False), schema=db.schema)
    try:
        events = await _order_of_two_holders(PostgresChatLock(db), PostgresChatLock(other))
    finally:
        await other.dispose()
    assert events == ["first in", "first out", "second in", "other chat"]


async def test_postgres_lock_is_freed_when_its_process_dies(db: Database) -> None:
    if db.dialect != "postgresql":
        return
    dying = Database(db.url.render_as_string(hide_password=False), schema=db.schema)
    holder = PostgresChatLock(dying).hold("telegram", "7")
    await holder.__aenter__()
    key = lock_key("telegram", "7")
    async with db.engine.connect() as conn:  # the holder's connection drops, as when killed
        await conn.execute(text(
            "SELECT pg_terminate_backend(pid) FROM pg_locks WHERE locktype = 'advisory' "
            "AND granted AND classid::bigint = (CAST(:key AS bigint) >> 32) & 4294967295 "
            "AND objid::bigint = CAST(:key AS bigint) & 4294967295"), {"key": key})
    try:
        async with asyncio.timeout(10), PostgresChatLock(db).hold("telegram", "7"):
            pass  # would wait forever if the lock had outlived its connection
    finally:
        with contextlib.suppress(Exception):
            await holder.__aexit__(None, None, None)
        await dying.dispose()


async def test_redis_lock_orders_holders_and_expires_after_a_crash() -> None:
    prefix = f"t{uuid.uuid4().hex[:8]}"
    first = RedisChatLock(REDIS_URL, prefix=prefix, ttl=0.6)
    second = RedisChatLock(REDIS_URL, prefix=prefix, ttl=0.6)
    try:
        try:
            await first.redis.ping()
        except Exception:
            pytest.skip(f"Redis unreachable at {REDIS_URL}")
        events = await _order_of_two_holders(first, second)
        assert events == ["first in", "first out", "second in", "other chat"]
        # A holder that crashed never releases: the lock's expiry frees the chat.
        crashed = first.redis.lock(f"{prefix}:chat-lock:telegram:9", timeout=0.6)
        assert await crashed.acquire()
        started = asyncio.get_running_loop().time()
        async with asyncio.timeout(5), second.hold("telegram", "9"):
            waited = asyncio.get_running_loop().time() - started
        assert 0.3 < waited < 5
    finally:
        await first.close()
        await second.close()


def test_lock_keys_are_stable_and_distinct() -> None:
    assert lock_key("telegram", "42") == lock_key("telegram", "42")
    assert lock_key("telegram", "42") != lock_key("zalo", "42")
    assert -(2**63) <= lock_key("telegram", "42") < 2**63


async def test_a_chats_earlier_unhandled_updates_come_in_update_id_order(db: Database) -> None:
    await inbox.store(db, "telegram", [("1000", {"n": 1000}), ("999", {"n": 999}),
                                       ("1001", {"n": 1001}), ("998", {"n": 998}),
                                       ("1002", {"n": 1002})],
                      ["5", "5", "5", "6", "5"])
    await inbox.mark_done(db, "telegram", "1000")
    earlier = await inbox.earlier(db, "telegram", "5", "1002")
    assert earlier == [("999", {"n": 999}), ("1001", {"n": 1001})]  # not chat 6's, not done
    assert await inbox.earlier(db, "telegram", "5", "999") == []


async def test_zalo_ids_carry_no_order_so_earlier_updates_are_those_stored_before(
        db: Database) -> None:
    await inbox.store(db, "zalo-bot", [("message.text.received:ff01", {"n": 1})], ["c1"])
    await inbox.store(db, "zalo-bot", [("message.text.received:0a02", {"n": 2})], ["c1"])
    await inbox.store(db, "zalo-bot", [("message.text.received:zz03", {"n": 3})], ["c2"])
    await inbox.store(db, "zalo-bot", [("message.text.received:1b04", {"n": 4})], ["c1"])
    earlier = await inbox.earlier(db, "zalo-bot", "c1", "message.text.received:1b04")
    assert earlier == [("message.text.received:ff01", {"n": 1}),
                       ("message.text.received:0a02", {"n": 2})]
    assert await inbox.earlier(db, "zalo-bot", "c1", "message.text.received:ff01") == []


async def test_long_button_payloads_are_shared_through_the_database(db: Database) -> None:
    long = "offer:" + "x" * 200
    await payloads.remember(db, {"~abc": long})
    await payloads.remember(db, {"~abc": long})  # a second process keeping the same pair
    assert await payloads.lookup(db, "~abc") == long
    assert await payloads.lookup(db, "~unknown") is None
