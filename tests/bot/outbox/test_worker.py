"""The outbox sender against the fake Bot API, counted on the fake's side."""

from __future__ import annotations

import asyncio
from datetime import timedelta

from sqlalchemy import select

from storage.db import Database
from storage.models import User
from storage.repos import outbox, subscriptions
from storage.sqltypes import utcnow
from tests.bot.fake_telegram import FakeTelegram, RateLimits
from tests.bot.outbox.support import add_subscribers, broadcast, running, until_done, worker

Fake = tuple[FakeTelegram, str]


async def test_2000_subscribers_each_get_exactly_one_message(sqlite: Database, fake: Fake) -> None:
    api, url = fake
    api.limits = RateLimits(overall=1000)  # a higher ceiling keeps the suite fast
    chats = await add_subscribers(sqlite, 2000)
    info = await broadcast(sqlite)
    assert info.recipients == 2000 and info.per_channel == {"telegram": 2000}
    async with running(worker(sqlite, url, rate=800)):
        await until_done(sqlite, timeout=120)
    delivered = api.delivered()
    assert sorted(delivered) == sorted(chats) and set(delivered.values()) == {1}
    assert "/huynhantin" in api.sent()[0].params["text"]
    assert (await outbox.counts(sqlite, info.id)).sent == 2000


async def test_pacing_stays_under_telegrams_limits(sqlite: Database, fake: Fake) -> None:
    """At the default 25 msg/s against a fake enforcing 30/s and 1/s per chat: no 429 at all,
    also with several messages queued for one chat."""
    api, url = fake
    api.limits = RateLimits(overall=30, chat_interval=1.0)
    await add_subscribers(sqlite, 60)
    await broadcast(sqlite)
    await outbox.post(sqlite, [outbox.Envelope("reply", "telegram", "100005", {"text": f"r{i}"})
                               for i in range(3)])
    async with running(worker(sqlite, url, rate=25)):
        await until_done(sqlite)
    assert api.limits.refused == 0
    assert len(api.sent()) == 63 and api.delivered()["100005"] == 4
    assert [t for t in api.texts("100005") if t.startswith("r")] == ["r0", "r1", "r2"]


async def test_too_fast_a_sender_honours_retry_after(sqlite: Database, fake: Fake) -> None:
    api, url = fake
    api.limits = RateLimits(overall=40)
    chats = await add_subscribers(sqlite, 160)
    await broadcast(sqlite)
    w = worker(sqlite, url, rate=400, lanes=4)
    async with running(w):
        await until_done(sqlite)
    delivered = api.delivered()
    assert sorted(delivered) == sorted(chats) and set(delivered.values()) == {1}
    assert w.stats.rate_limited > 0
    # Pausing the token after each 429 costs at most one refusal per lane and second; retrying
    # at once would be refused about nine times in ten at this speed.
    assert api.limits.refused <= 4 * (160 // 40 + 2)


async def test_a_user_who_blocked_the_bot(sqlite: Database, fake: Fake) -> None:
    api, url = fake
    chats = await add_subscribers(sqlite, 5)
    api.blocked_chats.add(chats[2])
    info = await broadcast(sqlite)
    await broadcast(sqlite, "Tin thứ hai")
    async with running(worker(sqlite, url)):
        await until_done(sqlite)
    report = await outbox.counts(sqlite, info.id)
    assert report.sent == 4 and report.failed == {"blocked": 1}
    assert len(api.calls_to("sendMessage")) == 4 + 1 + 4  # nothing more tried for the blocked chat
    async with sqlite.session() as s:
        user = (await s.execute(select(User).where(User.external_id == chats[2]))).scalar_one()
    assert user.active is False
    assert (await outbox.counts(sqlite)).skipped == {"blocked": 1}


async def test_unsubscribe_during_a_broadcast(sqlite: Database, fake: Fake) -> None:
    api, url = fake
    chats = await add_subscribers(sqlite, 40)
    info = await broadcast(sqlite)
    async with running(worker(sqlite, url, rate=20, lanes=1)):
        await api.wait_for(lambda: len(api.sent()) >= 5)
        async with sqlite.transaction() as s:
            last = (await s.execute(select(User).where(User.external_id == chats[-1]))).scalar_one()
            assert await subscriptions.deactivate_all(s, last) == 1
        await until_done(sqlite)
    assert chats[-1] not in api.delivered() and len(api.sent()) == 39
    assert (await outbox.counts(sqlite, info.id)).skipped == {"unsubscribed": 1}


async def test_scheduled_broadcast_waits_for_its_time(sqlite: Database, fake: Fake) -> None:
    api, url = fake
    await add_subscribers(sqlite, 3)
    at = utcnow() + timedelta(hours=2)
    info = await broadcast(sqlite, send_at=at)
    now = [utcnow()]
    w = worker(sqlite, url)
    w.clock = lambda: now[0]
    async with running(w):
        for _ in range(10):  # several looks at the outbox, before the time
            await asyncio.sleep(0.06)
        assert api.sent() == []
        assert (await outbox.counts(sqlite, info.id)).pending == 3
        now[0] = at + timedelta(seconds=1)
        await until_done(sqlite)
    assert len(api.sent()) == 3


async def test_cancel_stops_what_is_not_sent(sqlite: Database, fake: Fake) -> None:
    from storage.repos import broadcasts

    api, url = fake
    await add_subscribers(sqlite, 30)
    info = await broadcast(sqlite)
    async with running(worker(sqlite, url, rate=20, lanes=1)):
        await api.wait_for(lambda: len(api.sent()) >= 3)
        stopped = await broadcasts.cancel(sqlite, info.id)
        await until_done(sqlite)
    report = await broadcasts.report(sqlite, info.id)
    # The report tells the truth: a message already on its way when staff cancelled counts as
    # sent (the sender looks again at most every 0.2 s, a few messages at 20 msg/s).
    skipped = report.counts.skipped.get("cancelled", 0)
    assert report.status == "cancelled" and stopped >= skipped >= 30 - 3 - 8
    assert report.counts.sent == len(api.sent()) and report.counts.sent + skipped == 30


async def test_one_active_sender_per_token(sqlite: Database, fake: Fake) -> None:
    api, url = fake
    chats = await add_subscribers(sqlite, 50)
    await broadcast(sqlite)
    a, b = worker(sqlite, url, owner="a"), worker(sqlite, url, owner="b")
    async with running(a, b):
        await until_done(sqlite)
    assert sorted(api.delivered()) == sorted(chats) and set(api.delivered().values()) == {1}
    assert sorted([a.stats.sent, b.stats.sent]) == [0, 50]


async def test_two_tokens_send_from_one_outbox_without_duplicates(db: Database,
                                                                  fake: Fake) -> None:
    """Two active senders (SQLite and PostgreSQL) claiming from the same rows."""
    api, url = fake
    chats = await add_subscribers(db, 150)
    await broadcast(db)
    a = worker(db, url, owner="a", lease="telegram:1")
    b = worker(db, url, owner="b", lease="telegram:2")
    async with running(a, b):
        await until_done(db)
    delivered = api.delivered()
    assert sorted(delivered) == sorted(chats) and set(delivered.values()) == {1}
    assert a.stats.sent > 0 and b.stats.sent > 0
