"""One lock per chat: a chat's holders go one after the other in the order they asked, other
chats do not wait for it, and a chat nobody holds or waits for is forgotten."""

from __future__ import annotations

import asyncio

import pytest

from storage.keyed_locks import KeyedLocks


async def test_one_chat_in_order_others_alongside_and_idle_chats_forgotten() -> None:
    locks = KeyedLocks()
    order: list[str] = []
    gate = asyncio.Event()

    async def turn(chat: str, name: str) -> None:
        async with locks.hold(chat):
            order.append(f"{name} in")
            if name == "a1":
                await gate.wait()
            order.append(f"{name} out")

    first = asyncio.create_task(turn("a", "a1"))
    await asyncio.sleep(0)
    later = [asyncio.create_task(turn("a", f"a{n}")) for n in (2, 3)]
    await asyncio.wait_for(turn("b", "b1"), 1)  # another chat is not held up by chat a
    assert order == ["a1 in", "b1 in", "b1 out"] and len(locks) == 1
    gate.set()
    await asyncio.gather(first, *later)
    assert order[3:] == ["a1 out", "a2 in", "a2 out", "a3 in", "a3 out"]
    assert len(locks) == 0


async def test_a_holder_that_fails_or_is_cancelled_frees_the_chat() -> None:
    locks = KeyedLocks()

    async def fail() -> None:
        async with locks.hold("a"):
            raise ValueError("boom")

    held = asyncio.Event()

    async def wait_forever() -> None:
        async with locks.hold("a"):
            held.set()
            await asyncio.Event().wait()

    with pytest.raises(ValueError):
        await fail()
    task = asyncio.create_task(wait_forever())
    await held.wait()
    waiter = asyncio.create_task(asyncio.wait_for(_take(locks), 5))
    task.cancel()
    assert await waiter == "taken" and len(locks) == 0


async def _take(locks: KeyedLocks) -> str:
    async with locks.hold("a"):
        return "taken"
