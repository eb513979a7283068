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
from tests.bot.fake_telegram import FakeTelegram
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
