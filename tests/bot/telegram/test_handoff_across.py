"""A handoff across channels: a Zalo Bot Platform user (fake Zalo API) asks for a person, a
Telegram staff member (fake Bot API) takes it; messages go both ways through the outbox, each
delivered by its own channel's worker, until the staff member ends it with `/ketthuc`."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Callable
from pathlib import Path

import pytest

from bot.app import App
from bot.telegram import TelegramChannel
from bot.telegram.runner import start_polling, stop_polling
from bot.worker import ChannelWorker, Leases, Pacing
from bot.zalo.bot_platform import ZaloBotChannel, ZaloBotSender, poll
from bot.zalo.client import ZaloBotClient
from bot.zalo.convert import BOT_CHANNEL
from bot.zalo.runner import start_polling as start_zalo
from storage.models import User
from storage.repos import staff
from tests.bot.fake_telegram import FakeTelegram
from tests.bot.fake_zalo import BOT_TOKEN, FakeZaloBot
from tests.bot.outbox.support import running, worker
from tests.bot.zalo.conftest import fake_bot, make_bot, no_wait  # noqa: F401  (fixtures)
from tests.handlers.chat import fresh_app

HOA, LAN = "zalo-hoa", 950


@pytest.fixture
async def app(tmp_path: Path) -> AsyncIterator[App]:
    app = await fresh_app(tmp_path)
    await staff.add(app.services.db, "telegram", str(LAN), point="Bắc Ninh", name="Lan")
    async with app.services.db.transaction() as s:
        s.add(User(channel=BOT_CHANNEL, external_id=HOA, province="bac_ninh",
                   email="hoa@example.vn", display_name="Hoa"))
    yield app
    await app.close()


@pytest.fixture
async def channels(make_channel: Callable[..., TelegramChannel],
                   make_bot: Callable[..., ZaloBotChannel],  # noqa: F811
                   fake_bot: FakeZaloBot, app: App) -> AsyncIterator[None]:  # noqa: F811
    telegram = make_channel(app)
    await start_polling(telegram, poll_timeout=5)
    zalo = make_bot(app)
    await start_zalo(zalo, fake_bot.url)
    stop = asyncio.Event()
    task = asyncio.create_task(poll(zalo, stop, timeout=1))
    yield
    stop.set()
    task.cancel()
    await asyncio.gather(task, return_exceptions=True)
    await zalo.stop()
    await stop_polling(telegram)


def zalo_worker(app: App, fake_bot: FakeZaloBot) -> ChannelWorker:  # noqa: F811
    sender = ZaloBotSender(ZaloBotClient(BOT_TOKEN, fake_bot.url, timeout=5.0))
    return ChannelWorker(app.services.db, sender, "zalo-bot:test",
                         Pacing(rate=100, chat_interval=0.1, backoff=0.05),
                         Leases(row_seconds=60, sender_seconds=10, batch=50, idle_poll=0.05),
                         owner="zw", lanes=2)


async def test_zalo_user_and_telegram_staff(fake: FakeTelegram, fake_bot: FakeZaloBot,  # noqa: F811
                                            channels: None, app: App) -> None:
    workers = (worker(app.services.db, fake.url), zalo_worker(app, fake_bot))  # type: ignore[attr-defined]
    async with running(*workers):
        await fake_bot.push(fake_bot.message(HOA, "cho toi gap can bo", name="Hoa"))
        [alert] = await fake.wait_sent(LAN)
        assert "Yêu cầu gặp cán bộ" in alert and "Hoa" in alert and "Zalo" in alert

        told = len(fake_bot.sent(HOA))
        await fake.push(fake.callback(LAN, "Tiếp nhận"))
        await fake_bot.wait_for(lambda: any("cán bộ Lan" in t for t in fake_bot.texts(HOA)))
        assert len(fake_bot.sent(HOA)) > told

        await fake.wait_for(lambda: any("đã tiếp nhận" in t for t in fake.texts(LAN)))
        hoa_had = len(fake_bot.sent(HOA))
        await fake_bot.push(fake_bot.message(HOA, "Em cần máy sấy vải thiều ạ", name="Hoa"))
        await fake.wait_for(lambda: fake.texts(LAN)[-1].endswith("): Em cần máy sấy vải thiều ạ"))
        assert "Hoa" in fake.texts(LAN)[-1]
        assert len(fake_bot.sent(HOA)) == hoa_had  # the bot stayed quiet

        await fake.push(fake.message(LAN, "Chào chị Hoa, em gửi chị danh sách nhé"))
        await fake_bot.wait_for(lambda: "Cán bộ Lan: Chào chị Hoa, em gửi chị danh sách nhé"
                                in fake_bot.texts(HOA))

        await fake.push(fake.message(LAN, "/ketthuc"))
        await fake_bot.wait_for(lambda: any("đã kết thúc cuộc trò chuyện" in t
                                            for t in fake_bot.texts(HOA)))
        await fake.wait_for(lambda: any("đã kết thúc cuộc trò chuyện với Hoa" in t
                                        for t in fake.texts(LAN)))
