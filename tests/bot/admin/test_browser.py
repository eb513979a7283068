"""The web console in a real browser (headless Chromium): sign in from a chat link, move a demand
through the pipeline without reloading the page, import a spreadsheet with a bad row, compose and
schedule a broadcast with the live recipient count.

The README's screenshots come from these runs: they are always taken, and written under docs/
when KETNOI_UPDATE_SCREENSHOTS=1 (so an ordinary run leaves the working tree as it was).
"""

from __future__ import annotations

import asyncio
import os
import shutil
import socket
from collections.abc import AsyncIterator
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
import uvicorn
from sqlalchemy import select

from bot.admin import create_admin_app
from bot.web import create_web_app
from storage.convert import LOCAL_TZ
from storage.db import Database
from storage.models import OutboxMessage, Subscription, User
from storage.repos import broadcasts, pipeline, web_logins
from storage.repos.broadcasts import Audience
from storage.sqltypes import utcnow
from tests.bot.admin.conftest import SECRET, populate
from tests.storage.conftest import create_schema

CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking"]
DOCS = Path(__file__).parents[3] / "docs"
PHONE = {"width": 390, "height": 844}
DESKTOP = {"width": 1100, "height": 720}

pytestmark = pytest.mark.skipif(not Path(CHROMIUM).exists(),
                                reason="chromium is not installed (.ci/run installs it)")


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.fixture
async def served(tmp_path: Path) -> AsyncIterator[tuple[str, Database, dict[str, int]]]:
    db = Database(f"sqlite+aiosqlite:///{tmp_path / 'console.db'}")
    await create_schema(db)
    ids = await populate(db)
    app = create_web_app([], admin=create_admin_app(db, SECRET, secure_cookie=False))
    port = _free_port()
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, lifespan="off",
                                           log_level="warning"))
    task = asyncio.create_task(server.serve())
    while not server.started:
        await asyncio.sleep(0.05)
    try:
        yield f"http://127.0.0.1:{port}", db, ids
    finally:
        server.should_exit = True
        await task
        await db.dispose()


@pytest.fixture
async def browser() -> AsyncIterator[Any]:
    from playwright.async_api import async_playwright

    async with async_playwright() as pw:
        launched = await pw.chromium.launch(executable_path=CHROMIUM, args=FLAGS)
        yield launched
        await launched.close()


async def screenshot(page: Any, name: str, tmp_path: Path) -> None:
    """Take the screenshot; keep it under docs/ only when asked to update them."""
    folder = DOCS if os.environ.get("KETNOI_UPDATE_SCREENSHOTS") == "1" else tmp_path
    folder.mkdir(exist_ok=True)
    target = folder / f"web-console-{name}.png"
    await page.screenshot(path=str(target), full_page=True)
    assert target.stat().st_size > 5000  # a drawn page, not a blank one


async def signed_in(browser: Any, base: str, db: Database, user_id: str = "100") -> Any:
    _, token = await web_logins.issue(db, "telegram", user_id)
    page = await browser.new_page(viewport=DESKTOP)
    page.on("dialog", lambda dialog: asyncio.ensure_future(dialog.accept()))
    await page.goto(f"{base}/admin/login?token={token}")
    await page.get_by_role("button", name="Đăng nhập").click()
    await page.wait_for_url(f"{base}/admin/demands")
    return page


async def test_sign_in_from_a_link_and_move_a_demand_through_the_pipeline(
        served: tuple[str, Database, dict[str, int]], browser: Any, tmp_path: Path) -> None:
    base, db, ids = served
    page = await signed_in(browser, base, db)
    assert await page.get_by_text("Máy sấy vải thiều cho DKN-BN").count() == 1
    assert await page.get_by_text("cho DKN-HN").count() == 0
    await screenshot(page, "demands", tmp_path)
    await page.get_by_role("link", name=f"#{ids['DKN-BN']}").click()
    url = page.url
    # An expired form (a forged token here) shows the explanation page and changes nothing.
    await page.locator("form[action$='/act/take'] input[name=csrf]").evaluate(
        "input => input.value = 'forged'")
    await page.get_by_role("button", name="Nhận xử lý").click()
    await page.get_by_text("Biểu mẫu đã hết hạn").wait_for()
    assert (await pipeline.card(db, ids["DKN-BN"])).status == "new"
    await page.goto(url)
    # Each step answers with the pipeline section only: the page is not reloaded.
    await page.evaluate("window.notReloaded = true")
    await page.get_by_role("button", name="Nhận xử lý").click()
    await page.get_by_text("Anh/chị đã nhận xử lý yêu cầu").wait_for()
    await page.select_option("select[name=with]", "-")
    await page.locator("form[action$='/act/connect'] input[name=note]").fill(
        "Đã hẹn gặp Viện Cơ điện")
    await page.get_by_role("button", name="Ghi nhận kết nối").click()
    await page.get_by_text("Đã ghi nhận kết nối").wait_for()
    await page.select_option("select[name=outcome]", "deal")
    await page.locator("form[action$='/act/close'] input[name=note]").fill("Đã ký hợp đồng")
    await page.get_by_role("button", name="Đóng yêu cầu").click()
    await page.get_by_text("Đã đóng yêu cầu và báo doanh nghiệp").wait_for()
    assert page.url == url and await page.evaluate("window.notReloaded") is True
    assert await page.get_by_text("Đã hẹn gặp Viện Cơ điện").count() == 1
    card = await pipeline.card(db, ids["DKN-BN"])
    assert card.status == "closed" and card.outcome == "deal"
    await page.set_viewport_size(PHONE)
    await screenshot(page, "demand-phone", tmp_path)
    # The same link a second time: refused with an explanation.
    _, token = await web_logins.issue(db, "telegram", "100")
    await page.goto(f"{base}/admin/login?token={token}")
    await page.get_by_role("button", name="Đăng nhập").click()
    await page.goto(f"{base}/admin/login?token={token}")
    await page.get_by_role("button", name="Đăng nhập").click()
    assert await page.get_by_text("đã được dùng rồi").count() == 1


