"""`/baocao` through the real core, the real PTB Application and the fake Bot API: staff get one
photo and one document; anyone else is refused and gets no file."""

from __future__ import annotations

import io
from collections.abc import AsyncIterator, Callable
from pathlib import Path

import pytest
from openpyxl import load_workbook
from PIL import Image

from bot.app import App
from bot.telegram import TelegramChannel
from bot.telegram.runner import start_polling, stop_polling
from handlers.staff.access import NOT_STAFF
from storage import history
from storage.repos import staff
from tests.bot.fake_telegram import FakeTelegram, Upload
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


async def test_staff_get_one_photo_and_one_document(
    fake: FakeTelegram, live: TelegramChannel, app: App
) -> None:
    await history.add(app.services.db, demands=60)
    await staff.add(app.services.db, "telegram", "951", point="DKN-TW", name="Lan")
    await fake.push(fake.message(951, "/baocao"))
    await fake.wait_sent(951)
    await fake.push(fake.callback(951, "Năm nay"))
    await fake.wait_for(lambda: len(fake.files("sendDocument", 951)) >= 1)
    [photo] = fake.files("sendPhoto", 951)
    [document] = fake.files("sendDocument", 951)
    png, xlsx = photo.params["photo"], document.params["document"]
    assert isinstance(png, Upload) and isinstance(xlsx, Upload)
    assert png.filename.endswith(".png") and xlsx.filename.endswith(".xlsx")
    assert Image.open(io.BytesIO(png.data)).size == (1600, 1000)
    summary = load_workbook(io.BytesIO(xlsx.data))["Tổng hợp"]
    assert isinstance(summary["B6"].value, int) and summary["B6"].value > 0
    assert fake.texts(951)[-1].startswith("Báo cáo Toàn mạng lưới")


async def test_others_are_refused_and_get_no_file(
    fake: FakeTelegram, live: TelegramChannel
) -> None:
    await fake.push(fake.message(952, "/baocao"))
    [text] = await fake.wait_sent(952)
    assert text.startswith(NOT_STAFF[:40])
    # A forged button press with a staff payload is refused the same way.
    await fake.push(fake._callback(952, fake.sent(952)[-1], "rp:year"))
    texts = await fake.wait_sent(952, 2)
    assert texts[1].startswith(NOT_STAFF[:40])
    assert not fake.files("sendPhoto") and not fake.files("sendDocument")
