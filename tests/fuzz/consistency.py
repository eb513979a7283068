"""Is the database still consistent after a fuzz run? A list of problems, empty when it is."""

from __future__ import annotations

from collections import Counter

from sqlalchemy import String, func, select, text
from sqlalchemy.ext.asyncio import AsyncSession

from storage.db import Database
from storage.models import (
    Base,
    ConversationState,
    Demand,
    DemandStatusChange,
    Event,
    EventRegistration,
)


async def problems(db: Database) -> list[str]:
    found: list[str] = []
    async with db.session() as s:
        if db.dialect == "sqlite":
            integrity = (await s.execute(text("PRAGMA integrity_check"))).scalar_one()
            if integrity != "ok":
                found.append(f"integrity_check: {integrity}")
            orphans = (await s.execute(text("PRAGMA foreign_key_check"))).all()
            found += [f"foreign key broken: {row}" for row in orphans]
        found += await _too_long(s)
        found += await _demand_history(s)
        found += await _overbooked(s)
        for slots in (await s.execute(select(ConversationState.slots))).scalars():
            if not isinstance(slots, dict):
                found.append(f"conversation state is not an object: {slots!r:.80}")
    return found


async def _too_long(s: AsyncSession) -> list[str]:
    """SQLite stores any length; PostgreSQL would have refused what exceeds String(n)."""
    found = []
    for table in Base.metadata.sorted_tables:
        for column in table.columns:
            limit = getattr(column.type, "length", None)
            if isinstance(column.type, String) and limit:
                longest = (await s.execute(select(func.max(func.length(column))))).scalar()
                if longest is not None and longest > limit:
                    found.append(f"{table.name}.{column.name}: {longest} characters > {limit}")
    return found


async def _demand_history(s: AsyncSession) -> list[str]:
    found = []
    demands = (await s.execute(select(Demand.id, Demand.status))).all()
    changes = (await s.execute(select(DemandStatusChange.demand_id, DemandStatusChange.new_status)
                               .order_by(DemandStatusChange.id))).all()
    last = {demand_id: status for demand_id, status in changes}
    for demand_id, status in demands:
        if last.get(demand_id) != status:
            found.append(f"demand {demand_id}: status {status} but history says "
                         f"{last.get(demand_id)}")
    return found


async def _overbooked(s: AsyncSession) -> list[str]:
    taken = Counter((await s.execute(select(EventRegistration.event_id))).scalars())
    capacity = dict((await s.execute(select(Event.id, Event.capacity))).all())
    return [f"event {event_id}: {count} registrations for {capacity[event_id]} seats"
            for event_id, count in taken.items()
            if capacity.get(event_id) is not None and count > capacity[event_id]]
