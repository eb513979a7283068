"""Messages longer than a channel allows go in parts; each part's arrival is recorded, so a send
that fails half-way resumes at the next part and the chat never sees a part twice."""

from __future__ import annotations

from sqlalchemy import select

from bot.telegram.convert import split_text
from bot.types import Attachment, Outgoing, outgoing_to_dict
from storage.db import Database
from storage.models import OutboxMessage
from storage.repos import broadcasts, outbox
from storage.repos.broadcasts import Audience
from tests.bot.fake_telegram import Call, FakeTelegram, RateLimits
from tests.bot.outbox.support import add_subscribers, broadcast, running, until_done, worker

Fake = tuple[FakeTelegram, str]


def long_text(paragraphs: int = 30) -> str:
    """About 11,000 characters of Vietnamese: several Telegram messages."""
    return "\n".join(f"Đoạn {i:02d}: " + "Sàn giao dịch công nghệ tỉnh Bắc Ninh mời doanh "
                     "nghiệp tham dự phiên kết nối cung cầu thiết bị sấy nông sản. " * 4
                     for i in range(paragraphs))


async def stored_text(db: Database) -> str:
    async with db.session() as s:
        row = (await s.execute(select(OutboxMessage))).scalar_one()
    return str(row.payload["text"]).strip()


def fail_second_part(api: FakeTelegram, chat: str, status: int) -> None:
    """The Bot API refuses the second sendMessage to `chat` once (after the first arrived)."""
    def on_call(call: Call) -> None:
        if (call.method == "sendMessage" and call.status == 200 and call.chat_id == chat
                and len(api.sent(chat)) == 1):
            api.fail("sendMessage", status, chat_id=int(chat))
    api.on_call = on_call


async def test_a_long_message_goes_in_parts_within_telegrams_limit(sqlite: Database,
                                                                   fake: Fake) -> None:
    api, url = fake
    [chat] = await add_subscribers(sqlite, 1)
    info = await broadcast(sqlite, long_text())
    async with running(worker(sqlite, url)):
        await until_done(sqlite)
    texts = api.texts(chat)
    assert len(texts) >= 3 and all(len(t) <= 4096 for t in texts)
    assert texts[0].startswith("Đoạn 00") and texts[-1].endswith("để ngừng nhận tin.")
    assert texts == split_text(await stored_text(sqlite))  # all of it, in order, once
    assert (await outbox.counts(sqlite, info.id)).sent == 1


async def test_a_send_failing_on_part_two_resumes_at_part_two(sqlite: Database,
                                                              fake: Fake) -> None:
    api, url = fake
    api.limits = RateLimits(overall=30, chat_interval=1.0)  # parts are paced like messages
    [chat] = await add_subscribers(sqlite, 1)
    await broadcast(sqlite, long_text())
    fail_second_part(api, chat, 502)
    async with running(worker(sqlite, url)):
        await until_done(sqlite)
    refused = [c for c in api.calls_to("sendMessage") if c.status == 502]
    assert len(refused) == 1
    texts = api.texts(chat)
    assert texts == split_text(await stored_text(sqlite)), "a part was repeated or lost"
    assert texts[1] == refused[0].params["text"]  # the refused part, sent again, not part 1
    assert api.limits.refused == 0
    async with sqlite.session() as s:
        row = (await s.execute(select(OutboxMessage))).scalar_one()
    assert (row.status, row.parts_sent) == ("sent", len(texts))


async def test_a_part_refused_for_good_reports_the_message_failed(sqlite: Database,
                                                                  fake: Fake) -> None:
    api, url = fake
    [chat] = await add_subscribers(sqlite, 1)
    info = await broadcast(sqlite, long_text())
    fail_second_part(api, chat, 400)
    async with running(worker(sqlite, url)):
        await until_done(sqlite)
    assert len(api.texts(chat)) == 1  # part 1 arrived, part 2 refused, part 3 not sent alone
    counts = await outbox.counts(sqlite, info.id)
    assert counts.sent == 0 and sum(counts.failed.values()) == 1


async def test_a_file_after_the_text_is_a_part_of_its_own(sqlite: Database, fake: Fake) -> None:
    """A report sent as news: the text, then the spreadsheet, each recorded as it arrives."""
    api, url = fake
    [chat] = await add_subscribers(sqlite, 1)
    sheet = Attachment("document", "bao-cao-thang-11.xlsx", b"PK\x03\x04 workbook")
    payload = outgoing_to_dict(Outgoing("Báo cáo kết nối cung cầu tháng 11", attachments=(sheet,)))
    info = await broadcasts.create(sqlite, created_by="test", payload=payload,
                                   audience=Audience(), text="Báo cáo tháng 11")
    async with running(worker(sqlite, url)):
        await until_done(sqlite)
    assert api.texts(chat) == ["Báo cáo kết nối cung cầu tháng 11"]
    [document] = api.files("sendDocument", chat)
    assert document.params["document"].filename == "bao-cao-thang-11.xlsx"
    assert (await outbox.counts(sqlite, info.id)).sent == 1
