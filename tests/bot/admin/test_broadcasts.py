"""/admin/broadcasts: compose with a live recipient count, send now or at a time, follow the
delivery report, cancel; each point sees its own broadcasts."""

from __future__ import annotations

from datetime import timedelta

import httpx
from sqlalchemy import select, update

from bot.types import outgoing_to_dict
from handlers.news_render import broadcast_message
from storage.console import broadcasts as console_broadcasts
from storage.convert import LOCAL_TZ
from storage.models import Broadcast, Event, OutboxMessage, Subscription, User
from storage.repos import broadcasts, staff
from storage.repos.broadcasts import Audience
from storage.sqltypes import utcnow
from tests.bot.admin.conftest import Console

TEXT = "Mời doanh nghiệp tham dự phiên kết nối cung cầu công nghệ chế biến nông sản."


async def _subscribers(console: Console) -> None:
    async with console.db.transaction() as s:
        users = {u.external_id: u for u in (await s.execute(select(User))).scalars()}
        s.add_all([Subscription(user_id=users["u0"].id, sectors=["agri_processing"],
                                provinces=["bac_ninh"]),
                   Subscription(user_id=users["u1"].id, sectors=["aquaculture"],
                                provinces=["ha_noi"])])


async def _rows(console: Console, broadcast_id: int) -> list[OutboxMessage]:
    async with console.db.session() as s:
        return list((await s.execute(select(OutboxMessage).where(
            OutboxMessage.broadcast_id == broadcast_id))).scalars())


async def _send(console: Console, csrf: str, **data: str | list[str]) -> httpx.Response:
    return await console.web.post("/admin/broadcasts", data={"csrf": csrf, **data})


async def test_the_recipient_count_follows_the_chosen_audience(console: Console) -> None:
    await _subscribers(console)
    await console.sign_in("telegram", "100")
    compose = await console.web.get("/admin/broadcasts/new")
    assert compose.status_code == 200 and 'data-count="/admin/broadcasts/count"' in compose.text
    assert "Người đăng ký thuộc điểm Điểm kết nối Bắc Ninh" in compose.text
    count = console.web.get
    assert "<strong>1</strong>" in (await count("/admin/broadcasts/count?scope=point")).text
    assert "<strong>2</strong>" in (await count("/admin/broadcasts/count?scope=filters")).text
    fish = await count("/admin/broadcasts/count?scope=filters&sector=aquaculture")
    assert "<strong>1</strong>" in fish.text and "telegram: 1" in fish.text
    none = await count("/admin/broadcasts/count?scope=filters&province=ca_mau&sector=bogus")
    assert "<strong>0</strong>" in none.text


async def test_send_now_queues_the_chats_own_message_and_the_report_fills(
        console: Console) -> None:
    await _subscribers(console)
    await console.sign_in("telegram", "100")
    csrf = await console.csrf("/admin/broadcasts/new")
    made = await _send(console, csrf, content="text", text=TEXT, scope="point", when="now")
    assert made.status_code == 303
    broadcast_id = int(made.headers["location"].rsplit("/", 1)[1])
    rows = await _rows(console, broadcast_id)
    assert [r.recipient for r in rows] == ["u0"]
    assert rows[0].payload == outgoing_to_dict(broadcast_message(TEXT, None, LOCAL_TZ))
    page = await console.web.get(f"/admin/broadcasts/{broadcast_id}")
    assert "data-poll" in page.text and "người đăng ký thuộc điểm DKN-BN" in page.text
    report = await console.web.get(f"/admin/broadcasts/{broadcast_id}/report")
    assert "Đang gửi" in report.text and "data-finished" not in report.text
    async with console.db.transaction() as s:
        await s.execute(update(OutboxMessage).where(OutboxMessage.broadcast_id == broadcast_id)
                        .values(status="sent"))
    report = await console.web.get(f"/admin/broadcasts/{broadcast_id}/report")
    assert "Đã gửi xong" in report.text and "data-finished" in report.text
    assert "<strong>1</strong> đã gửi" in report.text and "100%" in report.text
    listing = await console.web.get("/admin/broadcasts")
    assert f"#{broadcast_id}" in listing.text and "Mời doanh nghiệp" in listing.text


async def test_an_event_broadcast_scheduled_then_cancelled(console: Console) -> None:
    await _subscribers(console)
    async with console.db.transaction() as s:
        s.add(Event(code="SK-01", kind="techmart", title="Techmart Bắc Ninh 2027",
                    starts_at=utcnow() + timedelta(days=20), venue="Bắc Ninh"))
    await console.sign_in("telegram", "200")
    compose = await console.web.get("/admin/broadcasts/new")
    assert "Techmart Bắc Ninh 2027" in compose.text
    csrf = await console.csrf("/admin/broadcasts/new")
    at = (utcnow() + timedelta(days=2)).astimezone(LOCAL_TZ).strftime("%Y-%m-%dT%H:%M")
    made = await _send(console, csrf, content="event", event="SK-01", text="", scope="filters",
                       when="later", at=at)
    assert made.status_code == 303
    broadcast_id = int(made.headers["location"].rsplit("/", 1)[1])
    info = await broadcasts.report(console.db, broadcast_id)
    assert info.event_code == "SK-01" and info.recipients == 2 and info.status == "scheduled"
    assert info.send_at.astimezone(LOCAL_TZ).strftime("%Y-%m-%dT%H:%M") == at
    page = await console.web.get(f"/admin/broadcasts/{broadcast_id}")
    assert "Chờ giờ gửi" in page.text and "Hủy phần chưa gửi" in page.text
    cancelled = await console.web.post(f"/admin/broadcasts/{broadcast_id}/cancel",
                                       data={"csrf": csrf})
    assert cancelled.status_code == 303
    info = await broadcasts.report(console.db, broadcast_id)
    assert info.status == "cancelled" and info.counts.skipped == {"cancelled": 2}
    assert "Đã hủy" in (await console.web.get(f"/admin/broadcasts/{broadcast_id}")).text


