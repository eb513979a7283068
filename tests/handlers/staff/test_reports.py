"""`/baocao`: staff choose a period and get the figures, the dashboard and the workbook; the
signed links of the files (for channels without uploads) are served by `ketnoi serve`."""

from __future__ import annotations

import io
from datetime import UTC, datetime, timedelta

import httpx
from openpyxl import load_workbook
from PIL import Image
from starlette.applications import Starlette

from bot.config import Settings
from bot.web_reports import report_routes
from handlers.reporting import links
from handlers.staff.access import NOT_STAFF
from storage import history
from storage.repos import staff
from tests.handlers.chat import NOW, Bot, Chat, OpenBot

PERIOD_LABELS = ["Tháng này", "Quý này", "Năm nay", "Năm trước"]


async def _staff_chat(bot: Bot, user: str, point: str) -> Chat:
    await staff.add(bot.db, "telegram", user, point=point, name="Lan")
    return bot.chat(user, channel="telegram")


async def test_staff_choose_a_period_and_get_photo_and_workbook(open_bot: OpenBot) -> None:
    bot = await open_bot(now=NOW)
    await history.add(bot.db, demands=80, now=NOW)
    chat = await _staff_chat(bot, "301", "DKN-TW")
    await chat.send("/baocao")
    assert "toàn mạng lưới" in chat.text
    assert [b.label for b in chat.buttons] == PERIOD_LABELS
    [reply] = await chat.press("Năm nay")
    assert reply.text.startswith("Báo cáo Toàn mạng lưới, 01/01/2026 – 25/11/2026:")
    assert "• Nhu cầu công nghệ tiếp nhận: " in reply.text
    photo, document = reply.attachments
    assert (photo.kind, photo.filename) == ("photo", "baocao-20260101-20261125.png")
    assert Image.open(io.BytesIO(photo.data)).size == (1600, 1000)
    assert document.kind == "document" and document.filename.endswith(".xlsx")
    sheet = load_workbook(io.BytesIO(document.data))["Tổng hợp"]
    demands = sheet["B6"].value
    assert isinstance(demands, int) and demands > 0
    assert f"Nhu cầu công nghệ tiếp nhận: {demands}" in reply.text
    assert photo.url is None  # no KETNOI_SECRET_KEY: no links
    assert [b.label for b in reply.buttons] == PERIOD_LABELS


async def test_point_staff_get_their_point_and_empty_periods_read_zero(open_bot: OpenBot) -> None:
    bot = await open_bot(now=NOW)
    chat = await _staff_chat(bot, "302", "Bắc Giang")  # served by the Bắc Ninh point
    await chat.send("/baocao")
    assert "Bắc Ninh" in chat.text
    [reply] = await chat.press("Tháng này")
    assert "Bắc Ninh, 01/11/2026 – 25/11/2026" in reply.text.splitlines()[0]
    assert "• Nhu cầu công nghệ tiếp nhận: 0" in reply.text
    sheet = load_workbook(io.BytesIO(reply.attachments[1].data))["Tổng hợp"]
    assert [sheet.cell(r, 2).value for r in range(6, 14)] == [0] * 8


async def test_stale_or_forged_period_and_non_staff(bot: Bot) -> None:
    chat = await _staff_chat(bot, "303", "DKN-HN")
    await chat.press_payload("rp:decade")
    assert "không còn hiệu lực" in chat.text and len(chat.buttons) == 4
    assert not any(r.attachments for r in chat.replies)
    stranger = bot.chat("404", channel="telegram")
    for send in (lambda: stranger.send("/baocao"), lambda: stranger.press_payload("rp:year")):
        await send()
        assert stranger.text.startswith(NOT_STAFF[:40])
        assert not any(r.attachments for r in stranger.replies)


async def test_signed_links_are_served_and_expire(bot: Bot) -> None:
    settings = Settings(database_url="sqlite://", secret_key="s3cret",
                        public_url="https://bot.example.vn/", report_link_ttl=600)
    bot.app.services.settings = settings
    chat = await _staff_chat(bot, "305", "DKN-TW")  # the real clock: links made now
    [reply] = await chat.press_payload("rp:last_year")
    photo, document = reply.attachments
    year = datetime.now(UTC).year - 1
    assert photo.url and photo.url.startswith("https://bot.example.vn/reports/")
    assert photo.url.endswith(f"/baocao-{year}0101-{year}1231.png")
    web = Starlette(routes=report_routes(settings, bot.db))
    transport = httpx.ASGITransport(app=web)
    async with httpx.AsyncClient(transport=transport, base_url="https://bot.example.vn") as http:
        got = await http.get(photo.url)
        assert got.status_code == 200 and got.headers["content-type"] == "image/png"
        assert Image.open(io.BytesIO(got.content)).size == (1600, 1000)
        sheet = await http.get(document.url or "")
        assert sheet.status_code == 200 and "attachment" in sheet.headers["content-disposition"]
        assert load_workbook(io.BytesIO(sheet.content))["Tổng hợp"]["B6"].value == 0
        forged = photo.url.replace("/reports/", "/reports/x")
        assert (await http.get(forged)).status_code == 404
        request = links.verify("s3cret", photo.url.split("/")[-2])
        old = links.url("https://bot.example.vn", "s3cret", request, ttl=600,
                        now=datetime.now(UTC) - timedelta(seconds=601))
        expired = await http.get(old)
        assert expired.status_code == 410 and "hết hạn" in expired.text
        other_key = links.url("https://bot.example.vn", "another", request)
        assert (await http.get(other_key)).status_code == 404
