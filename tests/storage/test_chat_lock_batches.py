"""The PostgreSQL chat lock under load: many chats asked for at once by two processes, their
locks and unlocks sent together in few statements, still one process at a time in each chat,
and the answers of whether other updates of the chat wait in the inbox, and whether replies of
the chat wait to be sent, right for each."""

from __future__ import annotations

import asyncio

from sqlalchemy import update

from storage.chat_lock import PostgresChatLock
from storage.db import Database
from storage.models import OutboxMessage
from storage.repos import inbox, outbox
from storage.repos.outbox import Envelope


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
        async with locks[process].hold("telegram", chat, "5") as held:
            inside[chat] = inside.get(chat, 0) + 1
            if inside[chat] > 1:
                overlaps.append(chat)
            seen[(process, chat)] = held.waiting
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


async def test_the_lock_says_which_chats_have_replies_left_unsent(db: Database) -> None:
    """A reply committed and not recorded as sent (its process died) is seen by the statement
    that takes the chat, so the chat's next update sends it first without a query of its own;
    a sent reply, another chat's and a news message are not."""
    if db.dialect != "postgresql":
        return
    left = Envelope("reply", "telegram", "c1", {"text": "left unsent"})
    sent = Envelope("reply", "telegram", "c2", {"text": "sent"})
    news = Envelope("update", "telegram", "c3", {"text": "news"})
    async with db.transaction() as s:
        await outbox.enqueue(s, [left, sent, news])
        await s.execute(update(OutboxMessage).where(OutboxMessage.recipient == "c2")
                        .values(status="sent"))
    lock = PostgresChatLock(db, connections=1)
    seen: dict[str, bool] = {}

    async def take(chat: str) -> None:
        async with lock.hold("telegram", chat, "1") as held:
            seen[chat] = held.replies_pending

    try:
        await asyncio.gather(*(take(c) for c in ("c1", "c2", "c3", "c4")))
        async with lock.hold("zalo", "c1", "1") as held:
            seen["zalo c1"] = held.replies_pending
    finally:
        await lock.close()
    assert seen == {"c1": True, "c2": False, "c3": False, "c4": False, "zalo c1": False}
