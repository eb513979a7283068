"""Broadcasts: staff send a message to an audience of subscribers, through the outbox.

Creating a broadcast writes the broadcast and one outbox row per recipient in one transaction,
so a crash never leaves half an audience. An audience is sectors, provinces and event kinds (an
empty list means any), or the subscribers of one connection point; a subscription that left a
field empty matches any value of it.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import select, update

from storage.db import Database
from storage.errors import InvalidValue, NotFound
from storage.models import Broadcast, ConnectionPoint, Event, Subscription, User
from storage.repos import audit, outbox
from storage.repos.outbox import Counts, Envelope
from storage.sqltypes import utcnow

# Channels a message can be pushed to; the console only answers the person typing.
NOT_PUSHABLE = ("console",)


@dataclass(frozen=True, slots=True)
class Audience:
    sectors: tuple[str, ...] = ()
    provinces: tuple[str, ...] = ()
    kinds: tuple[str, ...] = ()
    point: str | None = None  # a connection point code: subscribers of its provinces

    def to_dict(self) -> dict[str, Any]:
        return {"sectors": list(self.sectors), "provinces": list(self.provinces),
                "kinds": list(self.kinds), "point": self.point}

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Audience:
        return cls(tuple(data.get("sectors") or ()), tuple(data.get("provinces") or ()),
                   tuple(data.get("kinds") or ()), data.get("point"))


@dataclass(frozen=True, slots=True)
class Recipient:
    user_id: int
    channel: str
    chat_id: str


@dataclass(slots=True)
class BroadcastInfo:
    id: int
    text: str
    event_code: str | None
    audience: Audience
    send_at: datetime
    created_by: str
    recipients: int
    cancelled: bool
    per_channel: dict[str, int] = field(default_factory=dict)
    counts: Counts = field(default_factory=Counts)
    point: str | None = None  # the connection point of the staff member who sent it

    @property
    def status(self) -> str:
        if self.cancelled:
            return "cancelled"
        if self.counts.pending == 0:
            return "done"
        return "scheduled" if self.send_at > utcnow() else "sending"


def _overlaps(wanted: tuple[str, ...], theirs: list[str] | None) -> bool:
    return not wanted or not theirs or bool(set(wanted) & set(theirs))


async def _point_provinces(session: Any, code: str) -> tuple[str, ...] | None:
    """The provinces of a point (None for the national point: everywhere)."""
    point = (await session.execute(
        select(ConnectionPoint).where(ConnectionPoint.code == code))).scalar_one_or_none()
    if point is None:
        raise NotFound(f"Không tìm thấy điểm kết nối {code}.")
    return None if point.national else tuple(point.provinces or ())


async def _recipients(session: Any, audience: Audience) -> list[Recipient]:
    provinces = audience.provinces
    if audience.point and not provinces:
        provinces = await _point_provinces(session, audience.point) or ()
    # Plain columns, not ORM objects: 10,000 subscribers are read in a blink.
    stmt = (select(User.id, User.channel, User.external_id, Subscription.sectors,
                   Subscription.provinces, Subscription.event_kinds)
            .join(User, Subscription.user_id == User.id)
            .where(Subscription.active, User.active, User.channel.not_in(NOT_PUSHABLE))
            .order_by(User.id))
    seen: set[int] = set()
    out = []
    for user_id, channel, chat_id, sectors, their_provinces, kinds in (
            await session.execute(stmt)).all():
        if user_id in seen:
            continue
        if (_overlaps(audience.sectors, sectors) and _overlaps(provinces, their_provinces)
                and _overlaps(audience.kinds, kinds)):
            seen.add(user_id)
            out.append(Recipient(user_id, channel, chat_id))
    return out


def _per_channel(recipients: list[Recipient]) -> dict[str, int]:
    out: dict[str, int] = {}
    for r in recipients:
        out[r.channel] = out.get(r.channel, 0) + 1
    return dict(sorted(out.items()))


async def preview(db: Database, audience: Audience) -> dict[str, int]:
    """How many subscribers each channel would reach (the exact count at this moment)."""
    async with db.session() as s:
        return _per_channel(await _recipients(s, audience))


async def event_for(db: Database, code: str) -> Event:
    """The catalog event a broadcast announces (NotFound with a Vietnamese message)."""
    from storage.repos.catalog import get_event

    async with db.session() as s:
        event = await get_event(s, code.strip())
    if event is None:
        raise NotFound(f"Không tìm thấy sự kiện mã {code.strip()[:40]}.")
    return event


async def upcoming_events(db: Database, now: datetime, limit: int = 6) -> list[Event]:
    """The next events of the catalog, soonest first (what staff usually announce)."""
    stmt = (select(Event).where(Event.starts_at > now, Event.archived_at.is_(None))
            .order_by(Event.starts_at).limit(limit))
    async with db.session() as s:
        return list((await s.execute(stmt)).scalars())


async def create(
    db: Database, *, created_by: str, payload: dict[str, Any], audience: Audience,
    text: str = "", event_code: str | None = None, send_at: datetime | None = None,
    point: str | None = None,
) -> BroadcastInfo:
    """Record the broadcast and queue one outbox row per recipient, all in one transaction."""
    if not (text.strip() or event_code):
        raise InvalidValue("Tin gửi đi cần có nội dung hoặc một sự kiện.")
    now = utcnow()
    send_at = send_at or now
    async with db.transaction() as s:
        event_id = None
        if event_code:
            from storage.repos.catalog import get_event

            event = await get_event(s, event_code)
            if event is None:
                raise NotFound(f"Không tìm thấy sự kiện mã {event_code[:40]}.")
            event_id = event.id
        point_id = None
        if point:
            point_id = (await s.execute(select(ConnectionPoint.id).where(
                ConnectionPoint.code == point))).scalar_one_or_none()
        recipients = await _recipients(s, audience)
        row = Broadcast(created_by=created_by[:160], connection_point_id=point_id, text=text,
                        event_id=event_id, audience=audience.to_dict(), send_at=send_at,
                        recipients=len(recipients), created_at=now)
        s.add(row)
        await s.flush()
        await outbox.enqueue(s, (Envelope("broadcast", r.channel, r.chat_id, payload,
                                          user_id=r.user_id, not_before=send_at,
                                          broadcast_id=row.id) for r in recipients))
        await audit.record(s, row.created_by, "broadcast.create", f"broadcast:{row.id}",
                           recipients=len(recipients), event=event_code, text=text[:200],
                           send_at=send_at.isoformat())
        return BroadcastInfo(row.id, text, event_code, audience, send_at, row.created_by,
                             len(recipients), False, _per_channel(recipients), point=point)


async def report(db: Database, broadcast_id: int) -> BroadcastInfo:
    """The broadcast with its rows counted: sent, failed and skipped by reason, pending."""
    async with db.session() as s:
        row = await s.get(Broadcast, broadcast_id)
        if row is None:
            raise NotFound(f"Không tìm thấy đợt tin số {broadcast_id}.")
        event = await s.get(Event, row.event_id) if row.event_id else None
        point = (await s.get(ConnectionPoint, row.connection_point_id)
                 if row.connection_point_id else None)
    info = BroadcastInfo(row.id, row.text, event.code if event else None,
                         Audience.from_dict(row.audience), row.send_at, row.created_by,
                         row.recipients, row.cancelled_at is not None,
                         point=point.code if point else None)
    info.counts = await outbox.counts(db, broadcast_id)
    return info


async def cancel(db: Database, broadcast_id: int, actor: str = "cli") -> int:
    """Stop what is not sent yet; returns how many messages will not go out."""
    async with db.transaction() as s:
        row = await s.get(Broadcast, broadcast_id)
        if row is None:
            raise NotFound(f"Không tìm thấy đợt tin số {broadcast_id}.")
        await s.execute(update(Broadcast).where(Broadcast.id == broadcast_id)
                        .values(cancelled_at=utcnow()))
        await audit.record(s, actor, "broadcast.cancel", f"broadcast:{broadcast_id}")
        return await outbox.skip_pending(s, reason="cancelled", broadcast_id=broadcast_id)
