"""Demands: created (and committed) as soon as the user states them, so none is ever lost."""

from __future__ import annotations

import re
from collections.abc import Iterable
from typing import TYPE_CHECKING, Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from storage.errors import InvalidStatusChange, InvalidValue, NotFound
from storage.models import (
    DEMAND_STATUSES,
    ConnectionPoint,
    Demand,
    DemandStatusChange,
    Technology,
    User,
)

if TYPE_CHECKING:
    from storage.db import Database

# Which status may follow which. Staff take a new demand (assigned), propose technologies or
# experts (proposed), put the enterprise in touch (connected) and close it with an outcome; a
# closed demand can be reopened ("new"). "matched"/"rejected" are statuses of older rows.
TRANSITIONS: dict[str, tuple[str, ...]] = {
    "new": ("assigned", "closed", "matched", "rejected"),
    "matched": ("new", "assigned", "connected", "closed", "rejected"),
    "assigned": ("new", "proposed", "connected", "closed"),
    "proposed": ("assigned", "connected", "closed"),
    "connected": ("proposed", "closed"),
    "closed": ("new",),
    "rejected": ("new",),
}
STATUS_NAMES = {
    "new": "Mới tiếp nhận",
    "assigned": "Cán bộ đang xử lý",
    "proposed": "Đã đề xuất công nghệ/chuyên gia",
    "connected": "Đã kết nối",
    "closed": "Đã đóng",
    "matched": "Đã gợi ý công nghệ/chuyên gia",
    "rejected": "Bị từ chối",
}
OUTCOME_NAMES = {
    "deal": "đã ký kết/hợp tác",
    "no_match": "chưa tìm được đơn vị phù hợp",
    "withdrawn": "doanh nghiệp rút yêu cầu",
    "duplicate": "trùng với yêu cầu khác",
}
# Keys of Demand.details that identify a person; removed when the user asks to be forgotten.
CONTACT_KEYS = ("name", "contact_name", "display_name", "phone", "email", "organisation",
                "tax_code", "address", "contact")
_PHONE_RE = re.compile(r"(?:\+?84|0)(?:[\s.-]?\d){8,10}")
_EMAIL_RE = re.compile(r"[\w.+-]+@[\w-]+(?:\.[\w-]+)+")
REDACTED = "[đã xoá]"


async def create(
    session: AsyncSession,
    user: User | int,
    type: str,
    raw_text: str = "",
    *,
    details: dict[str, Any] | None = None,
    sector: str | None = None,
    product: str | None = None,
    province: str | None = None,
    budget: int | None = None,
    connection_point_id: int | None = None,
    technology_ids: Iterable[int] = (),
    expert_ids: Iterable[int] = (),
    commit: bool = True,
) -> Demand:
    """Store a demand with its first history entry; committed by default (never lose a demand).
    Its point and matches, when known, go into the same INSERT."""
    user_id = user if isinstance(user, int) else user.id
    demand = Demand(user_id=user_id, type=type, raw_text=raw_text, details=dict(details or {}),
                    sector=sector, product=product, province=province, budget=budget,
                    status="new", connection_point_id=connection_point_id,
                    matched_technology_ids=_merge_ids([], technology_ids),
                    matched_expert_ids=_merge_ids([], expert_ids))
    demand.history = [DemandStatusChange(old_status=None, new_status="new", note="Tiếp nhận")]
    session.add(demand)
    if commit:
        await session.commit()
    else:
        await session.flush()
    return demand


async def get(session: AsyncSession, demand_id: int) -> Demand:
    demand = await session.get(Demand, demand_id)
    if demand is None:
        raise NotFound(f"Không tìm thấy yêu cầu số {demand_id}.")
    return demand


async def list_for_user(session: AsyncSession, user: User | int, limit: int = 20) -> list[Demand]:
    user_id = user if isinstance(user, int) else user.id
    stmt = (select(Demand).where(Demand.user_id == user_id)
            .order_by(Demand.created_at.desc(), Demand.id.desc()).limit(limit))
    return list((await session.execute(stmt)).scalars())


