"""The outbox sender under `serve --workers N`: a chat reply still pending past its grace goes out
through the reply sender process, so one that process sent already (for a worker killed before
recording it) is not sent a second time; news still goes out from the outbox sender itself."""

from __future__ import annotations

import shutil
import tempfile

from bot.reply_handover import ReplyHandover
from bot.reply_sender import ReplySender
from bot.telegram.outbox_sender import TelegramSender, make_bot
from bot.telegram.reply_transport import TelegramPartSender
from bot.types import Outgoing, outgoing_to_dict
from bot.worker import ChannelWorker, Leases, Pacing
from storage.db import Database
from storage.repos import outbox
from storage.repos.outbox import Envelope
from tests.bot.fake_telegram import TOKEN, FakeTelegram
from tests.bot.outbox.support import running, until_done


async def test_a_reply_past_its_grace_goes_through_the_reply_sender_once(
        sqlite: Database, fake: tuple[FakeTelegram, str]) -> None:
    api, url = fake
    rows = [Envelope("reply", "telegram", "55", outgoing_to_dict(Outgoing(text)))
            for text in ("Dạ, em đã ghi nhận", "Anh/chị cần gì thêm ạ?")]
    rows.append(Envelope("notice", "telegram", "56", outgoing_to_dict(Outgoing("Tin mới"))))
    await outbox.post(sqlite, rows)
    first = min((await outbox.pending_replies_to(sqlite, "telegram", "55")), key=lambda q: q.id)
    folder = tempfile.mkdtemp(prefix="ks-")
    path = f"{folder}/replies.sock"
    recorded: list[list[tuple[int, str | None]]] = []

    async def record(marks: list[tuple[int, str | None]]) -> None:
        recorded.append(marks)

    transport = TelegramPartSender(TOKEN, url)
    listening = await ReplySender({"telegram": transport}, record).serve(path)
    # A worker handed the first reply over and was killed before anything was recorded.
    killed = ReplyHandover(path)
    await killed.send("telegram", "55", "55", [(first.id, [{"text": "Dạ, em đã ghi nhận"}])])
    await killed.aclose()
    sender = TelegramSender(make_bot(TOKEN, url), handover=ReplyHandover(path))
    worker = ChannelWorker(sqlite, sender, "telegram:123", Pacing(rate=100, chat_interval=0.0),
                           Leases(idle_poll=0.05))
    try:
        async with running(worker):
            await until_done(sqlite, timeout=30)
    finally:
        listening.close()
        await transport.aclose()
        shutil.rmtree(folder, ignore_errors=True)
    assert api.texts("55") == ["Dạ, em đã ghi nhận", "Anh/chị cần gì thêm ạ?"]
    assert api.texts("56") == ["Tin mới"]
    assert [row_id for marks in recorded for row_id, _ in marks] == [first.id, first.id + 1]
    assert (await outbox.counts(sqlite)).sent == 3
