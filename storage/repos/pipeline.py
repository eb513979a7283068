"""The demand pipeline, staff side: alerts to the routed point's staff, the staff's cards and
lists, and each step (take, propose, connect, close, move to another point).

Every step is one transaction holding the status change (with its `DemandStatusChange`), the
audit entry, and the outbox rows that tell the enterprise (kind "update") or alert staff (kind
"staff_alert"). Each step is a conditional UPDATE on the status it was decided on, so two staff
acting at once cannot both win: the second finds the demand moved and is told who has it.

Message texts are built by the caller (`Compose`: a function of the `DemandCard`), so storage
only decides who gets them.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession

from storage.db import Database
from storage.errors import InvalidStatusChange, InvalidValue, NotFound
from storage.models import (
    DEMAND_OUTCOMES,
    ConnectionPoint,
    Demand,
    DemandStatusChange,
    Expert,
    Staff,
    Technology,
    User,
)
from storage.repos import audit, outbox
from storage.repos.demands import OUTCOME_NAMES, STATUS_NAMES, TRANSITIONS
from storage.repos.outbox import Envelope
from storage.repos.pipeline_view import DemandCard, card_of, load_card, load_cards
from storage.repos.staff import on_call, resolve_point
from storage.sqltypes import utcnow

OPEN = ("new", "matched", "assigned", "proposed", "connected")
TAKEABLE = ("new", "matched")
Compose = Callable[[DemandCard], dict[str, Any] | None]  # a serialised Outgoing, or nothing


@dataclass(frozen=True, slots=True)
class Actor:
    """Who acts: a staff chat account ("telegram:123") with their name, or the CLI."""

    key: str
    name: str | None = None

    @property
    def label(self) -> str:
        return f"{self.key} ({self.name})" if self.name else self.key


CLI = Actor("cli", "dòng lệnh")


class AlreadyTaken(InvalidStatusChange):
    """Another staff member was faster; `holder` is who has the demand now."""

    def __init__(self, demand_id: int, holder: str | None) -> None:
        self.holder = holder
        who = f"cán bộ {holder}" if holder else "một cán bộ khác"
        super().__init__(f"Yêu cầu số {demand_id} đã do {who} nhận xử lý.")


# --- staff alerts --------------------------------------------------------------------------------
async def _staff_of(session: AsyncSession, point: ConnectionPoint | None) -> list[Staff]:
    """Who is alerted for the point: on duty → fallback → the national point (`staff.on_call`)."""
    return await on_call(session, point)


async def alert_staff(session: AsyncSession, demand: Demand, compose: Compose, *,
                      current: bool = False) -> int:
    """Queue the alert for the staff of the demand's point (in the caller's transaction).
    `current`: the demand and its history in the session are as stored (a new demand), so its
    card is built from them rather than read again."""
    point = (await session.get(ConnectionPoint, demand.connection_point_id)
             if demand.connection_point_id else None)
    found = await card_of(session, demand) if current else await load_card(session, demand.id)
    payload = compose(found)
    if payload is None:
        return 0
    staff = await _staff_of(session, point)
    why = routed_note(point, staff)
    if why:  # the recipients learn why it reached them
        payload = {**payload, "text": f"{payload.get('text', '')}\n({why})"}
    return await outbox.enqueue(session, [
        Envelope("staff_alert", m.channel, m.user_id, payload,
                 dedupe_key=f"alert:{demand.id}:{demand.connection_point_id}:{m.channel}:{m.user_id}")
        for m in staff])


def routed_note(point: ConnectionPoint | None, staff: list[Staff]) -> str | None:
    """Why an alert went past the point's staff on duty, in a few words (None: it did not)."""
    if point is None or point.national or not staff:
        return None
    if any(m.connection_point_id != point.id for m in staff):
        return f"{point.name} không có cán bộ đang trực hay dự phòng: chuyển điểm quốc gia"
    if not any(m.on_duty for m in staff):
        return f"không có cán bộ {point.name} đang trực: gửi cán bộ dự phòng"
    return None


# --- reading ------------------------------------------------------------------------------------
async def card(db: Database, demand_id: int) -> DemandCard:
    async with db.session() as s:
        return await load_card(s, demand_id)


