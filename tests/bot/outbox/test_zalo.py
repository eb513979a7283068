"""The outbox sender on the Zalo Bot Platform, through its fake: the same worker, another sender."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest

from bot.config import Settings
from bot.worker import ChannelWorker, Leases, Pacing
from bot.worker_service import zalo_senders
from storage.db import Database
from storage.repos import outbox
from tests.bot.fake_zalo import BOT_TOKEN, FakeZaloBot
from tests.bot.outbox.support import add_subscribers, broadcast, running, until_done
from tests.bot.telegram.server import serving


@pytest.fixture
async def zalo() -> AsyncIterator[tuple[FakeZaloBot, str]]:
    async with serving(api := FakeZaloBot()) as url:
        yield api, url


async def test_broadcast_reaches_zalo_bot_subscribers(sqlite: Database,
                                                      zalo: tuple[FakeZaloBot, str]) -> None:
    api, url = zalo
    chats = await add_subscribers(sqlite, 6, channel="zalo-bot", first=7000)
    info = await broadcast(sqlite)
    assert info.per_channel == {"zalo-bot": 6}
    [sender] = zalo_senders(Settings(zalo_bot_token=BOT_TOKEN, zalo_bot_api_url=url), sqlite)
    worker = ChannelWorker(sqlite, sender, "zalo-bot:test", Pacing(rate=100),
                           Leases(idle_poll=0.05))
    async with running(worker):
        await until_done(sqlite)
    assert sorted(c.chat_id for c in api.sent()) == sorted(chats)
    assert "/huynhantin" in api.texts(chats[0])[0]
    assert (await outbox.counts(sqlite, info.id)).sent == 6