async def list_all(
    session: AsyncSession, status: str | Iterable[str] | None = None, limit: int | None = 100,
    offset: int = 0, point_id: int | None = None,
) -> list[Demand]:
    """Demands, newest first; `limit=None` for all of them."""
    stmt = select(Demand).order_by(Demand.created_at.desc(), Demand.id.desc())
    if point_id is not None:
        stmt = stmt.where(Demand.connection_point_id == point_id)
    if status is not None:
        statuses = [status] if isinstance(status, str) else list(status)
        for s in statuses:
            _check_status(s)
        stmt = stmt.where(Demand.status.in_(statuses))
    return list((await session.execute(stmt.limit(limit).offset(offset))).scalars())


def _check_status(status: str) -> None:
    if status not in DEMAND_STATUSES:
        raise InvalidValue(f"Trạng thái không hợp lệ: {status} "
                           f"(chỉ nhận {', '.join(DEMAND_STATUSES)}).")


async def change_status(
    session: AsyncSession, demand: Demand, new_status: str, *, note: str | None = None,
    changed_by: str | None = None,
) -> Demand:
    """Move a demand to `new_status`, recording the change; the caller commits."""
    _check_status(new_status)
    if new_status == demand.status:
        return demand
    if new_status not in TRANSITIONS[demand.status]:
        raise InvalidStatusChange(
            f"Không thể chuyển yêu cầu từ “{STATUS_NAMES[demand.status]}” "
            f"sang “{STATUS_NAMES[new_status]}”."
        )
    demand.history.append(DemandStatusChange(old_status=demand.status, new_status=new_status,
                                             note=note, changed_by=changed_by))
    demand.status = new_status
    await session.flush()
    return demand


def _merge_ids(current: list[int] | None, new: Iterable[int]) -> list[int]:
    out = list(current or [])
    for i in new:
        if i not in out:
            out.append(int(i))
    return out


async def add_interest(session: AsyncSession, demand: Demand, technology_id: int) -> Demand:
    """Remember that the user marked this technology as interesting (idempotent)."""
    # A new list (not in-place append) so SQLAlchemy sees the JSON change.
    demand.interested_technology_ids = _merge_ids(demand.interested_technology_ids,
                                                  [technology_id])
    await session.flush()
    return demand


async def attach_matches(
    session: AsyncSession, demand: Demand, technology_ids: Iterable[int] = (),
    expert_ids: Iterable[int] = (), *, mark_matched: bool = False,
) -> Demand:
    """Store suggested technologies/experts (the status stays with staff unless `mark_matched`)."""
    demand.matched_technology_ids = _merge_ids(demand.matched_technology_ids, technology_ids)
    demand.matched_expert_ids = _merge_ids(demand.matched_expert_ids, expert_ids)
    has_matches = bool(demand.matched_technology_ids or demand.matched_expert_ids)
    if mark_matched and has_matches and demand.status == "new":
        await change_status(session, demand, "matched", note="Đã gợi ý tự động")
    await session.flush()
    return demand


def redact_contacts(text: str) -> str:
    """Phone numbers and e-mail addresses in free text, replaced."""
    return _EMAIL_RE.sub(REDACTED, _PHONE_RE.sub(REDACTED, text))


async def anonymise_user(session: AsyncSession, user: User) -> int:
    """Erase a user's contact data from the user row and every demand; returns demands touched."""
    user.display_name = None
    user.phone = None
    user.email = None
    user.organisation = None
    user.consent_at = None
    demands = await list_for_user(session, user, limit=100_000)
    for d in demands:
        d.details = {k: v for k, v in (d.details or {}).items() if k not in CONTACT_KEYS}
        d.raw_text = _EMAIL_RE.sub(REDACTED, _PHONE_RE.sub(REDACTED, d.raw_text or ""))
    await session.flush()
    return len(demands)


async def find_connection_point(
    session: AsyncSession, province: str | None
) -> ConnectionPoint | None:
    """The point serving this province id, else the national one ("*"), else None."""
    points = list((await session.execute(select(ConnectionPoint).order_by(ConnectionPoint.id)))
                  .scalars())
    if province:
        for p in points:
            if province in (p.provinces or []):
                return p
    return next((p for p in points if p.national), None)