SHEET = ("Mã,Tên công nghệ,Lĩnh vực,Tóm tắt\n"
         'CN-T1,Máy sấy vải thiều bằng bơm nhiệt,"Chế biến nông sản, thực phẩm",Sấy nhanh\n'
         "CN-T2,Dòng thiếu lĩnh vực,,Không có lĩnh vực\n")


async def test_import_a_spreadsheet_with_a_bad_row(
        served: tuple[str, Database, dict[str, int]], browser: Any, tmp_path: Path) -> None:
    base, db, _ = served
    page = await signed_in(browser, base, db)
    sheet = tmp_path / "cong-nghe.csv"
    sheet.write_text(SHEET, encoding="utf-8")
    await page.get_by_role("link", name="Danh mục").click()
    await page.set_input_files("input[type=file]", str(sheet))
    await page.get_by_role("button", name="Nhập").click()
    await page.get_by_text("1 dòng chưa nhập được").wait_for()
    assert await page.locator("table.errors td", has_text="3").count() == 1
    await page.goto(f"{base}/admin/catalog?kind=technologies")
    assert await page.get_by_text("Máy sấy vải thiều bằng bơm nhiệt").count() == 1
    await screenshot(page, "catalog", tmp_path)
    await page.goto(f"{base}/admin/users")
    await screenshot(page, "users", tmp_path)


async def test_compose_and_schedule_a_broadcast(
        served: tuple[str, Database, dict[str, int]], browser: Any, tmp_path: Path) -> None:
    base, db, _ = served
    async with db.transaction() as s:
        users = {u.external_id: u for u in (await s.execute(select(User))).scalars()}
        s.add_all([Subscription(user_id=users["u0"].id, provinces=["bac_ninh"]),
                   Subscription(user_id=users["u1"].id, sectors=["aquaculture"])])
    page = await signed_in(browser, base, db, "200")  # national: every subscriber
    await page.goto(f"{base}/admin/broadcasts/new")
    count = page.locator("output#recipients")
    await count.get_by_text("Sẽ gửi tới 2 người").wait_for()
    await page.select_option("select[name=sector]", ["agri_processing"])
    await count.get_by_text("Sẽ gửi tới 1 người").wait_for()  # counted again, live
    await page.fill("textarea[name=text]", "Mời doanh nghiệp dự phiên kết nối công nghệ sấy.")
    await page.locator("output.preview").get_by_text("Mời doanh nghiệp dự phiên").wait_for()
    await page.check("input[name=when][value=later]")
    at = (utcnow() + timedelta(days=1)).astimezone(LOCAL_TZ).strftime("%Y-%m-%dT%H:%M")
    await page.fill("input[name=at]", at)
    await page.set_viewport_size(PHONE)
    await screenshot(page, "broadcast-compose-phone", tmp_path)
    await page.set_viewport_size(DESKTOP)
    await page.get_by_role("button", name="Tạo đợt tin").click()
    await page.get_by_text("Chờ giờ gửi").first.wait_for()
    assert await page.get_by_text("1 người nhận").count() == 1
    made = await broadcasts.report(db, int(page.url.rsplit("/", 1)[1]))
    assert made.recipients == 1 and made.send_at > utcnow()
    # One sent earlier from the command line: its report is complete, one message refused.
    earlier = await broadcasts.create(db, created_by="cli", payload={"text": "x"},
                                      audience=Audience(), text="Bản tin công nghệ tháng 11.")
    async with db.transaction() as s:
        rows = list((await s.execute(select(OutboxMessage).where(
            OutboxMessage.broadcast_id == earlier.id).order_by(OutboxMessage.id))).scalars())
        rows[0].status = "sent"
        rows[1].status, rows[1].reason = "failed", "blocked"
    await page.goto(f"{base}/admin/broadcasts/{earlier.id}")
    assert await page.get_by_text("Đã gửi xong").count() == 1
    assert await page.get_by_text("Lỗi — đã chặn bot: 1").count() == 1
    await page.goto(f"{base}/admin/broadcasts")
    await screenshot(page, "broadcasts", tmp_path)
    await page.goto(f"{base}/admin/reports?period=year")
    assert await page.get_by_text("Báo cáo Toàn mạng lưới").count() == 1
    await screenshot(page, "reports", tmp_path)
