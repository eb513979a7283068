"""The PostgreSQL chat lock under load: many chats asked for at once by two processes, their
locks and unlocks sent together in few statements, still one process at a time in each chat,
and the answer of whether other updates of the chat wait in the inbox right for each."""

from __future__ import annotations

import asyncio

from storage.chat_lock import PostgresChatLock
from storage.db import Database
from storage.repos import inbox


async def test_two_busy_processes_never_hold_one_chat_together(db: Database) -> None:
    if db.dialect != "postgresql":
        return
    other = Database(db.url.render_as_string(hide_password=False), schema=db.schema)
    await inbox.store(db, "telegram", [("5", {}), ("6", {})], ["c3", "c3"])
    locks = [PostgresChatLock(db, connections=2), PostgresChatLock(other, connections=2)]
    inside: dict[str, int] = {}
    overlaps: list[str] = []
    seen: dict[tuple[int, str], bool] = {}

    async def turn(process: int, chat: str) -> None:
        async with locks[process].hold("telegram", chat, "5") as waiting:
            inside[chat] = inside.get(chat, 0) + 1
            if inside[chat] > 1:
                overlaps.append(chat)
            seen[(process, chat)] = waiting
            await asyncio.sleep(0.01)
            inside[chat] -= 1

    try:
        chats = [f"c{n}" for n in range(40)]
        await asyncio.gather(*(turn(p, c) for c in chats for p in (0, 1) for _ in range(2)))
    finally:
        for lock in locks:
            await lock.close()
        await other.dispose()
    assert overlaps == []
    assert len(seen) == 80
    # Chat c3 has update 6 waiting besides 5; no other chat has any.
    assert {chat for (_, chat), waiting in seen.items() if waiting} == {"c3"}
