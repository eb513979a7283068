"""Every model round-trips (written, read back in a fresh session) on SQLite and PostgreSQL."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone

import pytest
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from storage.db import Database
from storage.models import (
    ConnectionPoint,
    ConversationState,
    Demand,
    DemandStatusChange,
    Event,
    EventRegistration,
    Expert,
    MessageLog,
    ProcessedUpdate,
    Subscription,
    Technology,
    User,
)

VN = timezone(timedelta(hours=7))


async def _roundtrip(db: Database, obj: object) -> object:
    async with db.session() as s:
        s.add(obj)
        await s.commit()
        key = obj.id  # type: ignore[attr-defined]
    async with db.session() as s:
        loaded = await s.get(type(obj), key)
        assert loaded is not None
        return loaded


async def _user(db: Database, ext: str = "42") -> User:
    async with db.session() as s:
        user = User(channel="telegram", external_id=ext, display_name="Nguyễn Văn Ánh")
        s.add(user)
        await s.commit()
        return user


async def test_user_roundtrip_and_unique(db: Database) -> None:
    consent = datetime(2026, 1, 2, 3, 4, 5, tzinfo=UTC)
    u = await _roundtrip(db, User(channel="telegram", external_id="1", display_name="Trần Thị Bé",
                                  phone="0912345678", email="be@htx.vn", organisation="HTX Lục Ngạn",
                                  province="bac_ninh", role="enterprise", consent_at=consent))
    assert isinstance(u, User)
    assert (u.display_name, u.province, u.active, u.consent_at) == (
        "Trần Thị Bé", "bac_ninh", True, consent)
    assert u.created_at.tzinfo is not None
    async with db.session() as s:
        s.add(User(channel="telegram", external_id="1"))
        with pytest.raises(IntegrityError):
            await s.commit()


async def test_technology_roundtrip(db: Database) -> None:
    t = await _roundtrip(db, Technology(
        code="CN-9001", title="Máy sấy bơm nhiệt sấy vải thiều", summary="Sấy 500 kg/mẻ",
        description="Nhiệt độ 45–55 °C", sector="post_harvest", keywords=["sấy", "vải thiều"],
        stage="commercial", transfer_modes=["sale", "training"], price_min=350_000_000,
        price_max=3_500_000_000, provider="Viện Cơ điện NN", province="ha_noi",
        provider_contact={"name": "Lê Văn C", "phone": "0243868", "email": "a@b.vn"},
        status="published", source="demo"))
    assert isinstance(t, Technology)
    assert t.keywords == ["sấy", "vải thiều"]
    assert t.provider_contact["name"] == "Lê Văn C"
    assert t.price_max == 3_500_000_000


async def test_expert_roundtrip(db: Database) -> None:
    e = await _roundtrip(db, Expert(code="CG-901", name="Kim Soo-hyun", title="Prof. Dr.",
                                    organisation="KIST", fields=["vật liệu nano"],
                                    sectors=["materials"], languages=["ko", "en"], foreign=True,
                                    country="Hàn Quốc", contact={"email": "kim@kist.re.kr"},
                                    consent_contact=True))
    assert isinstance(e, Expert)
    assert (e.foreign, e.languages, e.province, e.contact["email"]) == (
        True, ["ko", "en"], None, "kim@kist.re.kr")


async def test_event_registration_roundtrip(db: Database) -> None:
    user = await _user(db)
    starts = datetime(2026, 12, 1, 8, 0, tzinfo=VN)
    ev = await _roundtrip(db, Event(code="SK-901", kind="techmart", title="Techmart Bắc Ninh",
                                    starts_at=starts, ends_at=starts + timedelta(hours=8),
                                    province="bac_ninh", sectors=["post_harvest"], capacity=2,
                                    registration_deadline=starts - timedelta(days=2)))
    assert isinstance(ev, Event)
    assert ev.starts_at == starts and ev.starts_at.tzinfo is not None
    assert ev.starts_at.astimezone(VN).hour == 8
    reg = await _roundtrip(db, EventRegistration(event_id=ev.id, user_id=user.id))
    assert isinstance(reg, EventRegistration) and reg.event_id == ev.id
    async with db.session() as s:
        s.add(EventRegistration(event_id=ev.id, user_id=user.id))
        with pytest.raises(IntegrityError):
            await s.commit()


async def test_demand_history_point_roundtrip(db: Database) -> None:
    user = await _user(db)
    cp = await _roundtrip(db, ConnectionPoint(code="DKN-01", name="Điểm kết nối Bắc Ninh",
                                              provinces=["bac_ninh"],
                                              contact={"phone": "02223822"}))
    assert isinstance(cp, ConnectionPoint) and not cp.national
    d = Demand(user_id=user.id, type="find_technology", raw_text="cần máy sấy vải",
               details={"quantity": "5 tấn/ngày"}, sector="post_harvest", product="vải thiều",
               province="bac_ninh", budget=500_000_000, matched_technology_ids=[1, 2],
               matched_expert_ids=[3], interested_technology_ids=[2], connection_point_id=cp.id)
    d.history = [DemandStatusChange(new_status="new")]
    loaded = await _roundtrip(db, d)
    assert isinstance(loaded, Demand)
    assert loaded.details == {"quantity": "5 tấn/ngày"}
    assert loaded.matched_technology_ids == [1, 2]
    assert [h.new_status for h in loaded.history] == ["new"]


async def test_subscription_state_update_log_roundtrip(db: Database) -> None:
    user = await _user(db)
    sub = await _roundtrip(db, Subscription(user_id=user.id, sectors=["energy"],
                                            provinces=["ha_noi"], event_kinds=["techmart"]))
    assert isinstance(sub, Subscription) and sub.active and sub.sectors == ["energy"]
    st = await _roundtrip(db, ConversationState(channel="console", chat_id="c1",
                                                handler="find_technology", step="ask_province",
                                                slots={"product": "vải thiều", "n": 3}))
    assert isinstance(st, ConversationState) and st.slots == {"product": "vải thiều", "n": 3}
    pu = await _roundtrip(db, ProcessedUpdate(channel="telegram", update_id="777"))
    assert isinstance(pu, ProcessedUpdate) and pu.processed_at.tzinfo is not None
    log = await _roundtrip(db, MessageLog(channel="console", chat_id="c1", direction="in",
                                          text="xin chào", intent="greet", confidence=0.93))
    assert isinstance(log, MessageLog) and log.confidence == pytest.approx(0.93)


async def test_naive_datetime_is_refused(db: Database) -> None:
    async with db.session() as s:
        s.add(Event(code="SK-902", title="x", starts_at=datetime(2026, 1, 1)))
        with pytest.raises(Exception, match="naive"):
            await s.commit()


async def test_foreign_keys_enforced(db: Database) -> None:
    async with db.session() as s:
        s.add(EventRegistration(event_id=999, user_id=999))
        with pytest.raises(IntegrityError):
            await s.commit()
    async with db.session() as s:
        assert (await s.execute(select(EventRegistration))).first() is None
