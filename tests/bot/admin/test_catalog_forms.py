"""Experts and events created and edited in the console, and found by the bot's search."""

from __future__ import annotations

from sqlalchemy import select

from storage.convert import LOCAL_TZ
from storage.models import Event, Expert
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
