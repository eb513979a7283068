"""The staff workflow end to end through the fake Bot API: a user in Bắc Giang sends a demand in
Telegram, the Bắc Ninh point's staff member gets the alert (delivered by the outbox worker),
takes it, proposes, marks it connected and closes it; the user is told at each step."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Callable
from pathlib import Path

import pytest

from bot.app import App
from bot.telegram import TelegramChannel
from bot.telegram.runner import start_polling, stop_polling
from storage.repos import staff
from tests.bot.fake_telegram import FakeTelegram
from tests.bot.outbox.support import running, worker
from tests.handlers.chat import ACCEPTANCE, fresh_app

USER, LAN = 901, 950


@pytest.fixture
async def app(tmp_path: Path) -> AsyncIterator[App]:
    app = await fresh_app(tmp_path)
    await staff.add(app.services.db, "telegram", str(LAN), point="Bắc Ninh", name="Lan")
    yield app
    await app.close()


@pytest.fixture
async def live(make_channel: Callable[..., TelegramChannel],
               app: App) -> AsyncIterator[TelegramChannel]:
    channel = make_channel(app)
    await start_polling(channel, poll_timeout=5)
    yield channel
    await stop_polling(channel)


async def say(fake: FakeTelegram, chat: int, text: str) -> str:
    before = len(fake.sent(chat))
    await fake.push(fake.message(chat, text))
    return (await fake.wait_sent(chat, before + 1))[-1]


async def press(fake: FakeTelegram, chat: int, label: str, wanted: int = 1) -> str:
    """Press a button; wait for `wanted` more messages to this chat; the last one's text."""
    before = len(fake.sent(chat))
    await fake.push(fake.callback(chat, label))
    return (await fake.wait_sent(chat, before + wanted))[-1]


def first_button(fake: FakeTelegram, chat: int) -> str:
    markup = fake.sent(chat)[-1].params.get("reply_markup") or {}
    return str(markup["inline_keyboard"][0][0]["text"])


async def settled(fake: FakeTelegram, chat: int) -> int:
    """How many messages the chat got, once nothing new came for a moment."""
    seen = -1
    while len(fake.sent(chat)) != seen:
        seen = len(fake.sent(chat))
        await asyncio.sleep(0.3)
    return seen


async def test_demand_from_alert_to_closed_user_told_each_step(
        fake: FakeTelegram, live: TelegramChannel, app: App) -> None:
    async with running(worker(app.services.db, fake.url)):  # type: ignore[attr-defined]
        await say(fake, USER, ACCEPTANCE)
        await say(fake, USER, "Công ty TNHH Minh Phát")
        await say(fake, USER, "0912 345 678")
        await press(fake, USER, "Đồng ý")
        await press(fake, USER, "Xác nhận")
        [alert] = await fake.wait_sent(LAN)
        assert "Nhu cầu mới" in alert and "Minh Phát" in alert and "nay thuộc Bắc Ninh" in alert

        told = await settled(fake, USER)  # the whole confirmation, however fast the alert came
        assert "đã nhận xử lý" in await press(fake, LAN, "Nhận xử lý")
        assert "cán bộ Lan" in (await fake.wait_sent(USER, told + 1))[-1]
        await press(fake, LAN, "Đề xuất công nghệ/chuyên gia")
        assert "Đã đề xuất" in await press(fake, LAN, "Đề xuất tất cả gợi ý")
        assert "đề xuất" in (await fake.wait_sent(USER, told + 2))[-1]
        await press(fake, LAN, "Đã kết nối")
        assert "Đã kết nối với" in await press(fake, LAN, first_button(fake, LAN))
        assert "kết nối anh/chị với" in (await fake.wait_sent(USER, told + 3))[-1]
        await press(fake, LAN, "Đóng")
        await press(fake, LAN, "Đã ký kết/hợp tác")
        assert "đã đóng yêu cầu" in await say(fake, LAN, "Ký hợp đồng chuyển giao")
        assert "đã ký kết" in (await fake.wait_sent(USER, told + 4))[-1]
        assert "Ký hợp đồng chuyển giao" in await say(fake, USER, "yeu cau cua toi")


async def test_admin_adds_a_colleague_by_sharing_their_contact(
        fake: FakeTelegram, live: TelegramChannel, app: App) -> None:
    await staff.add(app.services.db, "telegram", str(LAN), point="Bắc Ninh", name="Lan",
                    role="admin")
    assert "chia sẻ danh bạ" in await say(fake, LAN, "/canbo them")
    before = len(fake.sent(LAN))
    card = {"phone_number": "+84912000777", "first_name": "Hùng", "user_id": 777}
    await fake.push(fake.message(LAN, contact=card))
    [added] = (await fake.wait_sent(LAN, before + 1))[before:]
    assert "đã thêm" in added and "telegram:777" in added
    member = await staff.find(app.services.db, "telegram", "777")
    assert member is not None and member.point == "DKN-BN" and member.role == "staff"
    lan = await staff.find(app.services.db, "telegram", str(LAN))
    assert lan is not None and lan.is_admin  # the admin's own record is unchanged
    assert "chia sẻ danh bạ" in await say(fake, LAN, "/canbo them")
    before = len(fake.sent(LAN))
    await fake.push(fake.contact(LAN, "+84912000950"))  # their own contact: no colleague in it
    [refused] = (await fake.wait_sent(LAN, before + 1))[before:]
    assert "không kèm tài khoản Telegram" in refused
