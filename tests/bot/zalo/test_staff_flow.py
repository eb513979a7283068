"""The staff workflow across channels, end to end against the local fakes: a user in Bắc Giang
writes on the Zalo Bot Platform (fake_zalo), the Bắc Ninh point's staff member works in Telegram
(fake_telegram); alerts and the user's updates go through the outbox workers of both channels.
The demand is taken, proposed, connected and closed, the user told at each step; then an expert
introduction and an offer's "Cần bổ sung" round trip cross the same two channels."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Callable
from pathlib import Path

import pytest

from bot.app import App
from bot.telegram import TelegramChannel
from bot.telegram.runner import start_polling as start_telegram
from bot.telegram.runner import stop_polling as stop_telegram
from bot.worker import ChannelWorker, Leases, Pacing
from bot.zalo.bot_platform import ZaloBotChannel, ZaloBotSender, poll
from bot.zalo.client import ZaloBotClient
from bot.zalo.runner import start_polling as start_zalo
from storage.repos import staff
from tests.bot.fake_telegram import FakeTelegram
from tests.bot.fake_zalo import BOT_TOKEN, FakeZaloBot
from tests.bot.outbox.support import running, worker
from tests.bot.telegram.conftest import fake, make_channel  # noqa: F401,F811  (fixtures)
from tests.handlers.chat import ACCEPTANCE, fresh_app

LAN = 950
ZUSER = "zb-bacgiang"


@pytest.fixture
async def app(tmp_path: Path) -> AsyncIterator[App]:
    app = await fresh_app(tmp_path)
    await staff.add(app.services.db, "telegram", str(LAN), point="Bắc Ninh", name="Lan")
    yield app
    await app.close()


@pytest.fixture
async def channels(make_channel: Callable[..., TelegramChannel],  # noqa: F811
                   make_bot: Callable[..., ZaloBotChannel], app: App, fake: FakeTelegram,  # noqa: F811
                   fake_bot: FakeZaloBot) -> AsyncIterator[None]:
    telegram = make_channel(app)
    await start_telegram(telegram, poll_timeout=5)
    zalo = make_bot(app)
    await start_zalo(zalo, fake_bot.url)
    stop = asyncio.Event()
    task = asyncio.create_task(poll(zalo, stop, timeout=1))
    zalo_worker = ChannelWorker(
        app.services.db, ZaloBotSender(ZaloBotClient(BOT_TOKEN, fake_bot.url, timeout=5.0)),
        "zalo-bot:test", Pacing(rate=400, chat_interval=0.01, backoff=0.05),
        Leases(row_seconds=60, sender_seconds=10, batch=100, idle_poll=0.05), owner="zw")
    async with running(worker(app.services.db, fake.url), zalo_worker):  # type: ignore[attr-defined]
        yield
    stop.set()
    task.cancel()
    await asyncio.gather(task, return_exceptions=True)
    await zalo.stop()
    await stop_telegram(telegram)


class ZaloUser:
    def __init__(self, api: FakeZaloBot, chat: str) -> None:
        self.fake, self.chat = api, chat

    async def say(self, text: str, wanted: int = 1) -> str:
        before = len(self.fake.sent(self.chat))
        await self.fake.push(self.fake.message(self.chat, text, name="Minh"))
        return "\n".join((await self.fake.wait_sent(self.chat, before + wanted))[before:])

    def count(self) -> int:
        return len(self.fake.sent(self.chat))

    async def next(self, before: int) -> str:
        """The next message the user receives (an update from the outbox)."""
        return (await self.fake.wait_sent(self.chat, before + 1))[before]


class Staff:
    def __init__(self, api: FakeTelegram, chat: int) -> None:
        self.fake, self.chat = api, chat

    async def press(self, label: str) -> str:
        before = len(self.fake.sent(self.chat))
        await self.fake.push(self.fake.callback(self.chat, label))
        return (await self.fake.wait_sent(self.chat, before + 1))[-1]

    async def say(self, text: str) -> str:
        before = len(self.fake.sent(self.chat))
        await self.fake.push(self.fake.message(self.chat, text))
        return (await self.fake.wait_sent(self.chat, before + 1))[-1]

    def labels(self) -> list[str]:
        markup = self.fake.sent(self.chat)[-1].params.get("reply_markup") or {}
        return [b["text"] for row in markup.get("inline_keyboard", []) for b in row]


async def test_zalo_user_telegram_staff_demand_to_closed(
        channels: None, fake: FakeTelegram, fake_bot: FakeZaloBot) -> None:  # noqa: F811
    user, lan = ZaloUser(fake_bot, ZUSER), Staff(fake, LAN)
    await user.say(ACCEPTANCE)
    await user.say("Công ty TNHH Minh Phát")
    await user.say("0912 345 678")
    await user.say("1")  # "Đồng ý", by number: Zalo shows numbered choices
    confirmed = await user.say("Xác nhận", wanted=2)
    assert "đã ghi nhận nhu cầu số" in confirmed
    [alert] = await fake.wait_sent(LAN)
    assert "Nhu cầu mới" in alert and "nay thuộc Bắc Ninh" in alert and "Minh Phát" in alert

    told = user.count()
    assert "đã nhận xử lý" in await lan.press("Nhận xử lý")
    assert "cán bộ Lan" in await user.next(told)
    await lan.press("Đề xuất công nghệ/chuyên gia")
    assert "Đã đề xuất" in await lan.press("Đề xuất tất cả gợi ý")
    assert "đề xuất" in await user.next(told + 1)
    await lan.press("Đã kết nối")
    assert "Đã kết nối với" in await lan.press(lan.labels()[0])
    assert "kết nối anh/chị với" in await user.next(told + 2)
    await lan.press("Đóng")
    await lan.press("Đã ký kết/hợp tác")
    assert "đã đóng yêu cầu" in await lan.say("Ký hợp đồng chuyển giao")
    assert "đã ký kết" in await user.next(told + 3)


async def test_offer_question_round_trip_zalo_offerer_telegram_reviewer(
        channels: None, fake: FakeTelegram, fake_bot: FakeZaloBot) -> None:  # noqa: F811
    offerer, lan = ZaloUser(fake_bot, "zb-vien"), Staff(fake, LAN)
    await offerer.say("chúng tôi muốn chào bán công nghệ")
    await offerer.say("Máy sấy bơm nhiệt 500 kg/mẻ")
    asked = await offerer.say("Sấy nông sản bằng bơm nhiệt, tiết kiệm 40% điện so với sấy "
                              "điện trở")
    if "lĩnh vực nào" in asked:
        asked = await offerer.say("Chế biến")
    await offerer.say("Đã thương mại hóa")
    await offerer.say("Mua bán")
    await offerer.say("Viện Cơ điện nông nghiệp")
    await offerer.say("vien@vcd.vn")
    assert "chờ thẩm định" in await offerer.say("Xác nhận")

    assert "Máy sấy bơm nhiệt" in await lan.say("/duyet")
    await lan.press("Cần bổ sung")
    before = offerer.count()
    assert "đã gửi câu hỏi" in await lan.say("Công suất điện của máy là bao nhiêu kW?")
    question = await offerer.next(before)
    assert "bao nhiêu kW" in question
    staff_before = len(fake.sent(LAN))
    assert "đã chuyển câu trả lời" in await offerer.say("Công suất 15 kW, điện 3 pha")
    answer = (await fake.wait_sent(LAN, staff_before + 1))[-1]
    assert "Công suất 15 kW, điện 3 pha" in answer
    assert lan.labels() == ["Duyệt", "Cần bổ sung", "Từ chối"]
    assert "đã duyệt" in await lan.press("Duyệt")
    assert "đã được Trung tâm duyệt" in await offerer.next(before + 2)
