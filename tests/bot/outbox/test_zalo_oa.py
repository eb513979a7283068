"""News to Zalo OA followers through the outbox, against the fake OA API: inside the
consultation window as cs messages; outside it, with KETNOI_ZALO_OA_PROMOTION, as promotion
messages, only 06:00-21:59 Vietnam time and one per follower per day (a second one waits for the
next morning); without it, reported "outside the Zalo window"."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Callable
from datetime import datetime, time, timedelta

import pytest
from sqlalchemy import select

from bot.worker import ChannelWorker, Leases, Pacing
from bot.zalo.oa import VIETNAM, ZaloOAClient, ZaloOASender
from bot.zalo.setup import OutboxPromotions
from bot.zalo.tokens import TokenPair
from storage.db import Database
from storage.models import OutboxMessage
from storage.repos import outbox
from storage.sqltypes import utcnow
from tests.bot.fake_zalo_oa import FakeZaloOA
from tests.bot.outbox.support import add_subscribers, broadcast, running
from tests.bot.telegram.server import serving
from tests.bot.zalo.conftest import make_keeper


class Clock:
    """Vietnam time of the test, shared by the sender, the worker and the fake."""

    def __init__(self, day_offset: int, at: time) -> None:
        tomorrow = utcnow().astimezone(VIETNAM).date() + timedelta(days=day_offset)
        self.now = datetime.combine(tomorrow, at, VIETNAM)

    def __call__(self) -> datetime:
        return self.now


@pytest.fixture
async def oa() -> AsyncIterator[FakeZaloOA]:
    async with serving(api := FakeZaloOA()):
        yield api


async def oa_worker(db: Database, api: FakeZaloOA, clock: Clock,
                    promotions: bool = True) -> ChannelWorker:
    keeper = make_keeper(api, db)
    access, refresh = api.issue_pair()
    await keeper.store(TokenPair(access, refresh, clock() + timedelta(hours=25)))
    api.clock = clock
    sender = ZaloOASender(ZaloOAClient(api.url), keeper, "template", clock=clock,
                          promotions=OutboxPromotions(db) if promotions else None)
    return ChannelWorker(db, sender, "zalo-oa:test", Pacing(rate=100, chat_interval=0.01),
                         Leases(idle_poll=0.05), clock=clock)


async def rows(db: Database) -> list[OutboxMessage]:
    async with db.session() as s:
        return list((await s.execute(select(OutboxMessage).order_by(OutboxMessage.id)))
                    .scalars())


async def settled(db: Database, done: Callable[[list[OutboxMessage]], bool]) -> None:
    """Wait (a safety bound) until nothing is in flight and `done` holds for the rows."""
    for _ in range(400):
        now = await rows(db)
        if all(r.status not in ("claimed", "sending") for r in now) and done(now):
            return
        await asyncio.sleep(0.05)
    raise TimeoutError([(r.recipient, r.status, r.reason) for r in await rows(db)])


async def test_outside_the_window_a_promotion_once_a_day(sqlite: Database,
                                                         oa: FakeZaloOA) -> None:
    inside, *outside = await add_subscribers(sqlite, 3, channel="zalo-oa", first=5000)
    oa.outside_window = set(outside)
    clock = Clock(1, time(10, 0))
    worker = await oa_worker(sqlite, oa, clock)
    first = await broadcast(sqlite, "Techmart Bắc Ninh 2026")
    async with running(worker):
        await settled(sqlite, lambda rs: all(r.status == "sent" for r in rs))
        assert oa.texts(inside)[0].startswith("Techmart Bắc Ninh 2026")
        for user in outside:
            [promotion] = oa.promotions(user)
            payload = promotion.params["message"]["attachment"]["payload"]
            assert payload["template_type"] == "promotion"
            assert payload["elements"][0]["content"] == "Techmart Bắc Ninh 2026"
        # A second broadcast the same day: cs inside the window; promotions wait for tomorrow.
        second = await broadcast(sqlite, "Hội thảo chuyển giao công nghệ sấy")
        await settled(sqlite, lambda rs: all(r.status == "sent" or r.reason and "tomorrow"
                                             in r.reason for r in rs))
        assert len(oa.texts(inside)) == 2 and len(oa.promotions()) == 2
        waiting = [r for r in await rows(sqlite) if r.broadcast_id == second.id
                   and r.status == "pending"]
        morning = datetime.combine(clock().date() + timedelta(days=1), time(6, 0), VIETNAM)
        assert sorted(r.recipient for r in waiting) == sorted(outside)
        assert all(r.not_before == morning for r in waiting)
        clock.now = morning + timedelta(minutes=5)
        await settled(sqlite, lambda rs: all(r.status == "sent" for r in rs))
    assert all(len(oa.promotions(user)) == 2 for user in outside)
    assert not [c for c in oa.calls_to("promotion") if c.error]  # never refused by Zalo
    report = await outbox.counts(sqlite, first.id)
    assert report.sent == 3 and not report.failed


async def test_at_night_promotions_wait_for_six_in_the_morning(sqlite: Database,
                                                               oa: FakeZaloOA) -> None:
    [user] = await add_subscribers(sqlite, 1, channel="zalo-oa", first=6000)
    oa.outside_window = {user}
    clock = Clock(1, time(22, 30))
    worker = await oa_worker(sqlite, oa, clock)
    await broadcast(sqlite)
    async with running(worker):
        await settled(sqlite, lambda rs: rs[0].reason is not None and "06:00" in rs[0].reason)
        assert oa.calls_to("promotion") == []  # not even tried at night
        [row] = await rows(sqlite)
        morning = datetime.combine(clock().date() + timedelta(days=1), time(6, 0), VIETNAM)
        assert (row.status, row.not_before, row.attempts) == ("pending", morning, 0)
        clock.now = morning
        await settled(sqlite, lambda rs: rs[0].status == "sent")
    assert len(oa.promotions(user)) == 1


async def test_without_promotions_outside_the_window_is_reported(sqlite: Database,
                                                                 oa: FakeZaloOA) -> None:
    [user] = await add_subscribers(sqlite, 1, channel="zalo-oa", first=6100)
    oa.outside_window = {user}
    worker = await oa_worker(sqlite, oa, Clock(1, time(10, 0)), promotions=False)
    info = await broadcast(sqlite)
    async with running(worker):
        await settled(sqlite, lambda rs: rs[0].status == "failed")
    assert oa.calls_to("promotion") == []
    assert (await outbox.counts(sqlite, info.id)).failed == {"outside the Zalo window": 1}
