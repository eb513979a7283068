"""A handoff end to end through the fake Bot API: a user asks for a person, the Bắc Ninh point's
staff member gets the alert (delivered by the outbox worker), presses "Tiếp nhận", and they talk
both ways until `/ketthuc`; then the bot answers the user again. A user who blocks the bot while
staff are replying: the staff member is told the message could not be delivered."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Callable
from pathlib import Path
from typing import Any

import pytest

from bot.app import App
from bot.config import Settings
from bot.jobs import run_jobs
from bot.telegram import TelegramChannel
from bot.telegram.runner import start_polling, stop_polling
from storage.models import User
from storage.repos import staff
from tests.bot.fake_telegram import FakeTelegram, user
from tests.bot.outbox.support import running, worker
from tests.handlers.chat import fresh_app

NAM, LAN, HUNG = 911, 950, 912
STICKER = {"file_id": "s1", "file_unique_id": "u1", "width": 512, "height": 512,
           "is_animated": False, "is_video": False, "type": "regular", "emoji": "👍"}


@pytest.fixture
async def app(tmp_path: Path) -> AsyncIterator[App]:
    app = await fresh_app(tmp_path)
    await staff.add(app.services.db, "telegram", str(LAN), point="Bắc Ninh", name="Lan")
    async with app.services.db.transaction() as s:
        s.add(User(channel="telegram", external_id=str(NAM), province="bac_ninh",
                   phone="0912345678", display_name="Nam"))
    yield app
    await app.close()


@pytest.fixture
async def live(make_channel: Callable[..., TelegramChannel],
               app: App) -> AsyncIterator[TelegramChannel]:
    channel = make_channel(app)
    await start_polling(channel, poll_timeout=5)
    yield channel
    await stop_polling(channel)


def from_nam(fake: FakeTelegram, text: str | None = None, **extra: Any) -> dict[str, Any]:
    return fake.message(NAM, text, **{"from": user(NAM, "Nam"), **extra})


async def said(fake: FakeTelegram, chat: int, update: dict[str, Any], wanted: int = 1) -> str:
    """Push an update; wait for `wanted` more messages to `chat`; the last one's text."""
    before = len(fake.sent(chat))
    await fake.push(update)
    return (await fake.wait_sent(chat, before + wanted))[-1]


async def test_handoff_both_ways_until_ketthuc(fake: FakeTelegram, live: TelegramChannel,
                                               app: App) -> None:
    async with running(worker(app.services.db, fake.url)):  # type: ignore[attr-defined]
        assert "cán bộ" in await said(fake, NAM, from_nam(fake, "toi muon gap can bo"))
        [alert] = await fake.wait_sent(LAN)
        assert "Yêu cầu gặp cán bộ" in alert and "Nam" in alert

        told = len(fake.sent(NAM))
        assert "đã tiếp nhận" in await said(fake, LAN, fake.callback(LAN, "Tiếp nhận"))
        assert "cán bộ Lan" in (await fake.wait_sent(NAM, told + 1))[-1]

        relayed = await said(fake, LAN, from_nam(fake, "cho hỏi giá máy sấy vải"))
        assert relayed.endswith("): cho hỏi giá máy sấy vải") and "Nam" in relayed
        assert len(fake.sent(NAM)) == told + 1  # the bot stayed quiet
        answer = await said(fake, NAM, fake.message(LAN, "Dạ, khoảng 300 triệu ạ"))
        assert answer == "Cán bộ Lan: Dạ, khoảng 300 triệu ạ"
        note = await said(fake, LAN, from_nam(fake, sticker=STICKER))
        assert "nhãn dán" in note

        ended = await said(fake, NAM, from_nam(fake, "/ketthuc"))
        assert "đã kết thúc cuộc trò chuyện với cán bộ Lan" in ended
        assert "đã kết thúc cuộc trò chuyện" in (await fake.wait_sent(LAN, len(fake.sent(LAN)) + 1
                                                                      ))[-1]
        back = await said(fake, NAM, from_nam(fake, "can cong nghe say vai thieu"))
        assert not back.startswith("Cán bộ")


async def test_staff_told_when_the_user_blocked_the_bot(fake: FakeTelegram,
                                                        live: TelegramChannel, app: App) -> None:
    async with running(worker(app.services.db, fake.url)):  # type: ignore[attr-defined]
        await said(fake, NAM, from_nam(fake, "toi muon gap can bo"))
        await fake.wait_sent(LAN)
        told = len(fake.sent(NAM))
        await said(fake, LAN, fake.callback(LAN, "Tiếp nhận"))
        await fake.wait_sent(NAM, told + 1)
        fake.blocked_chats.add(str(NAM))  # Nam blocks the bot
        before = len(fake.sent(LAN))
        await fake.push(fake.message(LAN, "Anh Nam ơi, anh còn đó không?"))
        await fake.wait_for(lambda: any(c.status == 403 and c.chat_id == str(NAM)
                                        for c in fake.calls_to("sendMessage")))
        settings = Settings(database_url="sqlite://")
        loop = asyncio.get_running_loop()
        deadline = loop.time() + 15  # a safety bound: the worker records the block, the job
        while not (await run_jobs(app.services.db, settings)).handoffs:  # then ends it
            assert loop.time() < deadline, "the handoff was not ended"
            await asyncio.sleep(0.1)
        texts = await fake.wait_sent(LAN, before + 1)
        assert "không gửi được" in texts[-1] and "chặn" in texts[-1]


async def test_staff_reply_to_a_quoted_message_goes_to_its_user(
        fake: FakeTelegram, live: TelegramChannel, app: App) -> None:
    async with app.services.db.transaction() as s:
        s.add(User(channel="telegram", external_id=str(HUNG), province="bac_ninh",
                   phone="0912000000", display_name="Hùng"))
    async with running(worker(app.services.db, fake.url)):  # type: ignore[attr-defined]
        for chat, name in ((NAM, "Nam"), (HUNG, "Hùng")):
            await said(fake, chat, fake.message(chat, "toi muon gap can bo",
                                                **{"from": user(chat, name)}))
        await fake.wait_sent(LAN, 2)
        for alert in fake.sent(LAN)[:2]:  # press "Tiếp nhận" on both alerts
            data = alert.params["reply_markup"]["inline_keyboard"][0][0]["callback_data"]
            await fake.push(fake._callback(LAN, alert, data))
        await fake.wait_for(lambda: sum("đã tiếp nhận" in t for t in fake.texts(LAN)) == 2)
        await fake.push(from_nam(fake, "em can bao gia"))
        await fake.wait_for(lambda: fake.texts(LAN)[-1].endswith("): em can bao gia"))
        relayed = fake.sent(LAN)[-1]
        quote = {"message_id": 1, "date": 0, "chat": {"id": LAN, "type": "private"},
                 "text": relayed.params["text"]}
        await fake.push(fake.message(LAN, "Em gửi anh báo giá ngay ạ", reply_to_message=quote))
        await fake.wait_for(lambda: "Cán bộ Lan: Em gửi anh báo giá ngay ạ" in fake.texts(NAM))
        assert not any("báo giá ngay" in t for t in fake.texts(HUNG))
