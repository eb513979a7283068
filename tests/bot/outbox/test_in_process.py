"""The worker beside the bot in one process (`ketnoi run telegram` / `ketnoi serve`), or not."""

from __future__ import annotations

import asyncio

from bot.config import Settings
from bot.worker_service import in_process
from storage.db import Database
from tests.bot.fake_telegram import TOKEN, FakeTelegram
from tests.bot.outbox.support import add_subscribers, broadcast


def _settings(db: Database, url: str) -> Settings:
    return Settings(database_url=db.url.render_as_string(hide_password=False),
                    telegram_token=TOKEN, telegram_api_url=url, telegram_broadcast_rate=200,
                    jobs_interval=3600)


async def test_in_process_worker_sends_then_stops_with_the_bot(
        sqlite: Database, fake: tuple[FakeTelegram, str]) -> None:
    api, url = fake
    chats = await add_subscribers(sqlite, 12)
    await broadcast(sqlite)
    async with in_process(_settings(sqlite, url)):
        await api.wait_for(lambda: len(api.sent()) == 12)
    assert sorted(api.delivered()) == sorted(chats)


async def test_no_worker_sends_nothing(sqlite: Database, fake: tuple[FakeTelegram, str]) -> None:
    api, url = fake
    await add_subscribers(sqlite, 3)
    await broadcast(sqlite)
    async with in_process(_settings(sqlite, url), enabled=False):
        for _ in range(10):
            await asyncio.sleep(0.05)
    assert api.sent() == []