async def assign_connection_point(
    session: AsyncSession, demand: Demand, province: str | None = None
) -> ConnectionPoint | None:
    """Assign the point for `province` (default: the demand's), with a national fallback."""
    point = await find_connection_point(session, province or demand.province)
    demand.connection_point_id = point.id if point else None
    await session.flush()
    return point


async def of_user_in(session: AsyncSession, demand_id: int, user_id: int) -> Demand | None:
    """The demand if it belongs to this user (button payloads can be stale or forged)."""
    stmt = select(Demand).where(Demand.id == demand_id, Demand.user_id == user_id)
    return (await session.execute(stmt)).scalar_one_or_none()


async def add_expert_interest(session: AsyncSession, demand: Demand, expert_id: int) -> bool:
    """Remember that the user asked to be connected with this expert; False if already noted."""
    details = dict(demand.details or {})
    wanted = list(details.get("interested_expert_ids") or [])
    if expert_id in wanted:
        return False
    details["interested_expert_ids"] = [*wanted, int(expert_id)]
    demand.details = details  # a new dict so the JSON column is marked dirty
    await session.flush()
    return True


async def latest_of(session: AsyncSession, user: User) -> Demand | None:
    found = await list_for_user(session, user, limit=1)
    return found[0] if found else None


# --- taking the Database: each owns its transaction ------------------------------------------
async def submit(db: Database, user: User, draft: Demand, contact: dict[str, Any], *,
                 technology_ids: Iterable[int] = (), expert_ids: Iterable[int] = (),
                 alert: Any = None) -> tuple[Demand, ConnectionPoint | None]:
    """Store the demand (`draft`: an unsaved row) with its connection point and matches, and
    remember the user's contact (`contact`: keywords of `users.remember_contact`), in one
    transaction; returns the demand and its connection point. `alert` (a
    `storage.repos.pipeline.Compose`) builds the message queued for the point's staff in the
    same transaction."""
    from storage.repos import pipeline, users

    async with db.transaction() as s:
        point = await find_connection_point(s, draft.province)
        demand = await create(
            s, user.id, draft.type, draft.raw_text, details=draft.details, sector=draft.sector,
            product=draft.product, province=draft.province, budget=draft.budget,
            connection_point_id=point.id if point else None, technology_ids=technology_ids,
            expert_ids=expert_ids, commit=False)
        # Held until the alert's card reads the user: the session keeps a loaded row only while
        # something refers to it, and would read it again.
        owner = await users.remember_contact(db, user.id, **contact)
        if demand.type == "find_expert":  # staff introduce an expert: the request waits for them
            from storage.repos import introductions

            await introductions.open_for_demand(s, demand)
        if alert is not None:
            await pipeline.alert_staff(s, demand, alert, current=True)
        del owner
        return demand, point


async def attach_found(db: Database, demand_id: int, technology_ids: Iterable[int],
                       expert_ids: Iterable[int] = ()) -> None:
    """Remember technologies and experts shown for the demand."""
    async with db.transaction() as s:
        await attach_matches(s, await get(s, demand_id), technology_ids, expert_ids)


async def of_user(db: Database, user: User, demand_id: int) -> Demand | None:
    async with db.session() as s:
        return await of_user_in(s, demand_id, user.id)


async def recent_of(db: Database, user: User, limit: int = 20) -> list[Demand]:
    """The user's demands, newest first, with their history."""
    async with db.session() as s:
        return await list_for_user(s, user.id, limit=limit)


async def like_technology(db: Database, user: User, demand_id: int,
                          technology_id: int) -> Technology | None:
    """Note the user's interest in a technology shown for their demand; None when the demand
    is not theirs or the technology is unknown."""
    from storage.repos import catalog

    async with db.transaction() as s:
        demand = await of_user_in(s, demand_id, user.id)
        tech = await catalog.get_technology(s, technology_id)
        if demand is None or tech is None:
            return None
        await add_interest(s, demand, tech.id)
        return tech
