"""Signing in to the web console from a one-time chat link; sessions, sign-out, CSRF."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import httpx
import pytest

from bot.admin import create_admin_app
from bot.web import create_web_app
from storage.models import WebLogin
from storage.repos import pipeline, staff, web_logins
from tests.bot.admin.conftest import BASE, SECRET, Console


async def test_a_link_signs_staff_in_once(console: Console) -> None:
    signed = await console.sign_in()
    assert signed.status_code == 303 and signed.headers["location"] == "/admin/demands"
    page = await console.web.get("/admin/demands")
    assert page.status_code == 200 and "Cán bộ Bắc Ninh" in page.text


async def test_a_reused_link_is_refused(console: Console) -> None:
    _, token = await web_logins.issue(console.db, "telegram", "100")
    first = await console.web.post("/admin/login", data={"token": token})
    assert first.status_code == 303
    console.web.cookies.clear()
    again = await console.web.post("/admin/login", data={"token": token})
    assert again.status_code == 403 and "đã được dùng rồi" in again.text
    assert (await console.web.get("/admin/demands")).status_code == 401


async def test_an_expired_link_is_refused(console: Console) -> None:
    past = datetime.now(UTC) - timedelta(minutes=11)
    _, token = await web_logins.issue(console.db, "telegram", "100", now=past)
    refused = await console.web.post("/admin/login", data={"token": token})
    assert refused.status_code == 403 and "hết hạn" in refused.text
    assert (await console.web.get("/admin/demands")).status_code == 401


async def test_unknown_tokens_and_non_staff_get_no_access(console: Console) -> None:
    refused = await console.web.post("/admin/login", data={"token": "forged"})
    assert refused.status_code == 403 and "không đúng" in refused.text
    with pytest.raises(web_logins.NotStaff):
        await web_logins.issue(console.db, "telegram", "999")
    # A link given to staff who lose the role before opening it is refused too.
    _, token = await web_logins.issue(console.db, "telegram", "100")
    await staff.remove(console.db, "telegram", "100")
    refused = await console.web.post("/admin/login", data={"token": token})
    assert refused.status_code == 403 and "không phải cán bộ" in refused.text
    assert (await console.web.get("/admin/demands")).status_code == 401


async def test_tokens_are_stored_hashed(console: Console) -> None:
    _, token = await web_logins.issue(console.db, "telegram", "100")
    async with console.db.session() as s:
        from sqlalchemy import select

        stored = (await s.execute(select(WebLogin.token_hash))).scalars().all()
    assert stored and token not in stored


async def test_nobody_signed_in_sees_no_page(console: Console) -> None:
    for path in ("/admin/", "/admin/demands", f"/admin/demands/{console.demands['DKN-BN']}",
                 "/admin/demands/export.csv", "/admin/catalog", "/admin/users"):
        page = await console.web.get(path)
        assert page.status_code == 401, path
        assert "/web" in page.text and "Máy sấy" not in page.text, path


async def test_sign_out_ends_the_session(console: Console) -> None:
    await console.sign_in()
    forged = await console.web.post("/admin/logout", data={"csrf": "forged"})
    assert forged.status_code == 403
    assert (await console.web.get("/admin/demands")).status_code == 200
    out = await console.web.post("/admin/logout", data={"csrf": await console.csrf()})
    assert out.status_code == 200 and "đã đăng xuất" in out.text
    assert (await console.web.get("/admin/demands")).status_code == 401


async def test_staff_removed_after_signing_in_lose_access(console: Console) -> None:
    await console.sign_in()
    await staff.remove(console.db, "telegram", "100")
    assert (await console.web.get("/admin/demands")).status_code == 401


async def test_the_cookie_is_secure_httponly_and_lax(console: Console) -> None:
    admin = create_admin_app(console.db, SECRET)  # secure by default
    transport = httpx.ASGITransport(app=create_web_app([], admin=admin))
    async with httpx.AsyncClient(transport=transport, base_url=BASE) as web:
        _, token = await web_logins.issue(console.db, "telegram", "100")
        signed = await web.post("/admin/login", data={"token": token})
    cookie = signed.headers["set-cookie"].lower()
    assert "httponly" in cookie and "samesite=lax" in cookie and "secure" in cookie
    assert "path=/admin" in cookie and "max-age=28800" in cookie


async def test_sessions_expire(console: Console) -> None:
    admin = create_admin_app(console.db, SECRET, secure_cookie=False, session_hours=0)
    transport = httpx.ASGITransport(app=create_web_app([], admin=admin))
    async with httpx.AsyncClient(transport=transport, base_url=BASE) as web:
        _, token = await web_logins.issue(console.db, "telegram", "100")
        assert (await web.post("/admin/login", data={"token": token})).status_code == 303
        assert (await web.get("/admin/demands")).status_code == 401


async def test_a_forged_csrf_token_changes_nothing(console: Console) -> None:
    await console.sign_in()
    demand_id = console.demands["DKN-BN"]
    for csrf in ("forged", ""):
        refused = await console.web.post(f"/admin/demands/{demand_id}/act/close",
                                         data={"csrf": csrf, "outcome": "withdrawn"})
        assert refused.status_code == 403 and "chưa có gì thay đổi" in refused.text
    card = await pipeline.card(console.db, demand_id)
    assert card.status == "new" and card.history == []
