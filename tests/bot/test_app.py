"""App.handle robustness: bad inputs, duplicates, failures; every Incoming gets an answer."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select

from bot.app import APOLOGY, TOO_LONG, App
from bot.types import ContentKind, Incoming
from nlu.api import EmbeddedBackend
from storage.models import MessageLog
from tests.handlers.chat import ACCEPTANCE, Bot, Chat


@pytest.fixture
async def bot(tmp_path: Path, nlu: EmbeddedBackend) -> AsyncIterator[Bot]:
    bot = await Bot.open(tmp_path, nlu)
    yield bot
    await bot.close()


@pytest.fixture
def app(bot: Bot) -> App:
    return bot.app


@pytest.fixture
def chat(bot: Bot) -> Chat:
    return bot.chat()


@pytest.mark.parametrize("text", ["", "   ", "\n\t"])
async def test_empty_text_gets_a_menu(chat: Chat, text: str) -> None:
    await chat.send(text)
    assert "chưa nhận được nội dung" in chat.text and chat.has_button("Tìm công nghệ")


async def test_ten_thousand_characters_are_cut_and_answered(chat: Chat) -> None:
    await chat.send("cần công nghệ sấy vải thiều " + "rất " * 2500)
    assert chat.replies[0].text == TOO_LONG
    assert len(chat.replies) >= 2 and chat.replies[1].text != APOLOGY


async def test_emoji_only(chat: Chat) -> None:
    await chat.send("😀🙏👍")
    assert "chưa hiểu ý" in chat.text and chat.has_button("Tìm công nghệ")


@pytest.mark.parametrize("kind", [ContentKind.STICKER, ContentKind.PHOTO, ContentKind.VOICE,
                                  ContentKind.DOCUMENT, ContentKind.VIDEO, ContentKind.OTHER])
async def test_non_text_content_says_the_bot_reads_text(chat: Chat, kind: ContentKind) -> None:
    await chat.send("", kind)
    assert "chỉ đọc được tin nhắn dạng chữ" in chat.text


async def test_sticker_inside_a_form_repeats_the_question(chat: Chat) -> None:
    await chat.send(ACCEPTANCE)
    await chat.send("", ContentKind.STICKER)
    assert "dạng chữ" in chat.text and "tên doanh nghiệp" in chat.text


async def test_shared_contact_fills_the_contact_question(chat: Chat) -> None:
    await chat.send(ACCEPTANCE)
    await chat.send("Công ty Minh Phát")
    await chat.send("+84912345678", ContentKind.CONTACT)
    await chat.press("Đồng ý")
    assert "Liên hệ: 0912345678" in chat.text


async def test_shared_contact_outside_a_form_is_remembered(chat: Chat, bot: Bot) -> None:
    await chat.send("0987654321", ContentKind.CONTACT)
    assert "đã lưu số điện thoại 0987654321" in chat.text
    user = await bot.user("u1")
    assert user is not None
    assert user.phone == "0987654321"


@pytest.mark.parametrize("payload", ["zz:1", "", "fc:bogus:9", "f:ok", "menu:nope", "sw:yes",
                                     "x" * 500, "ev", "tm", "fb:", "đăng ký"])
async def test_unknown_or_malformed_buttons(chat: Chat, payload: str) -> None:
    await chat.send("", ContentKind.BUTTON, payload)
    assert chat.replies and chat.replies[0].text != APOLOGY
    assert chat.buttons  # always a way forward


async def test_stale_choice_button_inside_a_form(chat: Chat) -> None:
    await chat.send(ACCEPTANCE)
    await chat.send("", ContentKind.BUTTON, "fc:sector:0")  # a button of an earlier question
    assert "câu hỏi trước" in chat.text and "tên doanh nghiệp" in chat.text


@pytest.mark.parametrize("command", ["/foo", "/xyz abc", "/", "/start@ketnoi_bot"])
async def test_unknown_commands(chat: Chat, command: str) -> None:
    await chat.send(command)
    assert chat.replies and chat.replies[0].text != APOLOGY
    if command != "/start@ketnoi_bot":
        assert "chưa biết lệnh" in chat.text and "/help" in chat.text


async def test_duplicate_update_is_answered_once(chat: Chat) -> None:
    assert await chat.send("xin chào", update_id="42")
    assert await chat.send("xin chào", update_id="42") == []
    assert await chat.send("xin chào", update_id="43")


async def test_a_failure_is_an_apology_and_keeps_the_state(app: App, chat: Chat) -> None:
    await chat.send(ACCEPTANCE)
    original = app.services.nlu

    class Broken:
        async def parse(self, text: str) -> dict[str, Any]:
            raise RuntimeError("boom")

    app.services.nlu = Broken()
    await chat.send("Công ty Minh Phát")
    assert [r.text for r in chat.replies] == [APOLOGY]
    app.services.nlu = original
    await chat.send("Công ty Minh Phát")
    assert "số điện thoại hoặc email" in chat.text  # the form was not lost


async def test_every_incoming_gets_an_answer(app: App) -> None:
    chat = Chat(app, "fuzz")
    inputs = [("xin chào", ContentKind.TEXT), ("", ContentKind.PHOTO), ("1", ContentKind.TEXT),
              ("???", ContentKind.TEXT), ("/huy", ContentKind.COMMAND), (ACCEPTANCE, ContentKind.TEXT),
              ("quay lại", ContentKind.TEXT), ("bỏ qua", ContentKind.TEXT), ("", ContentKind.TEXT),
              ("sửa", ContentKind.TEXT), ("Xác nhận", ContentKind.TEXT), ("hủy", ContentKind.TEXT),
              ("hủy", ContentKind.TEXT), ("quay lại", ContentKind.TEXT), ("bỏ qua", ContentKind.TEXT),
              ("abc@", ContentKind.CONTACT), ("ok", ContentKind.TEXT), ("không", ContentKind.TEXT)]
    for text, kind in inputs:
        replies = await chat.send(text, kind)
        assert replies and all(r.text for r in replies), (text, kind)
        assert APOLOGY not in [r.text for r in replies], (text, kind)


async def test_messages_are_logged_both_ways(app: App, bot: Bot, chat: Chat) -> None:
    await chat.send("xin chào")
    await app.flush()  # state and log are written behind the reply
    rows = await bot.rows(MessageLog)
    assert [r.direction for r in rows] == ["in", "out"]
    assert rows[0].intent == "greet" and rows[0].text == "xin chào"


async def test_mark_user_inactive(app: App, bot: Bot, chat: Chat) -> None:
    await chat.send("0987654321", ContentKind.CONTACT)  # creates the user row
    await app.mark_user_inactive("console", "u1")
    await app.mark_user_inactive("console", "nobody")  # unknown user: no error
    user = await bot.user("u1")
    assert user is not None
    assert user.active is False


async def test_a_user_who_writes_again_is_active_again_even_after_a_restart(bot: Bot) -> None:
    await bot.chat().send("0987654321", ContentKind.CONTACT)
    await bot.app.mark_user_inactive("console", "u1")
    await bot.restart()  # the same file
    await bot.chat().send("xin chào")
    user = await bot.user("u1")
    assert user is not None and user.active is True


async def test_chat_locks_are_released(app: App, chat: Chat) -> None:
    await chat.send("xin chào")
    assert len(app.locks) == 0


def test_incoming_defaults() -> None:
    assert Incoming("console", "c", "u").kind == ContentKind.TEXT


async def test_generic_database_state_store_also_survives_a_restart(tmp_path: Path) -> None:
    """`SqlStateStore` (the PostgreSQL path: SQLAlchemy upserts, group commit) on SQLite."""
    from bot.config import Settings
    from storage.db import Database
    from storage.state.sql import SqlStateStore
    from tests.handlers.chat import copy_db, shared_nlu

    url = copy_db(tmp_path / "generic.db")

    async def start() -> App:
        db = Database(url)
        return await App.create(Settings(database_url=url), db=db, nlu=shared_nlu(),
                                states=SqlStateStore(db))

    first = await start()
    chats = [Chat(first, f"user{i}") for i in range(3)]
    await asyncio.gather(*(c.send(ACCEPTANCE, update_id=f"u{i}") for i, c in enumerate(chats)))
    assert await chats[0].send(ACCEPTANCE, update_id="u0") == []  # re-delivered
    await first.close()
    second = await start()
    try:
        chat = Chat(second, "user1")
        await chat.send("Công ty Minh Phát")
        assert "số điện thoại hoặc email" in chat.text
        async with second.services.db.session() as s:
            logged = (await s.execute(select(MessageLog))).scalars().all()
        assert len([m for m in logged if m.direction == "in"]) == 4
    finally:
        await second.close()
