"""`ketnoi seed --history`: a year of synthetic activity, removed exactly by --remove-history."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

from sqlalchemy import func, select

from storage import history, reports
from storage.db import Database
from storage.models import (
    Demand,
    DemandStatusChange,
    Event,
    EventRegistration,
    Subscription,
    Technology,
    User,
)
from tests.storage import report_data

NOW = datetime(2026, 11, 30, 5, tzinfo=UTC)
TABLES = (User, Demand, DemandStatusChange, Event, EventRegistration, Subscription, Technology)


async def _counts(db: Database) -> dict[str, int]:
    async with db.session() as s:
        return {m.__tablename__: (await s.execute(select(func.count()).select_from(m)))
                .scalar_one() for m in TABLES}


async def test_history_fills_a_year_and_is_removed_exactly(small_catalog: Database) -> None:
    db = small_catalog
    await report_data.build(db)  # real activity that must survive the removal
    before = await _counts(db)
    added = await history.add(db, demands=120, now=NOW)
    assert (added.demands, added.users) == (120, 96)
    after = await _counts(db)
    assert after["demands"] - before["demands"] == 120
    assert after["demand_status_changes"] - before["demand_status_changes"] == added.status_changes
    assert after["events"] - before["events"] == added.events
    year = reports.Period(date(2025, 12, 1), date(2026, 11, 30))
    fig = await reports.figures(db, year, now=NOW)
    assert fig.demands["total"] >= 120
    months = fig.demands["by_month"]
    assert len(months) == 12 and sum(1 for n in months.values() if n) >= 10  # spread out
    assert len(fig.demands["by_sector"]) >= 8 and len(fig.demands["by_province"]) >= 10
    reached = fig.pipeline["reached"]
    assert reached["new"] >= 120 and 0 < reached["connected"] < reached["matched"]
    assert 0 < reached["closed"] < reached["connected"]
    assert fig.supply["technologies_proposed"] > 0 and fig.supply["connections"] > 0
    assert fig.events["training_classes"] >= 20 and fig.events["training_participants"] > 0
    assert fig.audience["subscribers"] > 0 and fig.catalog["offers_received"] > 0
    async with db.session() as s:  # nothing in the future
        latest = (await s.execute(select(func.max(DemandStatusChange.changed_at)))).scalar_one()
    assert latest <= NOW

    again = await history.add(db, demands=120, now=NOW)  # adding again replaces, never doubles
    assert await _counts(db) == after and again.demands == 120
    removed = await history.remove(db)
    assert removed.demands == 120 and removed.users == 96
    assert await _counts(db) == before


async def test_history_demands_are_routed_and_dated_in_the_span(small_catalog: Database) -> None:
    await history.add(small_catalog, demands=40, days=90, now=NOW)
    async with small_catalog.session() as s:
        first, last = (await s.execute(select(func.min(Demand.created_at),
                                              func.max(Demand.created_at)))).one()
        unrouted = (await s.execute(select(func.count()).select_from(Demand).where(
            Demand.connection_point_id.is_(None)))).scalar_one()
    assert first >= NOW - timedelta(days=91) and last <= NOW
    assert unrouted == 0  # the small catalog has a national point
