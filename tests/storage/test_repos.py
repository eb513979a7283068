"""Repositories: behaviour the dialogue relies on, on SQLite and PostgreSQL."""

from __future__ import annotations

from datetime import timedelta

import pytest

from storage.db import Database
from storage.errors import (
    AlreadyRegistered,
    EventFull,
    EventPast,
    InvalidStatusChange,
    InvalidValue,
    RegistrationClosed,
)
from storage.models import ConnectionPoint, Event, User
from storage.repos import catalog, demands, registrations, subscriptions, users
from storage.sqltypes import utcnow


async def _user(db: Database, ext: str = "u1") -> User:
    async with db.session() as s:
        user = await users.get_or_create(s, "telegram", ext, "Phạm Minh")
        await s.commit()
        return user


async def test_get_or_create_user_is_stable(db: Database) -> None:
    a = await _user(db)
    b = await _user(db)
    assert a.id == b.id
    async with db.session() as s:
        u = await users.get(s, a.id)
        await users.update_contact(s, u, phone="0912345678", province="bac_ninh")
        await users.set_role(s, u, "staff")
        await users.set_active(s, u, False)
        with pytest.raises(InvalidValue):
            await users.set_role(s, u, "king")
        await s.commit()
    async with db.session() as s:
        u = await users.get(s, a.id)
        assert (u.phone, u.province, u.role, u.active, u.display_name) == (
            "0912345678", "bac_ninh", "staff", False, "Phạm Minh")


async def test_demand_lifecycle(db: Database) -> None:
    user = await _user(db)
    async with db.session() as s:
        d = await demands.create(s, user, "find_technology", "cần máy sấy vải thiều, sđt 0912 345 678",
                                 details={"phone": "0912345678", "quantity": "2 tấn"},
                                 product="vải thiều", province="bac_ninh", budget=500_000_000)
    # committed by create(): visible from another session
    async with db.session() as s:
        d = await demands.get(s, d.id)
        await demands.attach_matches(s, d, [5, 7], [2])
        await demands.add_interest(s, d, 7)
        await demands.add_interest(s, d, 7)
        await demands.change_status(s, d, "assigned", changed_by="staff:1")
        await demands.change_status(s, d, "connected", note="Đã gọi điện", changed_by="staff:1")
        with pytest.raises(InvalidStatusChange):
            await demands.change_status(s, d, "rejected")
        await s.commit()
    async with db.session() as s:
        d = await demands.get(s, d.id)
        assert d.status == "connected"
        assert [h.new_status for h in d.history] == ["new", "assigned", "connected"]
        assert d.matched_technology_ids == [5, 7] and d.interested_technology_ids == [7]
        assert [x.id for x in await demands.list_all(s, status="connected")] == [d.id]
        assert await demands.list_all(s, status=["new"]) == []
        assert len(await demands.list_for_user(s, user)) == 1
        u = await users.get(s, user.id)
        assert await demands.anonymise_user(s, u) == 1
        await s.commit()
    async with db.session() as s:
        d = await demands.get(s, d.id)
        assert "0912" not in d.raw_text and "phone" not in d.details
        assert d.details["quantity"] == "2 tấn"
        assert (await users.get(s, user.id)).display_name is None


async def test_connection_point_assignment_with_national_fallback(db: Database) -> None:
    user = await _user(db)
    async with db.session() as s:
        s.add_all([ConnectionPoint(code="QG", name="Trung tâm quốc gia", provinces=["*"]),
                   ConnectionPoint(code="BN", name="Điểm Bắc Ninh", provinces=["bac_ninh"])])
        await s.commit()
        d1 = await demands.create(s, user, "find_technology", province="bac_ninh")
        d2 = await demands.create(s, user, "find_technology", province="ca_mau")
        p1 = await demands.assign_connection_point(s, d1)
        p2 = await demands.assign_connection_point(s, d2)
        await s.commit()
    assert p1 is not None and p1.code == "BN"
    assert p2 is not None and p2.code == "QG"


async def _event(db: Database, *, days: float = 10, capacity: int | None = 1,
                 deadline_days: float | None = 5) -> Event:
    now = utcnow()
    async with db.session() as s:
        ev = Event(code=f"SK-T{abs(hash((days, capacity, deadline_days))) % 10000}",
                   title="Techdemo", kind="techdemo", starts_at=now + timedelta(days=days),
                   capacity=capacity,
                   registration_deadline=None if deadline_days is None
                   else now + timedelta(days=deadline_days))
        s.add(ev)
        await s.commit()
        return ev


async def test_seats_left_for_a_list_of_events(db: Database) -> None:
    a = await _user(db, "a")
    full, roomy, unlimited = (await _event(db, capacity=1), await _event(db, days=12, capacity=5),
                              await _event(db, days=13, capacity=None))
    async with db.session() as s:
        await registrations.add(s, full, a)
        await registrations.add(s, roomy, a)
        await s.commit()
        seats = await registrations.seats_left_many(s, [full, roomy, unlimited])
    assert seats == {full.id: 0, roomy.id: 4, unlimited.id: None}


async def test_registration_rules(db: Database) -> None:
    a, b = await _user(db, "a"), await _user(db, "b")
    ev = await _event(db)
    async with db.session() as s:
        await registrations.add(s, ev, a)
        await s.commit()
        with pytest.raises(AlreadyRegistered):
            await registrations.add(s, ev, a)
        with pytest.raises(EventFull) as full:
            await registrations.add(s, ev, b)
        assert "đủ" in str(full.value)
        assert await registrations.seats_left(s, ev) == 0
        mine = await registrations.list_for_user(s, a)
        assert [r.event.code for r in mine] == [ev.code]
    closed = await _event(db, days=3, deadline_days=-1)
    past = await _event(db, days=-1, deadline_days=None)
    async with db.session() as s:
        with pytest.raises(RegistrationClosed, match="hết hạn"):
            await registrations.add(s, closed, a)
        with pytest.raises(EventPast):
            await registrations.add(s, past, a)


async def test_upcoming_events(db: Database) -> None:
    await _event(db, days=-2, deadline_days=None)
    soon = await _event(db, days=2, deadline_days=None)
    later = await _event(db, days=20, deadline_days=None)
    async with db.session() as s:
        got = await catalog.upcoming_events(s)
        assert [e.id for e in got] == [soon.id, later.id]
        assert (await catalog.get_event(s, soon.code)) is not None
        assert await catalog.upcoming_events(s, kind="techmart") == []


async def test_subscriptions(db: Database) -> None:
    user = await _user(db)
    async with db.session() as s:
        await subscriptions.subscribe(s, user, sectors=["energy"])
        sub = await subscriptions.subscribe(s, user, sectors=["energy", "digital"],
                                            provinces=["ha_noi"])
        await s.commit()
        assert sub.sectors == ["digital", "energy"]
        assert len(await subscriptions.active_for_user(s, user)) == 1
        assert len(await subscriptions.active_matching(s, sector="energy", province="ha_noi")) == 1
        assert await subscriptions.active_matching(s, sector="crop") == []
        assert await subscriptions.deactivate_all(s, user) == 1
        await s.commit()
        assert await subscriptions.active_for_user(s, user) == []


async def test_pending_technology_codes(db: Database) -> None:
    user = await _user(db)
    async with db.session() as s:
        t1 = await catalog.create_technology_pending(s, title="Máy bóc vỏ hạt điều",
                                                     submitted_by=user)
        t2 = await catalog.create_technology_pending(s, title="Lò sấy cà phê")
        await s.commit()
        assert (t1.code, t2.code, t1.status) == ("CN-U0001", "CN-U0002", "pending_review")
