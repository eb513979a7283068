"""A small fixed dataset whose report figures were counted by hand (see test_reports.py)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from storage.db import Database
from storage.models import (
    ConnectionPoint,
    Demand,
    DemandStatusChange,
    Event,
    EventRegistration,
    Expert,
    Subscription,
    Technology,
    User,
)


def utc(*args: int) -> datetime:
    return datetime(*args, tzinfo=UTC)


def _demand(user: User, point: ConnectionPoint | None, at: datetime, type_: str,
            sector: str | None, province: str | None, techs: list[int], experts: list[int],
            changes: list[tuple[str, datetime]]) -> Demand:
    demand = Demand(user_id=user.id, type=type_, sector=sector, province=province,
                    connection_point_id=point.id if point else None, created_at=at,
                    matched_technology_ids=techs, matched_expert_ids=experts,
                    status=changes[-1][0] if changes else "new")
    history, old = [DemandStatusChange(old_status=None, new_status="new", changed_at=at)], "new"
    for status, when in changes:
        history.append(DemandStatusChange(old_status=old, new_status=status, changed_at=when))
        old = status
    demand.history = history
    return demand


async def build(db: Database) -> dict[str, Any]:
    async with db.transaction() as s:
        bn = ConnectionPoint(code="BN", name="Điểm Bắc Ninh", provinces=["bac_ninh"])
        hn = ConnectionPoint(code="HN", name="Điểm Hà Nội", provinces=["ha_noi"])
        qg = ConnectionPoint(code="QG", name="Điểm quốc gia", provinces=["*"])
        u1 = User(channel="telegram", external_id="1", province="bac_ninh",
                  created_at=utc(2025, 12, 1))
        u2 = User(channel="zalo", external_id="2", created_at=utc(2026, 1, 10))
        u3 = User(channel="console", external_id="3", province="ha_noi",
                  created_at=utc(2026, 2, 1))
        u4 = User(channel="telegram", external_id="4", created_at=utc(2026, 5, 1))
        techs = [
            Technology(code="T1", title="Sấy vải", sector="post_harvest", stage="pilot",
                       province="bac_ninh", created_at=utc(2025, 6, 1)),
            Technology(code="T2", title="Kho lạnh", sector="post_harvest", stage="commercial",
                       province="ha_noi", created_at=utc(2025, 6, 1)),
            Technology(code="T3", title="Men vi sinh", sector="biotech", source="chatbot",
                       created_at=utc(2026, 2, 10)),
            Technology(code="T4", title="Phân hữu cơ", sector="biotech", source="chatbot",
                       status="pending_review", province="bac_ninh", created_at=utc(2026, 3, 5)),
            Technology(code="T5", title="Enzyme", sector="biotech", stage="pilot",
                       created_at=utc(2026, 5, 1)),
        ]
        experts = [Expert(code="E1", name="Lan"), Expert(code="E2", name="Minh")]
        s.add_all([bn, hn, qg, u1, u2, u3, u4, *techs, *experts])
        await s.flush()
        t = {x.code: x.id for x in techs}
        e = {x.code: x.id for x in experts}
        d1_at = utc(2026, 1, 5, 3)
        d3_at = utc(2026, 3, 10, 2)
        s.add_all([
            _demand(u1, bn, d1_at, "find_technology", "post_harvest", "bac_ninh",
                    [t["T1"], t["T2"]], [e["E1"]],
                    [("matched", d1_at + timedelta(hours=1)),
                     ("connected", d1_at + timedelta(hours=48)), ("closed", utc(2026, 3, 1))]),
            # 00:30 on 1 February in Vietnam is still 31 January in UTC: a February demand.
            _demand(u2, bn, utc(2026, 1, 31, 17, 30), "find_technology", "post_harvest",
                    "bac_ninh", [t["T2"], t["T3"]], [],
                    [("matched", utc(2026, 1, 31, 19, 30)), ("connected", utc(2026, 4, 2))]),
            _demand(u3, hn, d3_at, "find_expert", "biotech", "ha_noi", [], [e["E1"], e["E2"]],
                    [("matched", d3_at + timedelta(hours=3)),
                     ("connected", d3_at + timedelta(hours=27)),
                     ("closed", d3_at + timedelta(hours=30))]),
            # 23:00 on 31 March in Vietnam: the last hour of the quarter.
            _demand(u1, qg, utc(2026, 3, 31, 16), "find_technology", None, None, [], [], []),
            # Received in December, connected in January: a connection of the quarter.
            _demand(u1, bn, utc(2025, 12, 20), "find_technology", "post_harvest", "bac_ninh",
                    [t["T5"]], [], [("connected", utc(2026, 1, 20))]),
            # 00:30 on 1 April in Vietnam: after the quarter.
            _demand(u2, None, utc(2026, 3, 31, 17, 30), "find_technology", "biotech", None,
                    [t["T4"]], [], []),
        ])
        events = [
            Event(code="EV1", kind="techmart", title="Techmart", starts_at=utc(2026, 1, 20, 1),
                  province="bac_ninh"),
            Event(code="EV2", kind="workshop", title="Hội thảo", starts_at=utc(2026, 2, 15, 1),
                  province="ha_noi"),
            Event(code="EV3", kind="training", title="Lớp học", starts_at=utc(2026, 3, 20, 1)),
            Event(code="EV4", kind="training", title="Lớp sau", starts_at=utc(2026, 4, 20, 1)),
            Event(code="EV5", kind="workshop", title="Hội thảo cũ",
                  starts_at=utc(2025, 12, 15, 1)),
        ]
        s.add_all(events)
        await s.flush()
        ev = {x.code: x.id for x in events}
        s.add_all([EventRegistration(event_id=ev[code], user_id=user.id) for code, user in (
            ("EV1", u1), ("EV1", u2), ("EV2", u3), ("EV3", u1), ("EV3", u2), ("EV3", u3),
            ("EV4", u1), ("EV5", u1))])
        s.add_all([
            Subscription(user_id=u1.id, sectors=["post_harvest", "biotech"],
                         provinces=["bac_ninh"], created_at=utc(2026, 1, 2)),
            Subscription(user_id=u2.id, sectors=[], provinces=[], created_at=utc(2026, 2, 2)),
            Subscription(user_id=u3.id, sectors=["biotech"], provinces=["ha_noi"], active=False,
                         created_at=utc(2026, 2, 3)),
            Subscription(user_id=u4.id, sectors=["biotech"], created_at=utc(2026, 5, 2)),
        ])
    return {"now": utc(2026, 4, 15)}
