"""A Zalo OA's events handled by two bots on one PostgreSQL database (two `App`s, each with its
own connection pool and chat locks, as two processes have): each user's replies once, in the
order the events came, whichever bot took each one."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator, Callable
from pathlib import Path

import pytest

from bot.zalo.oa import ZaloOAChannel
from bot.zalo.tokens import TokenKeeper
from storage.db import Database
from tests.bot.fake_zalo_oa import FakeZaloOA
from tests.bot.telegram.serving import same, settle
from tests.handlers.chat import Bot, make_app

# A find-technology demand, typed (a typed choice's label answers it).
DIALOGUE = ["cty minh o bac giang can cong nghe say vai thieu, kinh phi khoang 500 trieu",
            "Công ty TNHH Minh Phát", "0912345678", "Đồng ý", "Xác nhận"]


@pytest.fixture
async def two_bots(tmp_path: Path, make_oa: Callable[..., ZaloOAChannel],
                   keeper: TokenKeeper) -> AsyncIterator[list[ZaloOAChannel]]:
    first = await Bot.open(tmp_path, database="postgresql")
    second = await make_app(first.url, first.nlu, None, Database(first.url, schema=first.schema))
    channels = [make_oa(app, keeper, buttons="text") for app in (first.app, second)]
    try:
        assert all(channel.turns.order is not None for channel in channels)  # across processes
        yield channels
    finally:
        for channel in channels:
            await channel.tasks.drain()
        await second.close()
        await first.close()




async def test_two_bots_answer_each_oa_event_once_in_the_order_it_came(
        fake_oa: FakeZaloOA, two_bots: list[ZaloOAChannel]) -> None:
    for step, line in enumerate(DIALOGUE):  # the reference: each answered before the next
        before = len(fake_oa.sent("oa0"))
        await two_bots[step % 2].accept(fake_oa.text("oa0", line))
        await fake_oa.wait_for(lambda b=before: len(fake_oa.sent("oa0")) > b, 30)
        await settle(fake_oa, "oa0", quiet=0.3)
    reference = same(fake_oa.texts("oa0"))
    assert any("nhu cầu số" in t for t in reference)  # the demand is confirmed

    users = [f"oa{n}" for n in range(1, 5)]

    async def write(n: int, user: str) -> None:  # each event to the other bot, no waiting
        for step, line in enumerate(DIALOGUE):
            await two_bots[(step + n) % 2].accept(fake_oa.text(user, line))

    await asyncio.gather(*(write(n, user) for n, user in enumerate(users)))
    with contextlib.suppress(TimeoutError):  # too few replies: the comparison says which
        await fake_oa.wait_for(
            lambda: all(len(fake_oa.sent(u)) >= len(reference) for u in users), 60)
    for user in users:
        await settle(fake_oa, user, quiet=0.3)
        assert same(fake_oa.texts(user)) == reference, f"user {user}"
