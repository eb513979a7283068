"""Staff of the connection points: who may use the staff commands, and for which point.

Each function takes the `Database` and owns its transaction. A point is named by its code
("DKN-BN", any case) or by a province (name with or without diacritics, old names too, or id):
the province resolves to the point that serves it. The national point ("*" in its provinces)
sees every point's work.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Any

from sqlalchemy import delete, func, select
from sqlalchemy.ext.asyncio import AsyncSession

from nlu.taxonomy import PROVINCE_BY_ID, find_province
from storage.db import Database
from storage.errors import InvalidValue, NotFound
from storage.models import STAFF_ROLES, ConnectionPoint, Staff
from storage.repos import audit


class UnknownConnectionPoint(NotFound):
    default = ("Không tìm thấy điểm kết nối này. Anh/chị nhập mã điểm (ví dụ DKN-BN) hoặc tên "
               "tỉnh/thành phố mà điểm phụ trách.")


@dataclass(frozen=True, slots=True)
class StaffMember:
    channel: str
    user_id: str
    name: str | None
    role: str  # "staff" | "admin"
    point: str  # the connection point's code
    point_name: str
    national: bool  # works for the national point: sees every point
    on_duty: bool = True  # gets the point's alerts now
    fallback: bool = False  # gets them when nobody of the point is on duty

    @property
    def is_admin(self) -> bool:
        return self.role == "admin"

    def sees(self, point_code: str | None) -> bool:
        """May this member see and act on work routed to `point_code`?"""
        return self.national or (point_code is not None and point_code == self.point)

    @property
    def label(self) -> str:
        return self.name or f"{self.channel}:{self.user_id}"

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


def _member(row: Staff) -> StaffMember:
    return StaffMember(channel=row.channel, user_id=row.user_id, name=row.name, role=row.role,
                       point=row.point.code, point_name=row.point.name,
                       national=row.point.national, on_duty=row.on_duty,
                       fallback=row.fallback)


async def resolve_point(session: AsyncSession, point: str) -> ConnectionPoint:
    """The connection point named by a code or by a province it serves."""
    text = (point or "").strip()
    if not text:
        raise UnknownConnectionPoint()
    stmt = select(ConnectionPoint).where(func.upper(ConnectionPoint.code) == text.upper())
    found = (await session.execute(stmt)).scalar_one_or_none()
    if found is not None:
        return found
    province = PROVINCE_BY_ID.get(text) or find_province(text)
    if province is None:
        raise UnknownConnectionPoint(
            f"Không tìm thấy điểm kết nối “{text[:60]}”. Anh/chị nhập mã điểm (ví dụ DKN-BN) "
            "hoặc tên tỉnh/thành phố mà điểm phụ trách.")
    points = (await session.execute(select(ConnectionPoint).order_by(ConnectionPoint.id))).scalars()
    for candidate in points:
        if province.id in (candidate.provinces or []):
            return candidate
    raise UnknownConnectionPoint(
        f"Chưa có điểm kết nối nào phụ trách {province.name}. Anh/chị nhập mã điểm "
        "(ví dụ DKN-TW cho điểm quốc gia).")


def _clean(channel: str, user_id: str) -> tuple[str, str]:
    channel, user_id = (channel or "").strip().lower(), str(user_id or "").strip()
    if not channel or len(channel) > 32:
        raise InvalidValue("Kênh không hợp lệ (ví dụ: telegram, zalo).")
    if not user_id or len(user_id) > 128:
        raise InvalidValue("Mã người dùng trên kênh không hợp lệ.")
    return channel, user_id


async def _row(session: AsyncSession, channel: str, user_id: str) -> Staff | None:
    stmt = select(Staff).where(Staff.channel == channel, Staff.user_id == user_id)
    return (await session.execute(stmt)).scalar_one_or_none()


async def add(
    db: Database, channel: str, user_id: str, *, point: str, name: str | None = None,
    role: str = "staff", fallback: bool | None = None, actor: str | None = None,
) -> StaffMember:
    """Make this chat account staff of `point` (adding it again updates point, name and role;
    `fallback` None keeps what it was). `actor` (an admin in chat) is written to the audit log."""
    channel, user_id = _clean(channel, user_id)
    if role not in STAFF_ROLES:
        raise InvalidValue(f"Vai trò không hợp lệ: {role} (chỉ nhận {', '.join(STAFF_ROLES)}).")
    name = (name or "").strip()[:200] or None
    async with db.transaction() as s:
        target = await resolve_point(s, point)
        row = await _row(s, channel, user_id)
        if row is None:
            row = Staff(channel=channel, user_id=user_id)
            s.add(row)
        row.name = name or row.name
        row.role = role
        row.connection_point_id = target.id
        row.point = target
        if fallback is not None:
            row.fallback = fallback
        await s.flush()
        if actor is not None:
            await audit.record(s, actor, "staff.add", f"staff:{channel}:{user_id}",
                               point=target.code, role=role, fallback=row.fallback)
        return _member(row)


async def set_duty(db: Database, channel: str, user_id: str, on_duty: bool, *,
                   actor: str | None = None) -> StaffMember:
    """Put a staff member on duty (they get the point's alerts) or off duty; audited."""
    channel, user_id = _clean(channel, user_id)
    async with db.transaction() as s:
        row = await _row(s, channel, user_id)
        if row is None:
            raise NotFound(f"{channel}:{user_id} không phải cán bộ (thêm bằng ketnoi staff add).")
        row.on_duty = on_duty
        await s.flush()
        await audit.record(s, actor or f"{channel}:{user_id}", "staff.duty",
                           f"staff:{channel}:{user_id}", on_duty=on_duty)
        return _member(row)


async def on_call(session: AsyncSession, point: ConnectionPoint | None) -> list[Staff]:
    """Who gets an alert for `point`: its staff on duty; nobody on duty → its fallback staff;
    nobody there either (or no point) → the same two steps at the national point, and when
    nobody there is on duty or fallback, every national staff member (an alert is never lost)."""
    if point is not None and not point.national:
        found = _duty_chain(await _staff_at(session, [point.id]))
        if found:
            return found
    national = [p.id for p in (await session.execute(select(ConnectionPoint))).scalars()
                if p.national]
    everyone = await _staff_at(session, national)
    return _duty_chain(everyone) or everyone


async def _staff_at(session: AsyncSession, point_ids: list[int]) -> list[Staff]:
    return list((await session.execute(select(Staff).where(
        Staff.connection_point_id.in_(point_ids)).order_by(Staff.id))).scalars())


def _duty_chain(rows: list[Staff]) -> list[Staff]:
    return [r for r in rows if r.on_duty] or [r for r in rows if r.fallback]


async def remove(db: Database, channel: str, user_id: str, *, actor: str | None = None) -> bool:
    """Take away the staff role; False when the account was not staff."""
    channel, user_id = _clean(channel, user_id)
    async with db.transaction() as s:
        result = await s.execute(
            delete(Staff).where(Staff.channel == channel, Staff.user_id == user_id))
        removed = bool(result.rowcount)  # type: ignore[attr-defined]
        if removed and actor is not None:
            await audit.record(s, actor, "staff.remove", f"staff:{channel}:{user_id}")
        return removed


async def find(db: Database, channel: str, user_id: str) -> StaffMember | None:
    """The staff member behind this chat account, or None for everyone else."""
    async with db.session() as s:
        row = await _row(s, (channel or "").strip().lower(), str(user_id or "").strip())
        return _member(row) if row is not None else None


async def list_members(db: Database, point: str | None = None) -> list[StaffMember]:
    """Every staff member, or those of one point (code or province), by point then name."""
    async with db.session() as s:
        stmt = select(Staff).join(Staff.point).order_by(ConnectionPoint.code, Staff.name,
                                                        Staff.id)
        if point is not None:
            target = await resolve_point(s, point)
            stmt = stmt.where(Staff.connection_point_id == target.id)
        return [_member(row) for row in (await s.execute(stmt)).scalars()]
