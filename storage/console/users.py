"""Users (people who write to the bot) in the web console: counts and a filtered, paged list.

Staff of a point see the users of the provinces their point serves; the national point sees all.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import func, or_, select

from nlu.normalize import plain
from nlu.taxonomy import PROVINCE_BY_ID
from storage.console.paging import Page, count, valid_id, window
from storage.db import Database
from storage.errors import NotFound
from storage.models import ConnectionPoint, Demand, Subscription, User
from storage.repos import audit, privacy
from storage.repos.staff import StaffMember


@dataclass(frozen=True, slots=True)
class UserRow:
    id: int
    channel: str
    name: str | None
    organisation: str | None
    province: str | None
    active: bool
    created_at: datetime
    demands: int
    subscribed: bool

    @property
    def province_name(self) -> str:
        province = PROVINCE_BY_ID.get(self.province or "")
        return province.name if province else ""


@dataclass(frozen=True, slots=True)
class UserCounts:
    total: int
    active: int
    subscribed: int
    by_channel: dict[str, int]


async def _provinces(db: Database, member: StaffMember) -> list[str] | None:
    """The provinces this member may see users of; None for all."""
    if member.national:
        return None
    async with db.session() as s:
        found = await s.execute(select(ConnectionPoint.provinces)
                                .where(ConnectionPoint.code == member.point))
        return list(found.scalar_one_or_none() or [])


def _scoped(stmt: Any, provinces: list[str] | None) -> Any:
    return stmt if provinces is None else stmt.where(User.province.in_(provinces))


async def counts(db: Database, member: StaffMember) -> UserCounts:
    provinces = await _provinces(db, member)
    subscribed = select(Subscription.user_id).where(Subscription.active)
    async with db.session() as s:
        by_channel: dict[str, int] = {str(channel): int(n) for channel, n in (await s.execute(
            _scoped(select(User.channel, func.count()).group_by(User.channel), provinces)))}
        active = await count(s, _scoped(select(User.id).where(User.active), provinces))
        subs = await count(s, _scoped(select(User.id).where(User.id.in_(subscribed)), provinces))
    return UserCounts(sum(by_channel.values()), active, subs, by_channel)


async def page(db: Database, member: StaffMember, *, channel: str | None, province: str | None,
               query: str | None, subscribed: bool, number: int) -> Page[UserRow]:
    """Users newest first, with their number of demands and whether they subscribe."""
    provinces = await _provinces(db, member)
    demand_count = (select(func.count(Demand.id)).where(Demand.user_id == User.id)
                    .correlate(User).scalar_subquery())
    has_sub = (select(func.count(Subscription.id))
               .where(Subscription.user_id == User.id, Subscription.active)
               .correlate(User).scalar_subquery())
    stmt = _scoped(select(User, demand_count, has_sub)
                   .order_by(User.created_at.desc(), User.id.desc()), provinces)
    if channel:
        stmt = stmt.where(User.channel == channel)
    if province:
        stmt = stmt.where(User.province == province)
    if subscribed:
        stmt = stmt.where(has_sub > 0)
    typed = (query or "").strip()[:100]
    if typed:
        # Matched as typed (and folded, for names stored without diacritics); a query without
        # diacritics does not find a name written with them: neither engine folds them in SQL.
        likes = {f"%{typed.lower()}%", f"%{plain(typed)}%"}
        stmt = stmt.where(or_(User.external_id == typed, *(
            column.ilike(like) for like in likes
            for column in (User.display_name, User.organisation))))
    async with db.session() as s:
        total = await count(s, stmt)
        rows = (await s.execute(window(stmt, number))).all()
    return Page([UserRow(u.id, u.channel, u.display_name, u.organisation, u.province, u.active,
                         u.created_at, int(n), bool(sub)) for u, n, sub in rows], total, number)


@dataclass(frozen=True, slots=True)
class UserPage:
    id: int
    channel: str
    external_id: str
    name: str | None
    phone: str | None
    email: str | None
    organisation: str | None
    province: str | None
    active: bool
    created_at: datetime
    demands: list[tuple[int, str, datetime]]  # id, status, created
    subscriptions: int
    registrations: int
    offers: int
    messages: int

    @property
    def forgotten(self) -> bool:
        return self.external_id.startswith("forgotten-")


async def _visible(s: Any, member: StaffMember, user_id: int) -> User:
    """The user, if this member may see them: the national point, or a point whose provinces
    include the user's, or to which one of their demands was routed; else NotFound."""
    user = await s.get(User, user_id) if valid_id(user_id) else None
    if user is not None and not member.national:
        provinces = (await s.execute(select(ConnectionPoint.provinces).where(
            ConnectionPoint.code == member.point))).scalar_one_or_none() or []
        routed = (await s.execute(select(Demand.id).join(
            ConnectionPoint, ConnectionPoint.id == Demand.connection_point_id).where(
            Demand.user_id == user.id, ConnectionPoint.code == member.point).limit(1))).first()
        if user.province not in provinces and routed is None:
            user = None
    if user is None:
        raise NotFound(f"Không tìm thấy người dùng số {user_id}.")
    return user


async def detail(db: Database, member: StaffMember, user_id: int) -> UserPage:
    async with db.session() as s:
        user = await _visible(s, member, user_id)
        data = await privacy.user_data(s, user)
    return UserPage(user.id, user.channel, user.external_id, user.display_name, user.phone,
                    user.email, user.organisation, user.province, user.active, user.created_at,
                    [(d.id, d.status, d.created_at) for d in data.demands[:50]],
                    len(data.subscriptions), len(data.registrations), len(data.offers),
                    data.messages)


async def forget(db: Database, member: StaffMember, user_id: int) -> privacy.Forgotten:
    """Erase the user's personal data (the erasure of `/xoadulieu` and `ketnoi users forget`),
    audited under the staff member's name, in one transaction."""
    async with db.transaction() as s:
        user = await _visible(s, member, user_id)
        done = await privacy.forget_user(s, user)
        await audit.record(s, f"{member.channel}:{member.user_id}", "user.forget",
                           f"user:{user.id}", demands=done.demands, messages=done.messages,
                           subscriptions=done.subscriptions)
        return done
