"""Real `ketnoi worker` processes killed mid-broadcast, counted on the fake Bot API's side.

Each message's attempt is committed before its request and its outcome after it. A message whose
request was under way at the SIGKILL cannot be told apart from one that never left (the Bot API
has no idempotency key): it is reported "unknown" and not sent again. So after any number of
kills: nobody gets a message twice, and every chat that got nothing is one reported "unknown".
"""

from __future__ import annotations

import asyncio
import signal

from storage.db import Database
from storage.repos import outbox
from tests.bot.fake_telegram import FakeTelegram
from tests.bot.outbox.support import LANES, Senders, add_subscribers, broadcast, until_done


def assert_once_each(api: FakeTelegram, chats: list[str]) -> int:
    """Nobody got the message twice, and nobody was forgotten; returns how many got nothing
    (each of them must be reported "unknown")."""
    delivered = api.delivered()
    assert set(delivered) <= set(chats)
    assert all(n == 1 for n in delivered.values()), "duplicated messages"
    return len(chats) - len(delivered)


async def test_sigkilled_senders_restarted_send_nothing_twice(
        sqlite: Database, senders: Senders, fake: tuple[FakeTelegram, str]) -> None:
    api, _ = fake
    chats = await add_subscribers(sqlite, 300)
    await broadcast(sqlite)
    for kill in range(1, 4):  # killed three times, at 50, 100 and 150 messages
        process = await senders.start()
        target = 50 * kill
        await api.wait_for(lambda: len(api.sent()) >= target, timeout=60)  # noqa: B023
        process.send_signal(signal.SIGKILL)
        await process.wait()
    assert 150 <= len(api.sent()) < 300
    last = await senders.start()
    await until_done(sqlite, timeout=120)
    last.send_signal(signal.SIGTERM)  # a clean stop: finishes in flight, exits 0
    assert await asyncio.wait_for(last.wait(), 30) == 0
    missing = assert_once_each(api, chats)
    counts = await outbox.counts(sqlite)
    # "unknown" rows may have arrived (the kill hit after the request): never more sent than seen
    assert counts.sent + counts.unknown == 300 and counts.sent <= len(api.delivered())
    assert missing <= counts.unknown <= 3 * LANES  # at most the requests in flight at a kill


async def test_two_senders_one_sends_the_other_takes_over(sqlite: Database, senders: Senders,
                                                          fake: tuple[FakeTelegram, str]) -> None:
    from sqlalchemy import select

    from storage.models import SenderLease

    api, _ = fake
    chats = await add_subscribers(sqlite, 240)
    await broadcast(sqlite)
    a, b = await senders.start(), await senders.start()
    await api.wait_for(lambda: len(api.sent()) >= 60, timeout=60)
    async with sqlite.session() as s:
        [lease] = (await s.execute(select(SenderLease))).scalars()
    active = next(p for p in (a, b) if f":{p.pid}:" in lease.owner)
    standby = b if active is a else a
    active.send_signal(signal.SIGKILL)
    await active.wait()
    await until_done(sqlite, timeout=120)
    assert standby.returncode is None  # it took over and finished the broadcast
    async with sqlite.session() as s:
        [lease] = (await s.execute(select(SenderLease))).scalars()
    assert f":{standby.pid}:" in lease.owner
    missing = assert_once_each(api, chats)
    assert missing <= (await outbox.counts(sqlite)).unknown <= LANES
