"""Figures about the rest of the network: the catalog, events and training, the audience.

Scope: a point or province covers the technologies and events of its provinces and the users
living there or whose demands it received; the network covers everything.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import Table, distinct, false, func, or_, select, true
from sqlalchemy.sql.elements import ColumnElement

from storage.models import Base, Demand, Event, EventRegistration, Subscription, Technology, User
from storage.reports import dialect as sql
from storage.reports.demand_figures import scope_conditions
from storage.reports.query import Query

OFFER_SOURCE = "chatbot"  # technologies offered by enterprises in chat (catalog.create_technology_pending)
EXPO_KINDS = ("techmart", "techdemo", "techfest")
EVERY = "all"  # a subscription without a sector (or province) list: every one
ATTENDANCE_NOTE = "Số người tham dự thực tế chưa được ghi nhận trong hệ thống; hiện ghi 0."
BROADCAST_NOTE = ("Số bản tin gửi đi được tính khi chức năng gửi tin cho người đăng ký được đưa "
                  "vào sử dụng; hiện ghi 0.")


def _in_provinces(q: Query, column: Any) -> list[ColumnElement[bool]]:
    return [] if q.scope.provinces is None else [column.in_(q.scope.provinces)]


async def catalog(q: Query) -> dict[str, Any]:
    published = [Technology.status == "published", Technology.created_at < q.period.end,
                 *_in_provinces(q, Technology.province)]
    offered = [Technology.source == OFFER_SOURCE, Technology.created_at >= q.period.start,
               Technology.created_at < q.period.end, *_in_provinces(q, Technology.province)]
    by_sector = await q.counts(select(Technology.sector, func.count()).where(*published)
                               .group_by(Technology.sector))
    return {
        "technologies": sum(by_sector.values()),
        "by_sector": by_sector,
        "by_stage": await q.counts(select(Technology.stage, func.count()).where(*published)
                                   .group_by(Technology.stage)),
        "offers_received": await q.number(select(func.count()).where(*offered)
                                          .select_from(Technology)),
        "offers_approved": await q.number(select(func.count()).select_from(Technology)
                                          .where(*offered, Technology.status == "published")),
    }


def _attended() -> Any:
    return getattr(EventRegistration, "attended", None)


async def events(q: Query, now: Any) -> dict[str, Any]:
    """Events held in the period (started before `now`), their registrations and attendance."""
    held = [Event.starts_at >= q.period.start, Event.starts_at < min(q.period.end, now),
            *_in_provinces(q, Event.province)]
    by_kind = await q.counts(select(Event.kind, func.count()).where(*held).group_by(Event.kind))
    regs = await q.counts(select(Event.kind, func.count()).select_from(Event)
                          .join(EventRegistration, EventRegistration.event_id == Event.id)
                          .where(*held).group_by(Event.kind))
    attended = _attended()
    if attended is None:
        q.note(ATTENDANCE_NOTE)
        attendance = 0
    else:
        attendance = await q.number(
            select(func.count()).select_from(Event)
            .join(EventRegistration, EventRegistration.event_id == Event.id)
            .where(*held, attended.is_(True)))
    return {
        "held": sum(by_kind.values()), "by_kind": by_kind,
        "registrations": sum(regs.values()), "attendance": attendance,
        "expos": sum(by_kind.get(k, 0) for k in EXPO_KINDS),
        "workshops": by_kind.get("workshop", 0),
        "training_classes": by_kind.get("training", 0),
        "training_participants": regs.get("training", 0),
    }


def _user_in_scope(q: Query) -> list[ColumnElement[bool]]:
    if q.scope.network:
        return []
    # IN over the scope's demands, not a correlated EXISTS: one pass instead of one per user.
    wrote = User.id.in_(select(Demand.user_id).where(*scope_conditions(q.scope)))
    lives = User.province.in_(q.scope.provinces) if q.scope.provinces is not None else false()
    return [or_(lives, wrote)]


async def _subscribers_by(q: Query, column: Any, conds: list[Any]) -> dict[str, int]:
    """Subscribers per element of a JSON list column; an empty list counts under "all"."""
    elements = sql.json_elements(q.dialect, column)
    listed = await q.counts(
        select(elements.c.value, func.count(distinct(Subscription.user_id)))
        .select_from(Subscription).join(elements, true()).join(User, User.id == Subscription.user_id)
        .where(*conds).group_by(elements.c.value))
    every = await q.number(select(func.count(distinct(Subscription.user_id)))
                           .select_from(Subscription).join(User, User.id == Subscription.user_id)
                           .where(*conds, sql.json_length(q.dialect, column) == 0))
    return {**({EVERY: every} if every else {}), **listed}


async def audience(q: Query) -> dict[str, Any]:
    users = [User.created_at < q.period.end, *_user_in_scope(q)]
    subs = [Subscription.active.is_(True), Subscription.created_at < q.period.end, *users]
    return {
        "users_by_channel": await q.counts(select(User.channel, func.count()).where(*users)
                                           .group_by(User.channel)),
        "new_users": await q.number(select(func.count()).select_from(User)
                                    .where(*users, User.created_at >= q.period.start)),
        "subscribers": await q.number(select(func.count(distinct(Subscription.user_id)))
                                      .select_from(Subscription).join(User, User.id == Subscription.user_id).where(*subs)),
        "subscribers_by_sector": await _subscribers_by(q, Subscription.sectors, subs),
        "subscribers_by_province": await _subscribers_by(q, Subscription.provinces, subs),
        **await broadcasts(q),
    }


def _table(name: str, *columns: str) -> Table | None:
    table = Base.metadata.tables.get(name)
    return table if table is not None and all(c in table.c for c in columns) else None


async def broadcasts(q: Query) -> dict[str, int]:
    """Broadcasts sent in the period (not cancelled) and their messages delivered."""
    sent_table = _table("broadcasts", "created_at")
    outbox = _table("outbox", "broadcast_id", "status")
    if sent_table is None or outbox is None:
        q.note(BROADCAST_NOTE)
        return {"broadcasts": 0, "broadcast_messages_delivered": 0}
    c = sent_table.c
    when = c.send_at if "send_at" in c else c.created_at
    conds = [when >= q.period.start, when < q.period.end]
    if "cancelled_at" in c:
        conds.append(c.cancelled_at.is_(None))
    if q.scope.point_id is not None and "connection_point_id" in c:
        conds.append(c.connection_point_id == q.scope.point_id)
    return {
        "broadcasts": await q.number(select(func.count()).select_from(sent_table).where(*conds)),
        "broadcast_messages_delivered": await q.number(
            select(func.count()).select_from(outbox)
            .join(sent_table, c.id == outbox.c.broadcast_id)
            .where(*conds, outbox.c.status == "sent")),
    }
