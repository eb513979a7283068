"""What the scheduled jobs have to tell subscribers and registrants (read side).

The jobs render the messages and queue them with a dedupe key per (what, who), so a job that
runs twice, or in two processes, queues each message once.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import select

from storage.db import Database
from storage.models import Event, EventRegistration, Subscription, Technology, User
from storage.repos.broadcasts import NOT_PUSHABLE

NEWS_LOOKBACK = timedelta(days=3)  # items older than this are no longer "new"


@dataclass(frozen=True, slots=True)
class Reader:
    user_id: int
    channel: str
    chat_id: str


@dataclass(frozen=True, slots=True)
class ReminderDue:
    event: Event
    reader: Reader
    which: str  # "1d" | "1h"


def _reader(user: User) -> Reader:
    return Reader(user.id, user.channel, user.external_id)


async def due_reminders(db: Database, now: datetime) -> list[ReminderDue]:
    """Registrants of events starting within a day ("1d", until an hour before) or within an
    hour ("1h")."""
    stmt = (select(Event, User).join(EventRegistration, EventRegistration.event_id == Event.id)
            .join(User, EventRegistration.user_id == User.id)
            .where(Event.starts_at > now, Event.starts_at <= now + timedelta(days=1),
                   User.active, User.channel.not_in(NOT_PUSHABLE))
            .order_by(Event.starts_at, User.id))
    async with db.session() as s:
        rows = (await s.execute(stmt)).all()
    return [ReminderDue(event, _reader(user),
                        "1h" if event.starts_at - now <= timedelta(hours=1) else "1d")
            for event, user in rows]


def _matches(sub: Subscription, sector: str | list[str] | None, province: str | None,
             kind: str | None = None) -> bool:
    sectors = [sector] if isinstance(sector, str) else list(sector or [])
    if sub.sectors and sectors and not set(sub.sectors) & set(sectors):
        return False
    if sub.provinces and province and province not in sub.provinces:
        return False
    return not (sub.event_kinds and kind and kind not in sub.event_kinds)


async def _subscribers(session: object, *, notify_only: bool) -> list[tuple[Subscription, User]]:
    stmt = (select(Subscription, User).join(User, Subscription.user_id == User.id)
            .where(Subscription.active, User.active, User.channel.not_in(NOT_PUSHABLE))
            .order_by(User.id))
    if notify_only:
        stmt = stmt.where(Subscription.notify_new)
    return list((await session.execute(stmt)).all())  # type: ignore[attr-defined]


async def new_items(db: Database, now: datetime) -> tuple[list[Event], list[Technology]]:
    """Upcoming events and published technologies added within the lookback."""
    since = now - NEWS_LOOKBACK
    async with db.session() as s:
        events = list((await s.execute(select(Event).where(
            Event.created_at >= since, Event.starts_at > now,
            Event.archived_at.is_(None)).order_by(Event.id))).scalars())
        # updated_at: a technology offered in chat is "new" when it passes review.
        techs = list((await s.execute(select(Technology).where(
            Technology.status == "published", Technology.updated_at >= since)
            .order_by(Technology.id))).scalars())
    return events, techs


async def notices_due(db: Database, now: datetime
                      ) -> list[tuple[Reader, Event | None, Technology | None]]:
    """(who, new event or technology) for subscribers who opted in, items newer than their
    subscription."""
    events, techs = await new_items(db, now)
    if not events and not techs:
        return []
    async with db.session() as s:
        readers = await _subscribers(s, notify_only=True)
    out: list[tuple[Reader, Event | None, Technology | None]] = []
    for sub, user in readers:
        for event in events:
            if event.created_at > sub.created_at and _matches(sub, event.sectors, event.province,
                                                              event.kind):
                out.append((_reader(user), event, None))
        for tech in techs:
            if tech.updated_at > sub.created_at and _matches(sub, tech.sector, tech.province):
                out.append((_reader(user), None, tech))
    return out


async def digests_due(db: Database, now: datetime
                      ) -> list[tuple[Reader, list[Technology], list[Event]]]:
    """For each subscriber, the week's new technologies and events matching them (empty
    digests left out)."""
    since = now - timedelta(days=7)
    async with db.session() as s:
        readers = await _subscribers(s, notify_only=False)
        events = list((await s.execute(select(Event).where(
            Event.created_at >= since, Event.starts_at > now,
            Event.archived_at.is_(None)).order_by(Event.starts_at)))
            .scalars())
        techs = list((await s.execute(select(Technology).where(
            Technology.status == "published", Technology.updated_at >= since)
            .order_by(Technology.id))).scalars())
    out = []
    for sub, user in readers:
        mine_t = [t for t in techs if _matches(sub, t.sector, t.province)]
        mine_e = [e for e in events if _matches(sub, e.sectors, e.province, e.kind)]
        if mine_t or mine_e:
            out.append((_reader(user), mine_t, mine_e))
    return out
