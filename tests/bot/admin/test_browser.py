"""The web console in a real browser (headless Chromium): sign in from a chat link, open the
demands and one demand, move it on; the screenshot in the README comes from this run."""

from __future__ import annotations

import asyncio
import shutil
import socket
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
import uvicorn

from bot.admin import create_admin_app
from bot.web import create_web_app
from storage.db import Database
from storage.repos import web_logins
from tests.bot.admin.conftest import SECRET, populate
from tests.storage.conftest import create_schema

CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking"]
DOCS = Path(__file__).parents[3] / "docs"


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


async def test_sign_in_from_a_link_and_move_a_demand(
        served: tuple[str, Database, dict[str, int]]) -> None:
    if not Path(CHROMIUM).exists():
        pytest.skip("chromium is not installed (.ci/run installs it)")
    from playwright.async_api import async_playwright

    base, db, ids = served
    _, token = await web_logins.issue(db, "telegram", "100")
    async with async_playwright() as pw:
        browser = await pw.chromium.launch(executable_path=CHROMIUM, args=FLAGS)
        page = await browser.new_page(viewport={"width": 1100, "height": 720})
        await page.goto(f"{base}/admin/login?token={token}")
        await page.get_by_role("button", name="Đăng nhập").click()
        await page.wait_for_url(f"{base}/admin/demands")
        assert await page.get_by_text("Máy sấy vải thiều cho DKN-BN").count() == 1
        assert await page.get_by_text("cho DKN-HN").count() == 0
        DOCS.mkdir(exist_ok=True)
        await page.screenshot(path=str(DOCS / "web-console-demands.png"), full_page=True)
        await page.get_by_role("link", name=f"#{ids['DKN-BN']}").click()
        await page.select_option("select[name=status]", "assigned")
        await page.fill("textarea[name=note]", "Đã hẹn gặp Viện Cơ điện")
        await page.get_by_role("button", name="Lưu").click()
        await page.wait_for_load_state()
        assert await page.get_by_text("Đã hẹn gặp Viện Cơ điện").count() == 1
        await page.set_viewport_size({"width": 390, "height": 844})  # a phone
        await page.screenshot(path=str(DOCS / "web-console-demand-phone.png"), full_page=True)
        # The same link a second time: refused with an explanation.
        await page.goto(f"{base}/admin/login?token={token}")
        await page.get_by_role("button", name="Đăng nhập").click()
        assert await page.get_by_text("đã được dùng rồi").count() == 1
        await browser.close()
