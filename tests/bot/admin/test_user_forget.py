"""A user's page and "forget this user": a confirm step, the erasure of /xoadulieu, audited."""

from __future__ import annotations

from sqlalchemy import select

from storage.models import AuditEntry, Demand, MessageLog, Subscription, User
from tests.bot.admin.conftest import Console


async def _user(console: Console, external_id: str) -> User:
    async with console.db.session() as s:
        return (await s.execute(select(User).where(User.external_id == external_id))).scalar_one()


async def test_forget_a_user_after_confirming(console: Console) -> None:
    user = await _user(console, "u0")
    async with console.db.transaction() as s:
        row = await s.get(User, user.id)
        assert row is not None
        row.phone, row.email = "0912345678", "an@congty.vn"
        s.add_all([Subscription(user_id=user.id),
                   MessageLog(channel="telegram", chat_id="u0", user_id="u0", direction="in",
                              text="số em 0912345678")])
    await console.sign_in("telegram", "100")
    listing = await console.web.get("/admin/users")
    assert f'href="/admin/users/{user.id}"' in listing.text
    page = await console.web.get(f"/admin/users/{user.id}")
    assert "0912345678" in page.text and "1 đăng ký nhận tin" in page.text
    confirm = await console.web.get(f"/admin/users/{user.id}/forget")
    assert "không hoàn tác được" in confirm.text
    csrf = await console.csrf(f"/admin/users/{user.id}/forget")
    unconfirmed = await console.web.post(f"/admin/users/{user.id}/forget", data={"csrf": csrf})
    assert "đánh dấu ô xác nhận" in unconfirmed.text
    assert (await _user(console, "u0")).phone == "0912345678"
    done = await console.web.post(f"/admin/users/{user.id}/forget",
                                  data={"csrf": csrf, "confirm": "yes"})
    assert done.status_code == 303
    page = await console.web.get(done.headers["location"])
    assert "Đã xoá dữ liệu cá nhân" in page.text and "0912345678" not in page.text
    async with console.db.session() as s:
        row = await s.get(User, user.id)
        assert row is not None and row.phone is None and row.external_id.startswith("forgotten-")
        assert (await s.execute(select(Subscription))).first() is None
        assert (await s.execute(select(MessageLog))).first() is None
        assert (await s.execute(select(Demand).where(Demand.user_id == user.id))).first()
        entry = (await s.execute(select(AuditEntry).where(
            AuditEntry.action == "user.forget"))).scalar_one()
        assert entry.actor == "telegram:100" and entry.target == f"user:{user.id}"


async def test_another_points_user_cannot_be_seen_or_forgotten(console: Console) -> None:
    other = await _user(console, "u1")  # Hà Nội's
    assert (await console.web.get(f"/admin/users/{other.id}")).status_code == 401
    await console.sign_in("telegram", "100")
    csrf = await console.csrf()
    assert (await console.web.get(f"/admin/users/{other.id}")).status_code == 404
    refused = await console.web.post(f"/admin/users/{other.id}/forget",
                                     data={"csrf": csrf, "confirm": "yes"})
    assert refused.status_code == 404
    forged = await console.web.post(f"/admin/users/{(await _user(console, 'u0')).id}/forget",
                                    data={"csrf": "forged", "confirm": "yes"})
    assert forged.status_code == 403
    assert (await _user(console, "u1")).external_id == "u1"
    assert (await _user(console, "u0")).external_id == "u0"
    await console.sign_in("telegram", "200")
    assert (await console.web.get(f"/admin/users/{other.id}")).status_code == 200
    assert (await console.web.get("/admin/users/99999999999")).status_code == 404


async def test_the_user_list_costs_the_same_queries_however_many_users(
        console: Console) -> None:
    from sqlalchemy import event

    from storage.console import users
    from storage.repos import staff

    member = await staff.find(console.db, "telegram", "200")
    assert member is not None

    async def queries() -> int:
        statements: list[str] = []

        def seen(_c: object, _cur: object, statement: str, *_a: object) -> None:
            statements.append(statement)

        event.listen(console.db.engine.sync_engine, "before_cursor_execute", seen)
        try:
            await users.page(console.db, member, channel=None, province=None, query=None,
                             subscribed=False, number=1)
        finally:
            event.remove(console.db.engine.sync_engine, "before_cursor_execute", seen)
        return len(statements)

    few = await queries()
    async with console.db.transaction() as s:
        for n in range(20):
            user = User(channel="zalo", external_id=f"z{n}", display_name=f"Người {n}")
            s.add(user)
            await s.flush()
            s.add_all([Subscription(user_id=user.id), Demand(user_id=user.id, type="find_expert")])
    assert await queries() == few
