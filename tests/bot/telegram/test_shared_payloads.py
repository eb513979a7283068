"""A button with a payload too long for Telegram, sent by one bot process and pressed in a chat
whose update reaches another process (or the same one after a restart): the long payload arrives."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from telegram import Update

from bot.telegram import TelegramChannel
from bot.types import Button, Incoming, Outgoing
from storage.db import Database
from storage.repos import payloads
from tests.bot.fake_telegram import Call, FakeTelegram
from tests.bot.telegram.conftest import ScriptedCore

LONG = "ev:reg:" + "hoi-cho-cong-nghe-va-thiet-bi-quoc-te-2026-" * 3


class SharedCore(ScriptedCore):
    """The scripted core, keeping long payloads in a database as `bot.app.App` does."""

    def __init__(self, db: Database) -> None:
        super().__init__()
        self.db = db

    async def remember_payloads(self, pairs: dict[str, str]) -> None:
        await payloads.remember(self.db, pairs)

    async def button_payload(self, short: str) -> str | None:
        return await payloads.lookup(self.db, short)


async def test_a_long_payload_sent_by_one_process_resolves_in_another(
        fake: FakeTelegram, make_channel: Callable[..., TelegramChannel], tmp_path: Path) -> None:
    db = Database(f"sqlite+aiosqlite:///{tmp_path / 'k.db'}")
    await db.upgrade()
    first, second = SharedCore(db), SharedCore(db)
    sender, receiver = make_channel(first), make_channel(second)
    await sender.application.initialize()
    await receiver.application.initialize()
    try:
        await sender.send_replies("5", "5", [Outgoing("Sự kiện sắp tới",
                                                      buttons=(Button("Đăng ký", LONG),))])
        update = fake.callback(5, "Đăng ký")
        assert len(update["callback_query"]["data"].encode()) <= 64  # what Telegram accepts
        await receiver.handle_update(Update.de_json(update, receiver.application.bot))
    finally:
        await sender.application.shutdown()
        await receiver.application.shutdown()
        await db.dispose()
    [pressed] = second.received
    assert isinstance(pressed, Incoming) and pressed.payload == LONG


def test_the_inbox_files_an_update_under_the_chat_its_turn_locks(fake: FakeTelegram) -> None:
    """The chat read from the raw JSON (when storing) is the one the turn holds (when handling)."""
    from telegram import Bot

    from bot.telegram.ordering import chat_key, raw_chat_key
    from tests.bot.fake_telegram import TOKEN

    bot = Bot(TOKEN)
    fake.calls.append(_sent(77))  # a message with a button, for the press below
    updates = [fake.message(77, "xin chào"), fake.callback(77, "Đăng ký"),
               {"update_id": 5, "my_chat_member": {
                   "chat": {"id": 78, "type": "private"}, "from": {"id": 78, "is_bot": False,
                                                                   "first_name": "Lan"},
                   "date": 1, "old_chat_member": {"status": "member", "user": {
                       "id": 1, "is_bot": True, "first_name": "bot"}},
                   "new_chat_member": {"status": "kicked", "until_date": 0, "user": {
                       "id": 1, "is_bot": True, "first_name": "bot"}}}}]
    for raw in updates:
        assert raw_chat_key(raw) == chat_key(Update.de_json(raw, bot)) is not None
    assert [raw_chat_key(raw) for raw in updates] == ["77", "77", "78"]
    assert raw_chat_key({"update_id": 1}) is None and raw_chat_key("junk") is None


def _sent(chat_id: int) -> Call:
    return Call("sendMessage", {"chat_id": chat_id, "text": "Sự kiện", "reply_markup": {
        "inline_keyboard": [[{"text": "Đăng ký", "callback_data": "ev:reg:X"}]]}})
