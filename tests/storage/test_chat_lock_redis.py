"""The Redis chat lock under load: hundreds of a process's turns at once, none refused."""

from __future__ import annotations

import asyncio
import contextlib
import os
import uuid
from typing import Any

import pytest

from storage.chat_lock import RedisChatLock

REDIS_URL = os.environ.get("KETNOI_TEST_REDIS_URL", "redis://127.0.0.1:6379/0")


async def reachable(lock: RedisChatLock) -> None:
    """Skips the test when Redis is down (CI has it: there the test runs)."""
    try:
        await lock.redis.ping()
    except Exception:
        pytest.skip(f"Redis unreachable at {REDIS_URL}")


async def test_hundreds_of_turns_at_once_each_get_their_chat_in_turn() -> None:
    """600 turns of 60 chats in one process (a busy worker): every one gets its chat (the
    Redis client's pool used to refuse commands past 100 in flight, failing the turn), and
    never two of one chat at once."""
    lock = RedisChatLock(REDIS_URL, prefix=f"t{uuid.uuid4().hex[:8]}", ttl=5)
    try:
        await reachable(lock)
        inside: dict[str, int] = {}
        overlaps = 0

        async def turn(n: int) -> None:
            nonlocal overlaps
            chat = str(n % 60)
            async with lock.hold("telegram", chat):
                inside[chat] = inside.get(chat, 0) + 1
                overlaps += inside[chat] > 1
                await asyncio.sleep(0.001 * (n % 3))
                inside[chat] -= 1

        async with asyncio.timeout(30):
            await asyncio.gather(*(turn(n) for n in range(600)))
        assert overlaps == 0
    finally:
        await lock.close()


async def test_a_holder_is_not_kept_by_a_renewal_that_loses_its_cancel() -> None:
    """A cancel that reaches the renewal inside a Redis command can be lost; the holder must
    still leave and free the chat (it used to wait for the renewal, which renewed forever)."""
    prefix = f"t{uuid.uuid4().hex[:8]}"
    first = RedisChatLock(REDIS_URL, prefix=prefix, ttl=0.3)
    second = RedisChatLock(REDIS_URL, prefix=prefix, ttl=0.3)
    make_lock = first.redis.lock
    renewing = asyncio.Event()

    def lock_losing_cancels(*args: Any, **kwargs: Any) -> Any:
        lock = make_lock(*args, **kwargs)
        reacquire = lock.reacquire

        async def slow_reacquire() -> Any:
            renewing.set()
            with contextlib.suppress(asyncio.CancelledError):  # the cancel is lost here
                await asyncio.sleep(0.5)
            return await reacquire()

        lock.reacquire = slow_reacquire
        return lock

    first.redis.lock = lock_losing_cancels
    try:
        await reachable(first)
        loop = asyncio.get_running_loop()
        async with asyncio.timeout(5):
            async with first.hold("telegram", "5"):
                await renewing.wait()  # leaves while the renewal is in its command
                left = loop.time()
            async with second.hold("telegram", "5"):
                assert loop.time() - left < 1.5  # not freed by the expiry of a dead renewal
    finally:
        await first.close()
        await second.close()


async def test_a_chat_held_elsewhere_is_asked_about_less_and_less_often() -> None:
    """A killed process's chats stay locked until the expiry: the live processes ask Redis
    about each with a growing pause (every 5 ms for 10 s took a CPU's worth of their time at a
    kill), and get the chat soon after it is free."""
    prefix = f"t{uuid.uuid4().hex[:8]}"
    elsewhere = RedisChatLock(REDIS_URL, prefix=prefix, ttl=5)
    here = RedisChatLock(REDIS_URL, prefix=prefix, ttl=5)
    asked = 0
    set_command = here.redis.set

    async def counted_set(*args: Any, **kwargs: Any) -> Any:
        nonlocal asked
        asked += 1
        return await set_command(*args, **kwargs)

    here.redis.set = counted_set
    try:
        await reachable(here)
        loop = asyncio.get_running_loop()
        got = 0.0

        async def take() -> None:
            nonlocal got
            async with here.hold("telegram", "9"):
                got = loop.time()

        async with asyncio.timeout(10):
            async with elsewhere.hold("telegram", "9"):
                waiting = asyncio.create_task(take())
                await asyncio.sleep(1.0)
                assert not waiting.done()
                freed = loop.time()
            await waiting
            assert got - freed < 0.3
        assert asked <= 20  # a pause of 5 ms, 10, 20, ... up to 100 ms: about 15 in 1 s
    finally:
        await elsewhere.close()
        await here.close()
