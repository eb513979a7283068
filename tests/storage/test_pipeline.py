"""The demand pipeline in storage, on SQLite and PostgreSQL: staff taking a demand at the same
moment (exactly one wins), transitions refused from the wrong status, alerts to the point's
staff with the national point as fallback, and every step audited."""

from __future__ import annotations

import asyncio

import pytest

from storage.db import Database
from storage.errors import InvalidStatusChange, InvalidValue
from storage.models import AuditEntry, Demand, OutboxMessage, User
from storage.repos import audit, demands, pipeline, staff
from storage.repos.pipeline import Actor, AlreadyTaken


def _alert(card: pipeline.DemandCard) -> dict[str, object]:
    return {"text": f"Nhu cầu mới số {card.id}"}


async def _demand(db: Database, province: str | None = "bac_ninh", user_id: str = "555") -> int:
    async with db.transaction() as s:
        user = User(channel="telegram", external_id=user_id)
        s.add(user)
        await s.flush()
    demand, _ = await demands.submit(db, user, Demand(type="find_technology", raw_text="máy sấy",
                                                      province=province), {}, alert=_alert)
    return demand.id


async def _rows(db: Database, model: type) -> list:
    from sqlalchemy import select

    async with db.session() as s:
        return list((await s.execute(select(model).order_by(model.id))).scalars())


async def test_staff_pressing_take_at_once_exactly_one_wins(small_catalog: Database) -> None:
    db = small_catalog
    names = [f"Cán bộ {i}" for i in range(5)]
    for i, name in enumerate(names):
        await staff.add(db, "telegram", str(900 + i), point="P-BN", name=name)
    demand_id = await _demand(db)
    results = await asyncio.gather(
        *(pipeline.take(db, demand_id, Actor(f"telegram:{900 + i}", n))
          for i, n in enumerate(names)), return_exceptions=True)
    won = [r for r in results if isinstance(r, pipeline.DemandCard)]
    lost = [r for r in results if isinstance(r, AlreadyTaken)]
    assert len(won) == 1 and len(lost) == 4, results
    winner = won[0].assigned_name
    assert all(r.holder == winner for r in lost)
    [row] = await _rows(db, Demand)
    assert row.status == "assigned" and row.assigned_name == winner
    assert len(row.history) == 2 and len(await _rows(db, AuditEntry)) == 1


async def test_alerts_go_to_the_point_else_the_national_point(small_catalog: Database) -> None:
    db = small_catalog
    await staff.add(db, "telegram", "1", point="P-BN")
    await staff.add(db, "zalo", "2", point="P-TW")
    await _demand(db, "bac_ninh")
    await _demand(db, "ca_mau", "556")  # no point serves it: the national point
    alerts = [(r.channel, r.recipient, r.payload["text"]) for r in await _rows(db, OutboxMessage)]
    assert alerts == [("telegram", "1", "Nhu cầu mới số 1"), ("zalo", "2", "Nhu cầu mới số 2")]


async def test_steps_refused_from_the_wrong_status(small_catalog: Database) -> None:
    db = small_catalog
    demand_id = await _demand(db)
    lan = Actor("telegram:1", "Lan")
    with pytest.raises(InvalidStatusChange):
        await pipeline.change(db, demand_id, "connected", lan)  # nobody has taken it yet
    with pytest.raises(InvalidValue):
        await pipeline.change(db, demand_id, "closed", lan, outcome="won")
    await pipeline.take(db, demand_id, lan)
    card = await pipeline.change(db, demand_id, "closed", lan, outcome="duplicate", note="Trùng")
    assert (card.status, card.outcome) == ("closed", "duplicate")
    with pytest.raises(InvalidStatusChange):
        await pipeline.take(db, demand_id, Actor("telegram:2", "Hà"))
    entries = await audit.since(db)
    assert [e.details["new"] for e in entries] == ["assigned", "closed"]
    assert entries[-1].actor == "telegram:1 (Lan)" and entries[-1].details["note"] == "Trùng"
