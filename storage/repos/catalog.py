"""Catalog look-ups: technologies, experts, events, connection points."""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING, Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from storage.errors import NotFound
from storage.models import ConnectionPoint, Event, Expert, Technology, User
from storage.sqltypes import utcnow

if TYPE_CHECKING:
    from storage.db import Database

MAX_ID = 2**31 - 1  # integer primary keys; PostgreSQL refuses a larger number in the query


async def _by_code_or_id(session: AsyncSession, model: Any, key: str | int) -> Any:
    """By numeric id or by code; a forged button may carry any text ("²", 30 digits)."""
    if isinstance(key, str) and key.isascii() and key.isdigit():
        key = int(key)
    if isinstance(key, int):
        return await session.get(model, key) if 0 < key <= MAX_ID else None
    stmt = select(model).where(model.code == key.strip().upper())
    return (await session.execute(stmt)).scalar_one_or_none()


async def get_technology(session: AsyncSession, key: str | int) -> Technology | None:
    """By code ("CN-0001") or numeric id; None when unknown."""
    obj: Technology | None = await _by_code_or_id(session, Technology, key)
    return obj


async def get_expert(session: AsyncSession, key: str | int) -> Expert | None:
    obj: Expert | None = await _by_code_or_id(session, Expert, key)
    return obj


async def get_event(session: AsyncSession, key: str | int) -> Event | None:
    obj: Event | None = await _by_code_or_id(session, Event, key)
    return obj


async def require_event(session: AsyncSession, key: str | int) -> Event:
    event = await get_event(session, key)
    if event is None:
        raise NotFound("Không tìm thấy sự kiện này.")
    return event


async def technologies_by_ids(session: AsyncSession, ids: list[int]) -> list[Technology]:
    """Technologies in the order of `ids` (missing ones skipped)."""
    if not ids:
        return []
    rows = (await session.execute(select(Technology).where(Technology.id.in_(ids)))).scalars()
    by_id = {t.id: t for t in rows}
    return [by_id[i] for i in ids if i in by_id]


async def experts_by_ids(session: AsyncSession, ids: list[int]) -> list[Expert]:
    if not ids:
        return []
    rows = (await session.execute(select(Expert).where(Expert.id.in_(ids)))).scalars()
    by_id = {e.id: e for e in rows}
    return [by_id[i] for i in ids if i in by_id]


async def upcoming_events(
    session: AsyncSession, *, kind: str | None = None, province: str | None = None,
    sector: str | None = None, now: datetime | None = None, limit: int = 10,
) -> list[Event]:
    """Events not yet started, soonest first; sector matches the event's sector list."""
    stmt = (select(Event).where(Event.starts_at >= (now or utcnow()), Event.archived_at.is_(None))
            .order_by(Event.starts_at))
    if kind:
        stmt = stmt.where(Event.kind == kind)
    if province:
        stmt = stmt.where(Event.province == province)
    events = list((await session.execute(stmt)).scalars())
    if sector:  # JSON containment differs per engine; the event list is small
        events = [e for e in events if sector in (e.sectors or [])]
    return events[:limit]


async def create_technology_pending(
    session: AsyncSession, *, title: str, summary: str = "", description: str = "",
    sector: str | None = None, keywords: list[str] | None = None, province: str | None = None,
    provider: str = "", provider_contact: dict[str, Any] | None = None,
    submitted_by: User | None = None, source: str = "chatbot", **extra: Any,
) -> Technology:
    """A technology offered through the bot: saved as pending_review with a fresh code."""
    tech = Technology(
        code=await next_code(session, "CN-U"), title=title, summary=summary,
        description=description, sector=sector, keywords=list(keywords or []), province=province,
        provider=provider, provider_contact=dict(provider_contact or {}), status="pending_review",
        source=source, submitted_by_id=submitted_by.id if submitted_by else None, **extra,
    )
    session.add(tech)
    await session.flush()
    return tech


async def next_code(session: AsyncSession, prefix: str) -> str:
    """The next free code with this prefix, e.g. CN-U0003."""
    stmt = select(Technology.code).where(Technology.code.like(f"{prefix}%"))
    numbers = [int(c[len(prefix):]) for c in (await session.execute(stmt)).scalars()
               if c[len(prefix):].isdigit()]
    return f"{prefix}{max(numbers, default=0) + 1:04d}"


async def connection_points(session: AsyncSession) -> list[ConnectionPoint]:
    return list((await session.execute(select(ConnectionPoint).order_by(ConnectionPoint.id)))
                .scalars())


# --- taking the Database: each owns its transaction ------------------------------------------
async def event(db: Database, key: str | int) -> Event | None:
    """The event by code or id; None when unknown."""
    async with db.session() as s:
        return await get_event(s, key)


async def events_ahead(db: Database, *, kind: str | None = None, province: str | None = None,
                       sector: str | None = None, now: datetime | None = None,
                       limit: int = 10) -> list[Event]:
    async with db.session() as s:
        return await upcoming_events(s, kind=kind, province=province, sector=sector, now=now,
                                     limit=limit)


async def offer_technology(db: Database, user: User | None, **fields: Any) -> Technology:
    """A technology offered through the bot, stored as pending review (fields as for
    `create_technology_pending`)."""
    async with db.transaction() as s:
        return await create_technology_pending(s, submitted_by=user, **fields)
