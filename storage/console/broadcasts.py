"""Broadcasts in the web console: the paged list of the member's point, each row counted.

Creating, reporting and cancelling are `storage.repos.broadcasts`'s, as in chat and on the CLI.
A point's staff see their point's broadcasts and those sent from the command line (no point);
the national point sees all.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import case, func, or_, select

from storage.console.paging import Page, count, window
from storage.db import Database
from storage.models import Broadcast, ConnectionPoint, Event, OutboxMessage
from storage.repos.staff import StaffMember
from storage.sqltypes import utcnow


@dataclass(frozen=True, slots=True)
class BroadcastRow:
    id: int
    text: str
    event_title: str | None
    point: str | None
    created_by: str
    send_at: datetime
    recipients: int
    cancelled: bool
    sent: int
    pending: int
    failed: int  # failed or skipped

    @property
    def status(self) -> str:
        """As `BroadcastInfo.status`: cancelled, done, scheduled or sending."""
        if self.cancelled:
            return "cancelled"
        if self.pending == 0:
            return "done"
        return "scheduled" if self.send_at > utcnow() else "sending"


def visible(member: StaffMember, point: str | None) -> bool:
    """May the member see (and follow) a broadcast of `point` (None: sent from the CLI)?"""
    return point is None or member.sees(point)


async def page(db: Database, member: StaffMember, number: int) -> Page[BroadcastRow]:
    """Newest first, with the delivery counts of the page's rows in one grouped query."""
    stmt = (select(Broadcast, Event.title, ConnectionPoint.code)
            .outerjoin(Event, Event.id == Broadcast.event_id)
            .outerjoin(ConnectionPoint, ConnectionPoint.id == Broadcast.connection_point_id)
            .order_by(Broadcast.created_at.desc(), Broadcast.id.desc()))
    if not member.national:
        stmt = stmt.where(or_(ConnectionPoint.code == member.point,
                              Broadcast.connection_point_id.is_(None)))
    async with db.session() as s:
        total = await count(s, stmt)
        rows = (await s.execute(window(stmt, number))).all()
        ids = [b.id for b, _, _ in rows]
        tally = {} if not ids else {bid: (int(sent or 0), int(waiting or 0), int(bad or 0))
                                    for bid, sent, waiting, bad in (await s.execute(
            select(OutboxMessage.broadcast_id,
                   func.sum(case((OutboxMessage.status == "sent", 1), else_=0)),
                   func.sum(case((OutboxMessage.status.in_(("pending", "claimed")), 1),
                                 else_=0)),
                   func.sum(case((OutboxMessage.status.in_(("failed", "skipped")), 1),
                                 else_=0)))
            .where(OutboxMessage.broadcast_id.in_(ids))
            .group_by(OutboxMessage.broadcast_id))).all()}
    out = []
    for b, title, point in rows:
        sent, waiting, bad = tally.get(b.id, (0, 0, 0))
        out.append(BroadcastRow(b.id, b.text, title, point, b.created_by, b.send_at,
                                b.recipients, b.cancelled_at is not None, sent, waiting, bad))
    return Page(out, total, number)