async def test_a_broadcast_that_cannot_go_says_why(console: Console) -> None:
    await console.sign_in("telegram", "100")
    csrf = await console.csrf("/admin/broadcasts/new")
    short = await _send(console, csrf, content="text", text="hi", scope="point", when="now")
    assert short.status_code == 400 and "nhập nội dung tin" in short.text
    past = (utcnow() - timedelta(hours=1)).astimezone(LOCAL_TZ).strftime("%Y-%m-%dT%H:%M")
    late = await _send(console, csrf, content="text", text=TEXT, scope="point", when="later",
                       at=past)
    assert late.status_code == 400 and "Giờ gửi đã qua" in late.text and TEXT in late.text
    no_event = await _send(console, csrf, content="event", event="SK-404", scope="point",
                           when="now")
    assert no_event.status_code == 400 and "Không tìm thấy sự kiện" in no_event.text
    forged = await _send(console, "forged", content="text", text=TEXT, scope="point",
                         when="now")
    assert forged.status_code == 403
    async with console.db.session() as s:
        assert (await s.execute(select(Broadcast))).first() is None


async def test_each_point_sees_its_own_broadcasts(console: Console) -> None:
    await _subscribers(console)
    other = await broadcasts.create(console.db, created_by="telegram:300", payload={"text": "x"},
                                    audience=Audience(point="DKN-HN"), text="Tin của Hà Nội",
                                    point="DKN-HN")
    assert (await console.web.get("/admin/broadcasts")).status_code == 401
    assert (await console.web.get("/admin/broadcasts/count")).status_code == 401
    await console.sign_in("telegram", "100")
    csrf = await console.csrf()
    assert "Tin của Hà Nội" not in (await console.web.get("/admin/broadcasts")).text
    for path in (f"/admin/broadcasts/{other.id}", f"/admin/broadcasts/{other.id}/report",
                 "/admin/broadcasts/99999999999"):
        assert (await console.web.get(path)).status_code == 404
    refused = await console.web.post(f"/admin/broadcasts/{other.id}/cancel", data={"csrf": csrf})
    assert refused.status_code == 404
    assert (await broadcasts.report(console.db, other.id)).status != "cancelled"
    await console.sign_in("telegram", "200")
    assert "Tin của Hà Nội" in (await console.web.get("/admin/broadcasts")).text


async def test_the_list_costs_the_same_queries_however_many_broadcasts(
        console: Console) -> None:
    from sqlalchemy import event

    await _subscribers(console)
    member = await staff.find(console.db, "telegram", "200")
    assert member is not None

    async def queries() -> int:
        statements: list[str] = []

        def seen(_c: object, _cur: object, statement: str, *_a: object) -> None:
            statements.append(statement)

        event.listen(console.db.engine.sync_engine, "before_cursor_execute", seen)
        try:
            await console_broadcasts.page(console.db, member, 1)
        finally:
            event.remove(console.db.engine.sync_engine, "before_cursor_execute", seen)
        return len(statements)

    await broadcasts.create(console.db, created_by="cli", payload={"text": "x"},
                            audience=Audience(), text="một")
    few = await queries()
    for n in range(12):
        await broadcasts.create(console.db, created_by="cli", payload={"text": "x"},
                                audience=Audience(), text=f"tin {n}")
    assert await queries() == few
    found = await console_broadcasts.page(console.db, member, 1)
    assert found.total == 13 and all(r.pending == 2 for r in found.rows)


async def test_the_preview_is_the_message_subscribers_will_read(console: Console) -> None:
    async with console.db.transaction() as s:
        s.add(Event(code="SK-02", kind="workshop", title="Hội thảo sấy nông sản <mới>",
                    starts_at=utcnow() + timedelta(days=5), venue="Bắc Ninh"))
    await console.sign_in("telegram", "100")
    blank = await console.web.get("/admin/broadcasts/preview?content=text&text=")
    assert "sẽ hiện ở đây" in blank.text
    shown = await console.web.get("/admin/broadcasts/preview", params={
        "content": "event", "event": "SK-02", "text": "Kính mời <b>doanh nghiệp</b>"})
    expected = broadcast_message("Kính mời <b>doanh nghiệp</b>",
                                 await broadcasts.event_for(console.db, "SK-02"), LOCAL_TZ)
    assert "Kính mời &lt;b&gt;doanh nghiệp&lt;/b&gt;" in shown.text  # escaped, not markup
    assert "Hội thảo sấy nông sản &lt;mới&gt;" in shown.text
    assert all(b.label in shown.text for b in expected.buttons) and expected.buttons