async def open_demands(db: Database, *, point: str | None = None, status: str | None = None,
                       sector: str | None = None, limit: int = 5,
                       offset: int = 0) -> list[DemandCard]:
    """Open demands (or those of `status`), newest first; of one point (code or province) or all."""
    if status is not None and status not in STATUS_NAMES:
        raise InvalidValue(f"Trạng thái không hợp lệ: {status} "
                           f"(chỉ nhận {', '.join(STATUS_NAMES)}).")
    async with db.session() as s:
        stmt = (select(Demand.id).order_by(Demand.created_at.desc(), Demand.id.desc())
                .where(Demand.status.in_([status] if status else OPEN)))
        if point is not None:
            stmt = stmt.where(Demand.connection_point_id == (await resolve_point(s, point)).id)
        if sector:
            stmt = stmt.where(Demand.sector == sector)
        ids = list((await s.execute(stmt.limit(limit).offset(offset))).scalars())
        return await load_cards(s, ids)


# --- the steps ------------------------------------------------------------------------------------
async def _tell_user(session: AsyncSession, demand_id: int, compose: Compose | None) -> None:
    if compose is None:
        return
    found = await load_card(session, demand_id)
    payload = compose(found)
    user = await session.get(User, found.user_id) if found.user_id else None
    if payload is None or user is None or not user.active:
        return
    await outbox.enqueue(session, [Envelope("update", user.channel, user.external_id, payload,
                                            user_id=user.id)])


async def _advance(session: AsyncSession, demand_id: int, new_status: str, actor: Actor, *,
                   note: str | None, allowed_from: Sequence[str] | None = None,
                   **values: Any) -> Demand:
    """Move the demand to `new_status` if it is still where it was read (conditional UPDATE)."""
    demand = await session.get(Demand, demand_id)
    if demand is None:
        raise NotFound(f"Không tìm thấy yêu cầu số {demand_id}.")
    old = demand.status
    allowed = (old in allowed_from) if allowed_from is not None else (
        new_status in TRANSITIONS.get(old, ()))
    if not allowed:
        raise InvalidStatusChange(
            f"Yêu cầu số {demand_id} đang ở trạng thái “{STATUS_NAMES.get(old, old)}”, không thể "
            f"chuyển sang “{STATUS_NAMES.get(new_status, new_status)}”.")
    result = await session.execute(
        update(Demand).where(Demand.id == demand_id, Demand.status == old)
        .values(status=new_status, updated_at=utcnow(), **values)
        .execution_options(synchronize_session=False))
    if result.rowcount != 1:  # type: ignore[attr-defined]
        await session.refresh(demand)
        if new_status == "assigned":
            raise AlreadyTaken(demand_id, demand.assigned_name or demand.assigned_to)
        raise InvalidStatusChange(f"Yêu cầu số {demand_id} vừa được cán bộ khác cập nhật.")
    session.add(DemandStatusChange(demand_id=demand_id, old_status=old, new_status=new_status,
                                   note=(note or None) and note[:1000], changed_by=actor.label,
                                   changed_at=utcnow()))
    await audit.record(session, actor.label, "demand.status", f"demand:{demand_id}",
                       old=old, new=new_status, note=note, **{k: v for k, v in values.items()
                                                            if k != "details"})
    await session.flush()
    await session.refresh(demand)
    return demand


async def take(db: Database, demand_id: int, actor: Actor, *,
               tell: Compose | None = None) -> DemandCard:
    """The staff member `actor` takes a new demand; raises `AlreadyTaken` for the slower one."""
    async with db.transaction() as s:
        current = await s.get(Demand, demand_id)
        if current is not None and current.status not in TAKEABLE and current.assigned_to:
            raise AlreadyTaken(demand_id, current.assigned_name or current.assigned_to)
        await _advance(s, demand_id, "assigned", actor, note="Nhận xử lý",
                       allowed_from=TAKEABLE, assigned_to=actor.key, assigned_name=actor.name)
        await _tell_user(s, demand_id, tell)
        return await load_card(s, demand_id)


async def assign(db: Database, demand_id: int, channel: str, user_id: str, actor: Actor = CLI, *,
                 tell: Compose | None = None) -> DemandCard:
    """Give the demand to a staff member (also one already assigned: a reassignment)."""
    async with db.transaction() as s:
        member = (await s.execute(select(Staff).where(
            Staff.channel == channel.strip().lower(), Staff.user_id == user_id.strip()))
        ).scalar_one_or_none()
        if member is None:
            raise NotFound(f"{channel}:{user_id} không phải cán bộ (thêm bằng ketnoi staff add).")
        await _advance(s, demand_id, "assigned", actor, note=f"Giao cho {member.name or user_id}",
                       allowed_from=(*TAKEABLE, "assigned"),
                       assigned_to=f"{member.channel}:{member.user_id}", assigned_name=member.name)
        await _tell_user(s, demand_id, tell)
        return await load_card(s, demand_id)


