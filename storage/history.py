"""`ketnoi seed --history`: a year of synthetic but plausible activity, for a believable report.

Demands spread over months (busier in spring and autumn), sectors and provinces, routed to their
connection point, with the matches shown, some connected and closed; past events with their
registrations; subscribers; a few technologies offered in chat. Everything synthetic is marked
so `remove` deletes exactly it: users' external ids start with `history-` (their demands,
registrations and subscriptions go with them), event and technology codes start with `LS-`.

Rows are written with bulk inserts (the benchmark uses the same generator for 100,000 demands).
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import delete, func, insert, select
from sqlalchemy.ext.asyncio import AsyncSession

from nlu.taxonomy import PROVINCES, SECTORS
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

USER_PREFIX = "history-"
CODE_PREFIX = "LS-"
CHANNELS = (("telegram", 55), ("zalo", 35), ("console", 10))
TYPES = (("find_technology", 55), ("find_expert", 15), ("ask_funding", 8), ("ip_support", 7),
         ("ask_training", 6), ("human_handoff", 5), ("offer_technology", 4))
# Demands per month of the year: fewer around Tết (Jan-Feb) and in summer.
SEASON = (5, 4, 9, 10, 9, 7, 6, 7, 10, 11, 10, 8)
EVENTS_PER_YEAR = (("workshop", 12), ("training", 24), ("techmart", 2), ("techdemo", 3),
                   ("techfest", 1), ("connection_session", 6))
CHUNK = 5_000


@dataclass
class HistoryCounts:
    users: int = 0
    demands: int = 0
    status_changes: int = 0
    events: int = 0
    registrations: int = 0
    subscriptions: int = 0
    offers: int = 0


def _pick(rng: random.Random, weighted: tuple[tuple[str, int], ...]) -> str:
    return rng.choices([k for k, _ in weighted], [w for _, w in weighted])[0]


@dataclass(frozen=True)
class Span:
    """The synthetic year: `days` local days from `first`, nothing after `now`."""

    first: date
    days: int
    now: datetime
    tz: ZoneInfo


def _moment(rng: random.Random, span: Span) -> datetime:
    """A working-hours moment on a day of the span, months weighted by SEASON."""
    while True:
        day = span.first + timedelta(days=rng.randrange(span.days))
        if rng.random() * max(SEASON) <= SEASON[day.month - 1] and day.weekday() < 6:
            clock = time(rng.randint(7, 20), rng.randrange(60))
            at = datetime.combine(day, clock, tzinfo=span.tz).astimezone(UTC)
            if at <= span.now:
                return at


async def _bulk(s: AsyncSession, model: Any, rows: list[dict[str, Any]],
                ids: bool = False) -> list[int]:
    """Insert rows in chunks; with `ids`, the new ids in the order of `rows`."""
    # Core inserts on the table: the ORM's bulk path splits rows into small batches whenever
    # the pattern of NULLs changes, and that costs a round trip per few rows on PostgreSQL.
    table = model.__table__
    out: list[int] = []
    for n in range(0, len(rows), CHUNK):
        chunk = rows[n:n + CHUNK]
        if ids:
            stmt = insert(table).returning(table.c.id, sort_by_parameter_order=True)
            out += list((await s.execute(stmt, chunk)).scalars())
        else:
            await s.execute(insert(table), chunk)
    return out


async def _users(s: AsyncSession, rng: random.Random, first_seen: list[datetime]) -> list[int]:
    """One synthetic enterprise per entry, created just before it first wrote."""
    rows = [{"channel": _pick(rng, CHANNELS), "external_id": f"{USER_PREFIX}{n}",
             "display_name": f"Doanh nghiệp mẫu {n}", "role": "enterprise", "active": True,
             "province": rng.choice(PROVINCES).id if rng.random() < 0.6 else None,
             "created_at": at - timedelta(minutes=rng.randint(1, 30)), "updated_at": at}
            for n, at in enumerate(first_seen, 1)]
    return await _bulk(s, User, rows, ids=True)


def _status_path(rng: random.Random, start: datetime, matched: bool,
                 now: datetime) -> list[tuple[str, datetime]]:
    """The demand's changes after `new`, with today's statuses, none in the future."""
    path, at = [], start
    if matched:
        at += timedelta(minutes=rng.randint(1, 5))
        path.append(("matched", at))
    if rng.random() < 0.05:
        path.append(("rejected", at + timedelta(days=rng.randint(1, 10))))
    elif matched and rng.random() < 0.35:
        at += timedelta(days=rng.randint(2, 40), hours=rng.randint(0, 23))
        path.append(("connected", at))
        if rng.random() < 0.6:
            path.append(("closed", at + timedelta(days=rng.randint(5, 60))))
    return [(status, when) for status, when in path if when < now]


async def _catalog(s: AsyncSession) -> dict[str, Any]:
    techs = (await s.execute(select(Technology.id, Technology.sector)
                             .where(Technology.status == "published"))).all()
    by_sector: dict[str, list[int]] = {}
    for tech_id, sector in techs:
        by_sector.setdefault(sector or "", []).append(tech_id)
    points = list((await s.execute(select(ConnectionPoint))).scalars())
    return {"techs": [t for t, _ in techs], "by_sector": by_sector,
            "experts": list((await s.execute(select(Expert.id))).scalars()),
            "point": {p: cp.id for cp in points for p in cp.provinces or []}}


def _demand_row(rng: random.Random, user: int, at: datetime, cat: dict[str, Any]) -> dict[str, Any]:
    kind = _pick(rng, TYPES)
    sector = rng.choice(SECTORS).id if rng.random() < 0.97 else None
    province = rng.choice(PROVINCES).id if rng.random() < 0.95 else None
    pool = cat["by_sector"].get(sector or "") or cat["techs"]
    techs = rng.sample(pool, min(len(pool), rng.randint(1, 3))) \
        if kind == "find_technology" and pool else []
    experts = rng.sample(cat["experts"], min(len(cat["experts"]), rng.randint(1, 2))) \
        if kind == "find_expert" and cat["experts"] else []
    point = cat["point"].get(province or "*") or cat["point"].get("*")
    return {"user_id": user, "type": kind, "raw_text": "", "details": {"synthetic": True},
            "sector": sector, "province": province, "budget": None, "status": "new",
            "matched_technology_ids": techs, "matched_expert_ids": experts,
            "interested_technology_ids": [], "connection_point_id": point,
            "created_at": at, "updated_at": at}


async def _demands(s: AsyncSession, rng: random.Random, count: int,
                   span: Span) -> tuple[list[int], int, int]:
    """The enterprises and their demands (about 5 demands for 4 enterprises)."""
    moments = sorted(_moment(rng, span) for _ in range(count))
    n_users = max(1, count * 4 // 5)
    owners = [rng.randrange(n_users) for _ in moments]
    first_seen = [_moment(rng, span) for _ in range(n_users)]
    for owner, at in zip(owners, moments, strict=True):
        first_seen[owner] = min(first_seen[owner], at)
    users = await _users(s, rng, first_seen)
    cat = await _catalog(s)
    rows = [_demand_row(rng, users[owner], at, cat)
            for owner, at in zip(owners, moments, strict=True)]
    paths = [_status_path(rng, r["created_at"], bool(r["matched_technology_ids"]
                                                     or r["matched_expert_ids"]), span.now)
             for r in rows]
    for row, path in zip(rows, paths, strict=True):
        if path:
            row["status"], row["updated_at"] = path[-1]
    ids = await _bulk(s, Demand, rows, ids=True)
    changes = []
    for demand_id, row, path in zip(ids, rows, paths, strict=True):
        old = None
        for status, at in [("new", row["created_at"]), *path]:
            changes.append({"demand_id": demand_id, "old_status": old, "new_status": status,
                            "note": None, "changed_by": None, "changed_at": at})
            old = status
    await _bulk(s, DemandStatusChange, changes)
    return users, len(ids), len(changes)


async def _events(s: AsyncSession, rng: random.Random, users: list[int],
                  span: Span) -> tuple[int, int]:
    rows = []
    for kind, per_year in EVENTS_PER_YEAR:
        for n in range(1, max(1, per_year * span.days // 365) + 1):
            at = _moment(rng, span)
            rows.append({"code": f"{CODE_PREFIX}{kind.upper()}-{n:03d}", "kind": kind,
                         "title": f"{kind.replace('_', ' ').title()} {n} (dữ liệu mẫu)",
                         "starts_at": at, "ends_at": at + timedelta(hours=4),
                         "province": rng.choice(PROVINCES).id, "sectors": [],
                         "description": "", "organiser": "", "created_at": at,
                         "updated_at": at})
    ids = await _bulk(s, Event, rows, ids=True)
    regs = [{"event_id": event, "user_id": user, "created_at": row["starts_at"]}
            for event, row in zip(ids, rows, strict=True)
            for user in rng.sample(users, min(len(users), rng.randint(8, 60)))]
    await _bulk(s, EventRegistration, regs)
    return len(ids), len(regs)


async def _subscriptions(s: AsyncSession, rng: random.Random, users: list[int],
                         now: datetime) -> int:
    rows = [{"user_id": user, "active": rng.random() < 0.9,
             "sectors": sorted({rng.choice(SECTORS).id for _ in range(rng.randint(0, 3))}),
             "provinces": sorted({rng.choice(PROVINCES).id for _ in range(rng.randint(0, 2))}),
             "event_kinds": [], "created_at": now - timedelta(days=rng.randrange(365)),
             "updated_at": now}
            for user in users if rng.random() < 0.3]
    await _bulk(s, Subscription, rows)
    return len(rows)


async def _offers(s: AsyncSession, rng: random.Random, users: list[int], count: int,
                  span: Span) -> int:
    # Through the ORM (a handful of rows) so their search words are kept like any offer's.
    for n in range(1, count + 1):
        at = _moment(rng, span)
        s.add(Technology(
            code=f"{CODE_PREFIX}CN-{n:03d}", title=f"Công nghệ chào bán mẫu số {n}",
            sector=rng.choice(SECTORS).id, source="chatbot", submitted_by_id=rng.choice(users),
            status="published" if rng.random() < 0.6 else "pending_review",
            created_at=at, updated_at=at))
    await s.flush()
    return count


async def add(db: Database, *, demands: int = 420, days: int = 365, seed: int = 2025,
              now: datetime | None = None, tz: str = "Asia/Ho_Chi_Minh") -> HistoryCounts:
    """Add `days` of synthetic activity ending now (~`demands` demands), in one transaction."""
    if days < 7:  # a week at least, so working days exist before `now`
        raise ValueError("the history spans at least 7 days")
    rng, zone = random.Random(seed), ZoneInfo(tz)
    now = now or datetime.now(UTC)
    span = Span(now.astimezone(zone).date() - timedelta(days=days - 1), days, now, zone)
    counts = HistoryCounts()
    async with db.transaction() as s:
        if await _present(s):
            await _remove(s)
        users, counts.demands, counts.status_changes = await _demands(s, rng, demands, span)
        counts.users = len(users)
        counts.events, counts.registrations = await _events(s, rng, users, span)
        counts.subscriptions = await _subscriptions(s, rng, users, now)
        counts.offers = await _offers(s, rng, users, max(1, demands // 25), span)
    return counts


async def _present(s: AsyncSession) -> bool:
    stmt = select(func.count()).select_from(User).where(User.external_id.like(f"{USER_PREFIX}%"))
    return bool((await s.execute(stmt)).scalar_one())


async def _remove(s: AsyncSession) -> HistoryCounts:
    synthetic_users = select(User.id).where(User.external_id.like(f"{USER_PREFIX}%"))
    counts = HistoryCounts()
    counts.demands = (await s.execute(select(func.count()).select_from(Demand)
                                      .where(Demand.user_id.in_(synthetic_users)))).scalar_one()
    for model, attr in ((Event, "events"), (Technology, "offers")):
        result = await s.execute(delete(model).where(model.code.like(f"{CODE_PREFIX}%")))
        setattr(counts, attr, result.rowcount or 0)  # type: ignore[attr-defined]
    # Their demands, status changes, registrations and subscriptions cascade with them.
    result = await s.execute(delete(User).where(User.external_id.like(f"{USER_PREFIX}%")))
    counts.users = result.rowcount or 0  # type: ignore[attr-defined]
    return counts


async def remove(db: Database) -> HistoryCounts:
    """Delete exactly what `add` created."""
    async with db.transaction() as s:
        return await _remove(s)
