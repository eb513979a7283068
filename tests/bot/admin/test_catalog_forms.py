"""Experts and events created and edited in the console, and found by the bot's search."""

from __future__ import annotations

from sqlalchemy import select

from storage.convert import LOCAL_TZ
from storage.models import Event, Expert, User
from tests.bot.admin.conftest import Console


async def test_create_and_edit_an_expert(console: Console) -> None:
    assert (await console.web.get("/admin/catalog/experts/new")).status_code == 401
    await console.sign_in("telegram", "100")
    csrf = await console.csrf("/admin/catalog/experts/new")
    missing = await console.web.post("/admin/catalog/experts/new",
                                     data={"csrf": csrf, "title": "TS."})
    assert missing.status_code == 400 and "nhập họ tên" in missing.text
    assert 'value="TS."' in missing.text  # what was typed is kept
    made = await console.web.post("/admin/catalog/experts/new", data={
        "csrf": csrf, "name": "Trần Thị Bình", "title": "PGS.TS.",
        "organisation": "Viện Cơ điện nông nghiệp", "fields": "sấy nông sản; bảo quản lạnh",
        "sectors": ["agri_processing"], "phone": "0987654321", "consent_contact": "1"})
    assert made.status_code == 303
    page = await console.web.get(made.headers["location"])
    assert "Đã lưu" in page.text and "CG-W0001" in page.text
    async with console.db.session() as s:
        expert = (await s.execute(select(Expert))).scalar_one()
    assert expert.fields == ["sấy nông sản", "bảo quản lạnh"]
    assert expert.sectors == ["agri_processing"] and expert.consent_contact
    assert expert.contact == {"phone": "0987654321"}
    edited = await console.web.post(f"/admin/catalog/experts/{expert.id}", data={
        "csrf": csrf, "name": "Trần Thị Bình", "title": "GS.TS.", "sectors": []})
    assert edited.status_code == 303
    async with console.db.session() as s:
        again = await s.get(Expert, expert.id)
    assert again is not None and again.title == "GS.TS." and not again.consent_contact
    found = await console.web.get("/admin/catalog?kind=experts&q=sấy nông sản")
    assert "Trần Thị Bình" in found.text
    assert (await console.web.get("/admin/catalog/experts/99999")).status_code == 404


async def test_create_and_edit_an_event(console: Console) -> None:
    await console.sign_in("telegram", "200")
    csrf = await console.csrf("/admin/catalog/events/new")
    backwards = await console.web.post("/admin/catalog/events/new", data={
        "csrf": csrf, "title": "Techmart 2027", "kind": "techmart",
        "starts_at": "2027-03-10T08:00", "ends_at": "2027-03-09T17:00"})
    assert backwards.status_code == 400 and "kết thúc phải sau" in backwards.text
    made = await console.web.post("/admin/catalog/events/new", data={
        "csrf": csrf, "title": "Techmart 2027", "kind": "techmart",
        "starts_at": "2027-03-10T08:00", "venue": "Bắc Ninh", "province": "bac_ninh",
        "capacity": "300"})
    assert made.status_code == 303
    async with console.db.session() as s:
        event = (await s.execute(select(Event))).scalar_one()
    assert event.code == "SK-W0001" and event.capacity == 300
    assert event.starts_at.astimezone(LOCAL_TZ).strftime("%d/%m/%Y %H:%M") == "10/03/2027 08:00"
    form = await console.web.get(f"/admin/catalog/events/{event.id}")
    assert 'value="2027-03-10T08:00"' in form.text
    forged = await console.web.post(f"/admin/catalog/events/{event.id}", data={
        "csrf": "forged", "title": "Bị sửa", "starts_at": "2027-03-10T08:00"})
    assert forged.status_code == 403
    bad_kind = await console.web.post(f"/admin/catalog/events/{event.id}", data={
        "csrf": csrf, "title": "Techmart 2027", "kind": "party", "starts_at": "2027-03-10T08:00"})
    assert bad_kind.status_code == 400
    async with console.db.session() as s:
        assert (await s.get(Event, event.id)).title == "Techmart 2027"  # type: ignore[union-attr]
    listing = await console.web.get("/admin/catalog?kind=events")
    assert f'href="/admin/catalog/events/{event.id}"' in listing.text


async def test_archived_experts_and_events_are_no_longer_offered(console: Console) -> None:
    from datetime import timedelta

    import pytest

    from storage.errors import RegistrationClosed
    from storage.repos import catalog, registrations
    from storage.sqltypes import utcnow

    async with console.db.transaction() as s:
        expert = Expert(code="CG-01", name="Lê Văn Cường", title="TS.", fields=["sấy nông sản"])
        event = Event(code="SK-01", kind="workshop", title="Hội thảo sấy nông sản",
                      starts_at=utcnow() + timedelta(days=9))
        s.add_all([expert, event])
    await console.sign_in("telegram", "100")
    csrf = await console.csrf("/admin/catalog")
    for kind, item in (("experts", expert), ("events", event)):
        done = await console.web.post(f"/admin/catalog/{kind}/{item.id}/archive",
                                      data={"csrf": csrf, "archived": "1"})
        assert done.status_code == 303
        assert "Đang lưu trữ" in (await console.web.get(done.headers["location"])).text
        listing = await console.web.get(f"/admin/catalog?kind={kind}")
        assert "Đã lưu trữ" in listing.text
    found = await console.web.get("/admin/catalog?kind=experts&q=sấy nông sản")
    assert "Lê Văn Cường" not in found.text
    events = await console.web.get("/admin/catalog?kind=events&q=hội thảo sấy")
    assert "Hội thảo sấy nông sản" not in events.text.split("<tbody>")[1]
    async with console.db.session() as s:
        assert await catalog.upcoming_events(s) == []
        user = (await s.execute(select(User).where(User.external_id == "u0"))).scalar_one()
    with pytest.raises(RegistrationClosed):
        await registrations.register(console.db, user, "SK-01")
    back = await console.web.post(f"/admin/catalog/events/{event.id}/archive",
                                  data={"csrf": csrf, "archived": "0"})
    assert back.status_code == 303
    async with console.db.session() as s:
        assert [e.code for e in await catalog.upcoming_events(s)] == ["SK-01"]
    forged = await console.web.post(f"/admin/catalog/experts/{expert.id}/archive",
                                    data={"csrf": "forged"})
    assert forged.status_code == 403
    assert (await console.web.post("/admin/catalog/experts/99999/archive",
                                   data={"csrf": csrf})).status_code == 404