async def change(db: Database, demand_id: int, status: str, actor: Actor, *,
                 outcome: str | None = None, note: str | None = None,
                 technology_ids: Iterable[int] = (), expert_ids: Iterable[int] = (),
                 tell: Compose | None = None) -> DemandCard:
    """Propose (with technologies/experts), connect (with whom) or close (with an outcome)."""
    if status == "closed" and outcome not in DEMAND_OUTCOMES:
        raise InvalidValue("Khi đóng yêu cầu cần ghi kết quả: "
                           + ", ".join(f"{k} ({v})" for k, v in OUTCOME_NAMES.items()) + ".")
    if status != "closed" and outcome is not None:
        raise InvalidValue("Chỉ ghi kết quả (outcome) khi đóng yêu cầu (closed).")
    if status in ("assigned",):
        raise InvalidValue("Giao yêu cầu cho cán bộ bằng lệnh assign.")
    async with db.transaction() as s:
        demand = await s.get(Demand, demand_id)
        if demand is None:
            raise NotFound(f"Không tìm thấy yêu cầu số {demand_id}.")
        values: dict[str, Any] = {"outcome": outcome} if status == "closed" else {}
        picked = {"technology_ids": [int(i) for i in technology_ids],
                  "expert_ids": [int(i) for i in expert_ids]}
        await _check_suppliers(s, picked["technology_ids"], picked["expert_ids"])
        if status in ("proposed", "connected") and (picked["technology_ids"] or
                                                     picked["expert_ids"]):
            key = "proposed" if status == "proposed" else "connected_with"
            values["details"] = {**(demand.details or {}), key: picked}
        if status == "new":
            values.update(assigned_to=None, assigned_name=None, outcome=None)
        await _advance(s, demand_id, status, actor, note=note, **values)
        await _tell_user(s, demand_id, tell)
        return await load_card(s, demand_id)


async def _check_suppliers(session: AsyncSession, tech_ids: list[int],
                           expert_ids: list[int]) -> None:
    """Only technologies in the catalog (published) and existing experts can be proposed."""
    techs = set((await session.execute(select(Technology.id).where(
        Technology.id.in_(tech_ids), Technology.status == "published"))).scalars()) \
        if tech_ids else set()
    experts = set((await session.execute(select(Expert.id).where(
        Expert.id.in_(expert_ids), Expert.archived_at.is_(None)))).scalars()) \
        if expert_ids else set()
    missing = [f"công nghệ số {i}" for i in tech_ids if i not in techs] + \
        [f"chuyên gia số {i}" for i in expert_ids if i not in experts]
    if missing:
        raise NotFound("Không tìm thấy " + ", ".join(missing[:3]) + " trong danh mục.")


async def move(db: Database, demand_id: int, point: str, actor: Actor, *,
               alert: Compose | None = None, note: str | None = None) -> DemandCard:
    """Send the demand to another connection point: new there, unassigned, its staff alerted."""
    async with db.transaction() as s:
        target = await resolve_point(s, point)
        demand = await s.get(Demand, demand_id)
        if demand is None:
            raise NotFound(f"Không tìm thấy yêu cầu số {demand_id}.")
        if demand.status not in OPEN:
            raise InvalidStatusChange(f"Yêu cầu số {demand_id} đã đóng, không chuyển điểm được.")
        if demand.connection_point_id == target.id:
            raise InvalidValue(f"Yêu cầu số {demand_id} đã thuộc {target.name}.")
        old = demand.status
        result = await s.execute(
            update(Demand).where(Demand.id == demand_id, Demand.status == old)
            .values(status="new", connection_point_id=target.id, assigned_to=None,
                    assigned_name=None, updated_at=utcnow())
            .execution_options(synchronize_session=False))
        if result.rowcount != 1:  # type: ignore[attr-defined]
            raise InvalidStatusChange(f"Yêu cầu số {demand_id} vừa được cán bộ khác cập nhật.")
        text = f"Chuyển sang {target.name}" + (f": {note}" if note else "")
        s.add(DemandStatusChange(demand_id=demand_id, old_status=old, new_status="new",
                                 note=text, changed_by=actor.label, changed_at=utcnow()))
        await audit.record(s, actor.label, "demand.move", f"demand:{demand_id}",
                           point=target.code, note=note)
        await s.flush()
        await s.refresh(demand)
        if alert is not None:
            await alert_staff(s, demand, alert)
        return await load_card(s, demand_id)


async def points(db: Database) -> list[tuple[str, str]]:
    """(code, name) of every connection point, for "move to another point" choices."""
    async with db.session() as s:
        rows = (await s.execute(select(ConnectionPoint).order_by(ConnectionPoint.id))).scalars()
        return [(p.code, p.name) for p in rows]
