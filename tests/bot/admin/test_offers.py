"""The offer review queue: approve or reject with a reason; the offerer is told as in chat."""

from __future__ import annotations

from sqlalchemy import select

from handlers.offer_text import rejected
from storage.models import AuditEntry, OutboxMessage, Technology, User
from storage.repos import offers
from storage.sqltypes import utcnow
from tests.bot.admin.conftest import Console


async def _offer(console: Console, code: str, title: str, offerer: str = "u0") -> int:
    async with console.db.transaction() as s:
        user = (await s.execute(select(User).where(User.external_id == offerer))).scalar_one()
        tech = Technology(code=code, title=title, summary="Sấy lạnh giữ màu", provider="Cơ khí An",
                          status="pending_review", source="chat", submitted_by_id=user.id)
        s.add(tech)
        await s.flush()
        return tech.id


async def test_approve_and_reject_tell_the_offerer(console: Console) -> None:
    first = await _offer(console, "CB-01", "Máy sấy lạnh nông sản")
    second = await _offer(console, "CB-02", "Lò đốt trấu")
    assert (await console.web.get("/admin/catalog/offers")).status_code == 401
    await console.sign_in("telegram", "100")
    queue = await console.web.get("/admin/catalog/offers")
    assert "2 công nghệ đang chờ" in queue.text and "Máy sấy lạnh nông sản" in queue.text
    assert "Doanh nghiệp 0" in queue.text
    csrf = await console.csrf("/admin/catalog/offers")
    ok = await console.web.post(f"/admin/catalog/offers/{first}/approve", data={"csrf": csrf})
    assert ok.status_code == 303
    no_reason = await console.web.post(f"/admin/catalog/offers/{second}/reject",
                                       data={"csrf": csrf, "reason": " "})
    assert no_reason.status_code == 400 and "lý do" in no_reason.text
    no = await console.web.post(f"/admin/catalog/offers/{second}/reject",
                                data={"csrf": csrf, "reason": "Thiếu thông số kỹ thuật"})
    assert no.status_code == 303
    page = await console.web.get(no.headers["location"])
    assert "Đã từ chối" in page.text and "Hiện không có công nghệ nào chờ duyệt" in page.text
    again = await console.web.post(f"/admin/catalog/offers/{first}/approve", data={"csrf": csrf})
    assert again.status_code == 409 and "không còn chờ duyệt" in again.text
    async with console.db.session() as s:
        statuses = [(await s.get(Technology, i)).status for i in (first, second)]  # type: ignore[union-attr]
        told = list((await s.execute(select(OutboxMessage).order_by(OutboxMessage.id))).scalars())
        audited = list((await s.execute(select(AuditEntry.action, AuditEntry.actor))).all())
    assert statuses == ["published", "archived"]
    assert [m.recipient for m in told] == ["u0", "u0"]
    assert "đã được Trung tâm duyệt" in told[0].payload["text"]
    offer = offers.Offer(second, "CB-02", "Lò đốt trấu", "", "", None, None, "archived",
                         utcnow(), None)
    assert told[1].payload == rejected("Thiếu thông số kỹ thuật")(offer)
    assert ("offer.reject", "telegram:100 (Cán bộ Bắc Ninh)") in audited


async def test_forged_or_unknown_decisions_change_nothing(console: Console) -> None:
    tech = await _offer(console, "CB-03", "Máy ép viên")
    await console.sign_in("telegram", "100")
    forged = await console.web.post(f"/admin/catalog/offers/{tech}/approve",
                                    data={"csrf": "forged"})
    assert forged.status_code == 403
    csrf = await console.csrf("/admin/catalog/offers")
    assert (await console.web.post(f"/admin/catalog/offers/{tech}/publish",
                                   data={"csrf": csrf})).status_code == 404
    assert (await console.web.post("/admin/catalog/offers/99999/approve",
                                   data={"csrf": csrf})).status_code == 404
    async with console.db.session() as s:
        assert (await s.get(Technology, tech)).status == "pending_review"  # type: ignore[union-attr]


async def test_a_point_reviews_only_its_own_offers(console: Console) -> None:
    ours = await _offer(console, "CB-04", "Máy sấy vải Lục Ngạn")
    theirs = await _offer(console, "CB-05", "Dây chuyền bún khô", offerer="u1")  # Hà Nội
    await console.sign_in("telegram", "100")  # Bắc Ninh
    queue = await console.web.get("/admin/catalog/offers")
    assert "Máy sấy vải Lục Ngạn" in queue.text and "Dây chuyền bún khô" not in queue.text
    csrf = await console.csrf("/admin/catalog/offers")
    refused = await console.web.post(f"/admin/catalog/offers/{theirs}/approve",
                                     data={"csrf": csrf})
    assert refused.status_code == 404
    async with console.db.session() as s:
        assert (await s.get(Technology, theirs)).status == "pending_review"  # type: ignore[union-attr]
    await console.sign_in("telegram", "200")  # the national point sees both
    queue = await console.web.get("/admin/catalog/offers")
    assert "Máy sấy vải Lục Ngạn" in queue.text and "Dây chuyền bún khô" in queue.text
    csrf = await console.csrf("/admin/catalog/offers")
    assert (await console.web.post(f"/admin/catalog/offers/{ours}/approve",
                                   data={"csrf": csrf})).status_code == 303


async def test_the_queue_costs_the_same_queries_however_many_offers(console: Console) -> None:
    from sqlalchemy import event

    from storage.console import offers as queue

    async def queries() -> int:
        statements: list[str] = []

        def seen(_c: object, _cur: object, statement: str, *_a: object) -> None:
            statements.append(statement)

        event.listen(console.db.engine.sync_engine, "before_cursor_execute", seen)
        try:
            await queue.pending(console.db, 1)
        finally:
            event.remove(console.db.engine.sync_engine, "before_cursor_execute", seen)
        return len(statements)

    await _offer(console, "CB-10", "Một")
    few = await queries()
    for n in range(15):
        await _offer(console, f"CB-2{n}", f"Công nghệ {n}")
    assert await queries() == few
    found = await queue.pending(console.db, 1)
    assert found.total == 16 and all(r.offered_by == "telegram:u0" for r in found.rows)
