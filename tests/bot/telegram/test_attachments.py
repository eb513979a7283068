"""Files on an Outgoing reach Telegram as sendPhoto / sendDocument uploads (or links)."""

from __future__ import annotations

from bot.telegram import TelegramChannel
from bot.telegram.convert import PayloadRegistry, render
from bot.types import Attachment, Button, Incoming, Outgoing
from tests.bot.fake_telegram import FakeTelegram, Upload
from tests.bot.telegram.conftest import ScriptedCore

PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64
XLSX = b"PK\x03\x04" + b"\x01" * 64


def report(_incoming: Incoming) -> list[Outgoing]:
    return [Outgoing("Báo cáo năm nay:", (Button("Năm trước", "rp:last_year"),), attachments=(
        Attachment("photo", "baocao.png", PNG), Attachment("document", "baocao.xlsx", XLSX)))]


def test_render_puts_files_after_the_text() -> None:
    chunks = render(report(None)[0], PayloadRegistry())  # type: ignore[arg-type]
    assert [c.text for c in chunks] == ["Báo cáo năm nay:", "", ""]
    assert chunks[0].markup is not None
    assert [c.attachment.kind for c in chunks[1:] if c.attachment] == ["photo", "document"]
    only_files = render(Outgoing("", attachments=(Attachment("photo", "a.png", PNG),)),
                        PayloadRegistry())
    assert len(only_files) == 1 and only_files[0].attachment is not None


async def test_photo_and_document_are_uploaded(
    fake: FakeTelegram, bot: TelegramChannel, core: ScriptedCore
) -> None:
    core.script = report
    await fake.push(fake.message(601, "/baocao"))
    await fake.wait_for(lambda: len(fake.files("sendDocument", 601)) == 1)
    assert fake.texts(601) == ["Báo cáo năm nay:"]
    [photo] = fake.files("sendPhoto", 601)
    [document] = fake.files("sendDocument", 601)
    assert isinstance(photo.params["photo"], Upload)
    assert (photo.params["photo"].filename, photo.params["photo"].data) == ("baocao.png", PNG)
    assert (document.params["document"].filename, document.params["document"].data) == (
        "baocao.xlsx", XLSX)
    order = [c.method for c in fake.calls if c.chat_id == "601"]
    assert order.index("sendMessage") < order.index("sendPhoto") < order.index("sendDocument")


async def test_a_file_without_bytes_is_sent_by_its_link(
    fake: FakeTelegram, bot: TelegramChannel, core: ScriptedCore
) -> None:
    url = "https://ketnoi.example/reports/abc.png"
    core.script = lambda _i: [Outgoing("", attachments=(Attachment("photo", "a.png", url=url),))]
    await fake.push(fake.message(602, "/baocao"))
    await fake.wait_for(lambda: len(fake.files("sendPhoto", 602)) == 1)
    assert fake.files("sendPhoto", 602)[0].params["photo"] == url


async def test_a_failed_upload_is_retried_then_apologised_for(
    fake: FakeTelegram, bot: TelegramChannel, core: ScriptedCore
) -> None:
    core.script = report
    fake.fail("sendPhoto", 429, retry_after=1)
    fake.fail("sendDocument", 400, times=1)
    await fake.push(fake.message(603, "/baocao"))
    await fake.wait_for(lambda: len(fake.texts(603)) == 2)
    assert len(fake.files("sendPhoto", 603)) == 1  # the retry after the 429
    assert "sự cố" in fake.texts(603)[1]
