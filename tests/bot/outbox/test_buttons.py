"""A broadcast's button whose payload is too long for Telegram (over 64 bytes of callback_data),
sent by a `ketnoi worker` process and pressed once that process has stopped: the bot process
that receives the press still resolves the whole payload."""

from __future__ import annotations

import asyncio
import signal

from telegram import Update

from bot.telegram import TelegramChannel
from bot.types import Button, Incoming, Outgoing, outgoing_to_dict
from storage.db import Database
from storage.repos import broadcasts, payloads
from storage.repos.broadcasts import Audience
from tests.bot.fake_telegram import TOKEN, FakeTelegram
from tests.bot.outbox.support import Senders, add_subscribers, until_done
from tests.bot.telegram.conftest import ScriptedCore

LONG = "ev:reg:" + "hoi-cho-cong-nghe-va-thiet-bi-quoc-te-2026-" * 3


class Core(ScriptedCore):
    """The scripted core, looking long payloads up in the database as `bot.app.App` does."""

    def __init__(self, db: Database) -> None:
        super().__init__()
        self.db = db

    async def button_payload(self, short: str) -> str | None:
        return await payloads.lookup(self.db, short)


async def test_a_broadcast_button_resolves_after_the_sender_stopped(
        sqlite: Database, senders: Senders, fake: tuple[FakeTelegram, str]) -> None:
    api, url = fake
    chats = await add_subscribers(sqlite, 3)
    message = Outgoing("Mời anh/chị dự hội chợ.\n\nGõ /huynhantin để ngừng nhận tin.",
                       buttons=(Button("Đăng ký tham dự", LONG),))
    await broadcasts.create(sqlite, created_by="test", payload=outgoing_to_dict(message),
                            audience=Audience(), text=message.text)
    worker = await senders.start()
    await until_done(sqlite, timeout=60)
    worker.send_signal(signal.SIGTERM)  # its memory of the long payload goes with it
    assert await asyncio.wait_for(worker.wait(), 30) == 0
    assert sorted(api.delivered()) == chats

    core = Core(sqlite)
    channel = TelegramChannel(core, TOKEN, url)  # type: ignore[arg-type]
    await channel.application.initialize()
    try:
        press = api.callback(int(chats[1]), "Đăng ký tham dự")
        assert len(press["callback_query"]["data"].encode()) <= 64  # what Telegram accepts
        await channel.handle_update(Update.de_json(press, channel.application.bot))
    finally:
        await channel.application.shutdown()
    [pressed] = core.received
    assert isinstance(pressed, Incoming) and pressed.payload == LONG
    assert api.texts(chats[1])[-1] == f"Anh/chị đã chọn {LONG}."
