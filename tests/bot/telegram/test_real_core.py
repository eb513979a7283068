"""End to end with the real dialogue core (`bot.app.App` on a seeded temporary SQLite database),
the real PTB Application and the fake Bot API: what a Telegram user actually experiences."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from pathlib import Path

import pytest
from sqlalchemy import func, select

from bot.app import App
from bot.telegram import TelegramChannel
from bot.telegram.runner import start_polling, stop_polling
from storage.models import EventRegistration, ProcessedUpdate, User
from tests.bot.fake_telegram import FakeTelegram
from tests.handlers.chat import fresh_app


@pytest.fixture
async def app(tmp_path: Path) -> AsyncIterator[App]:
    app = await fresh_app(tmp_path)
    yield app
    await app.close()


@pytest.fixture
async def live(
    make_channel: Callable[..., TelegramChannel], app: App
) -> AsyncIterator[TelegramChannel]:
    channel = make_channel(app)
    await start_polling(channel, poll_timeout=5)
    yield channel
    await stop_polling(channel)


def labels(fake: FakeTelegram, chat_id: int) -> list[str]:
    markup = fake.sent(chat_id)[-1].params.get("reply_markup") or {}
    rows = markup.get("inline_keyboard") or markup.get("keyboard") or []
    return [button["text"] for row in rows for button in row]


async def test_greeting_gets_vietnamese_menu(fake: FakeTelegram, live: TelegramChannel) -> None:
    await fake.push(fake.message(901, "xin chào"))
    [text] = await fake.wait_sent(901)
    assert "chào anh/chị Lan" in text
    assert {"Tìm công nghệ", "Sự kiện sắp tới", "Gặp cán bộ"} <= set(labels(fake, 901))


async def test_menu_button_lists_upcoming_events(fake: FakeTelegram, live: TelegramChannel) -> None:
    await fake.push(fake.message(902, "/start"))
    await fake.wait_sent(902)
    await fake.push(fake.callback(902, "Sự kiện sắp tới"))
    await fake.wait_for(lambda: len(fake.sent(902)) >= 2)
    assert "Đăng ký" in " ".join(labels(fake, 902))
    assert len(fake.calls_to("answerCallbackQuery")) == 1


async def test_deep_link_registration_with_shared_phone(
    fake: FakeTelegram, live: TelegramChannel, app: App
) -> None:
    chat = 903
    await fake.push(fake.message(chat, "/start event_SK-001"))
    [card] = await fake.wait_sent(chat)
    assert "Techmart Cần Thơ" in card
    await fake.push(fake.callback(chat, "Đăng ký"))
    texts = await fake.wait_sent(chat, 2)
    assert "họ tên" in texts[-1]
    await fake.push(fake.message(chat, "Nguyễn Thị Lan"))
    await fake.wait_sent(chat, 3)
    asked = fake.sent(chat)[-1].params["reply_markup"]
    assert asked["keyboard"][0][0]["request_contact"] is True  # Telegram's share-phone button
    await fake.push(fake.contact(chat, "+84912345678"))
    await fake.wait_sent(chat, 4)
    await fake.push(fake.callback(chat, "Bỏ qua"))  # organisation is optional
    texts = await fake.wait_sent(chat, 5)
    assert "đã đăng ký" in texts[-1] and "0912345678" in texts[-1]
    async with app.services.db.session() as s:
        user = (await s.scalars(select(User).where(User.external_id == str(chat)))).one()
        registrations = await s.scalar(
            select(func.count())
            .select_from(EventRegistration)
            .where(EventRegistration.user_id == user.id)
        )
    assert user.channel == "telegram" and registrations == 1


async def test_redelivered_update_one_reply_one_record(
    fake: FakeTelegram, live: TelegramChannel, app: App
) -> None:
    update = fake.message(904, "xin chào")
    await fake.push(update)
    await fake.wait_sent(904)
    await fake.push(update)
    await fake.push(fake.message(904, "cảm ơn"))
    await fake.wait_sent(904, 2)
    assert len(fake.sent(904)) == 2
    async with app.services.db.session() as s:
        records = await s.scalar(
            select(func.count())
            .select_from(ProcessedUpdate)
            .where(
                ProcessedUpdate.channel == "telegram",
                ProcessedUpdate.update_id == str(update["update_id"]),
            )
        )
    assert records == 1


async def test_user_who_blocked_the_bot_becomes_inactive(
    fake: FakeTelegram, live: TelegramChannel, app: App
) -> None:
    async def active() -> bool:
        async with app.services.db.session() as s:
            user = (await s.scalars(select(User).where(User.external_id == "905"))).one()
            return user.active

    await fake.push(fake.contact(905, "+84912345678"))  # the core now knows this user
    await fake.wait_sent(905)
    assert await active() is True
    fake.fail("sendMessage", 403, chat_id=905)
    await fake.push(fake.message(905, "tôi cần tìm chuyên gia"))

    await fake.wait_for(lambda: 403 in [c.status for c in fake.calls_to("sendMessage")])
    await fake.push(fake.message(906, "xin chào"))  # proves the blocked update was finished
    await fake.wait_sent(906)
    assert await active() is False
