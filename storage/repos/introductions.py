"""Expert introductions: a user asks to be put in touch with an expert (the "Kết nối: <expert>"
button, or a find_expert demand that no expert was picked for yet); the staff of the user's
point mark it contacted, agreed or declined, and the user is told at each step.

The contact rule lives here: an expert's phone/e-mail reaches the user only when the expert
consented to share it (`Expert.consent_contact`) or staff recorded the expert's agreement
("agreed"). Staff always see it (they make the call).

Each step is a conditional UPDATE on the status it was decided on, so two staff acting at once
cannot both win; the step, its audit entry and the outbox row telling the user commit together.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import asdict, dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession

from storage.db import Database
from storage.errors import InvalidStatusChange, InvalidValue, NotFound
from storage.models import ConnectionPoint, Demand, Expert, Introduction, User
from storage.repos import audit, outbox
from storage.repos.outbox import Envelope
from storage.sqltypes import utcnow

STATUS_NAMES = {"requested": "chờ xử lý", "contacted": "đã liên hệ chuyên gia",
                "agreed": "chuyên gia đồng ý", "declined": "không phù hợp"}
TRANSITIONS = {"requested": ("contacted", "agreed", "declined"),
               "contacted": ("agreed", "declined")}
OPEN = ("requested", "contacted")


@dataclass(frozen=True, slots=True)
class IntroCard:
    id: int
    status: str
    created_at: datetime
    demand_id: int | None
    point_code: str | None
    point_name: str | None
    user_id: int
    user_name: str | None
    organisation: str | None
    user_contact: str | None  # the user's phone/e-mail, only when they consented
    expert_id: int | None
    expert_name: str | None  # title and name
    expert_organisation: str | None
    expert_contact: dict[str, Any]  # always filled: for staff only
    expert_consented: bool
    handled_by: str | None
    note: str | None

    @property
    def contact_for_user(self) -> dict[str, Any]:
        """What the user may read: the expert's contact once they consented or agreed."""
        return self.expert_contact if (self.expert_consented or self.status == "agreed") else {}

    def to_dict(self) -> dict[str, Any]:
        return {**asdict(self), "created_at": self.created_at.isoformat()}


Compose = Callable[[IntroCard], dict[str, Any] | None]  # a serialised Outgoing, or nothing


def _reach(d: dict[str, Any] | None) -> dict[str, Any]:
    return {k: v for k, v in (d or {}).items() if k in ("phone", "email") and v}


async def _card(session: AsyncSession, row: Introduction) -> IntroCard:
    user = await session.get(User, row.user_id)
    expert = await session.get(Expert, row.expert_id) if row.expert_id else None
    point = (await session.get(ConnectionPoint, row.connection_point_id)
             if row.connection_point_id else None)
    demand = await session.get(Demand, row.demand_id) if row.demand_id else None
    details = (demand.details or {}) if demand is not None else {}
    consented = bool(details.get("consent")) or bool(user and user.consent_at)
    reach = [x for x in (details.get("phone") or (user and user.phone),
                         details.get("email") or (user and user.email)) if x]
    return IntroCard(
        id=row.id, status=row.status, created_at=row.created_at, demand_id=row.demand_id,
        point_code=point.code if point else None, point_name=point.name if point else None,
        user_id=row.user_id,
        user_name=(details.get("contact_name") or (user and user.display_name)) or None,
        organisation=details.get("organisation") or (user and user.organisation) or None,
        user_contact=", ".join(reach) if consented and reach else None,
        expert_id=expert.id if expert else None,
        expert_name=f"{expert.title} {expert.name}".strip() if expert else None,
        expert_organisation=expert.organisation if expert else None,
        expert_contact=_reach(expert.contact) if expert else {},
        expert_consented=bool(expert and expert.consent_contact),
        handled_by=row.handled_by, note=row.note)


async def _alert(session: AsyncSession, row: Introduction, compose: Compose | None) -> None:
    from storage.repos.staff import on_call

    if compose is None:
        return
    payload = compose(await _card(session, row))
    point = (await session.get(ConnectionPoint, row.connection_point_id)
             if row.connection_point_id else None)
    if payload is None:
        return
    await outbox.enqueue(session, [
        Envelope("staff_alert", m.channel, m.user_id, payload,
                 dedupe_key=f"intro:{row.id}:{row.expert_id}:{m.channel}:{m.user_id}")
        for m in await on_call(session, point)])


async def request(db: Database, user: User, demand_id: int, expert_id: int, *,
                  alert: Compose | None = None) -> tuple[IntroCard, bool] | None:
    """The user asks to meet an expert shown for their demand: a new request (staff of the
    demand's point alerted), or the one already open (created False). None when stale: not
    their demand, or no such expert."""
    from storage.repos import catalog, demands

    async with db.transaction() as s:
        demand = await demands.of_user_in(s, demand_id, user.id)
        expert = await catalog.get_expert(s, expert_id)
        if demand is None or expert is None or expert.archived_at is not None:
            return None  # stale: not their demand, or the expert left the catalog
        await demands.add_expert_interest(s, demand, expert.id)
        rows = list((await s.execute(select(Introduction).where(
            Introduction.demand_id == demand.id, Introduction.status.in_(OPEN))
            .order_by(Introduction.id))).scalars())
        same = next((r for r in rows if r.expert_id == expert.id), None)
        if same is not None:
            return await _card(s, same), False
        row = next((r for r in rows if r.expert_id is None), None)  # staff were still looking
        if row is None:
            row = Introduction(user_id=user.id, demand_id=demand.id,
                               connection_point_id=demand.connection_point_id, status="requested")
            s.add(row)
        row.expert_id = expert.id
        row.updated_at = utcnow()
        await s.flush()
        await _alert(s, row, alert)
        return await _card(s, row), True


async def open_for_demand(session: AsyncSession, demand: Demand) -> None:
    """A find_expert demand: an introduction request waiting for staff to find the expert (in
    the demand's own transaction; the demand's alert tells staff)."""
    session.add(Introduction(user_id=demand.user_id, demand_id=demand.id,
                             connection_point_id=demand.connection_point_id, status="requested"))
    await session.flush()


async def card(db: Database, intro_id: int) -> IntroCard:
    async with db.session() as s:
        row = await s.get(Introduction, intro_id)
        if row is None:
            raise NotFound(f"Không tìm thấy yêu cầu giới thiệu số {intro_id}.")
        return await _card(s, row)


async def open_list(db: Database, *, point: str | None = None, limit: int = 5,
                    offset: int = 0) -> list[IntroCard]:
    """Open requests (requested, contacted), oldest first; of one point or all."""
    from storage.repos.staff import resolve_point

    async with db.session() as s:
        stmt = (select(Introduction).where(Introduction.status.in_(OPEN))
                .order_by(Introduction.created_at, Introduction.id))
        if point is not None:
            target = await resolve_point(s, point)
            stmt = stmt.where(Introduction.connection_point_id == target.id)
        rows = (await s.execute(stmt.limit(limit).offset(offset))).scalars()
        return [await _card(s, r) for r in rows]


async def of_demand(db: Database, demand_id: int) -> list[IntroCard]:
    """Every introduction request of a demand, oldest first."""
    async with db.session() as s:
        rows = (await s.execute(select(Introduction).where(Introduction.demand_id == demand_id)
                                .order_by(Introduction.id))).scalars()
        return [await _card(s, r) for r in rows]


async def decide(db: Database, intro_id: int, status: str, actor: str, *,
                 note: str | None = None, expert_id: int | None = None,
                 tell: Compose | None = None) -> IntroCard:
    """Move a request on (contacted / agreed / declined) if it is still where it was read;
    `expert_id` names the expert of a request that had none. The user is told."""
    async with db.transaction() as s:
        row = await s.get(Introduction, intro_id)
        if row is None:
            raise NotFound(f"Không tìm thấy yêu cầu giới thiệu số {intro_id}.")
        old = row.status
        if status not in TRANSITIONS.get(old, ()):
            raise InvalidStatusChange(
                f"Yêu cầu giới thiệu số {intro_id} đang ở trạng thái “{STATUS_NAMES.get(old, old)}”"
                f", không chuyển sang “{STATUS_NAMES.get(status, status)}” được.")
        values: dict[str, Any] = {"status": status, "handled_by": actor[:160],
                                  "updated_at": utcnow(), "note": (note or None) and note[:1000]}
        if expert_id is not None:
            if row.expert_id is not None and row.expert_id != expert_id:
                raise InvalidValue(f"Yêu cầu giới thiệu số {intro_id} đã có chuyên gia.")
            if await s.get(Expert, expert_id) is None:
                raise NotFound(f"Không tìm thấy chuyên gia số {expert_id}.")
            values["expert_id"] = expert_id
        if status != "declined" and (values.get("expert_id") or row.expert_id) is None:
            raise InvalidValue("Cần chọn chuyên gia trước khi ghi nhận đã liên hệ hay chuyên gia "
                               "đồng ý.")
        done = await s.execute(
            update(Introduction).where(Introduction.id == intro_id, Introduction.status == old)
            .values(**values).execution_options(synchronize_session=False))
        if done.rowcount != 1:  # type: ignore[attr-defined]
            await s.refresh(row)
            who = row.handled_by or "cán bộ khác"
            raise InvalidStatusChange(f"Yêu cầu giới thiệu số {intro_id} vừa được {who} cập "
                                      f"nhật (“{STATUS_NAMES.get(row.status, row.status)}”).")
        await s.refresh(row)
        await audit.record(s, actor, f"introduction.{status}", f"introduction:{intro_id}",
                           old=old, expert=row.expert_id, note=note)
        found = await _card(s, row)
        user = await s.get(User, row.user_id)
        payload = tell(found) if tell is not None else None
        if payload is not None and user is not None and user.active:
            await outbox.enqueue(s, [Envelope("update", user.channel, user.external_id, payload,
                                              user_id=user.id)])
        return found


async def demand_experts(db: Database, intro_id: int) -> list[tuple[int, str]]:
    """(id, title and name) of the experts matched to the request's demand: the choices when a
    request has no expert yet."""
    async with db.session() as s:
        row = await s.get(Introduction, intro_id)
        demand = await s.get(Demand, row.demand_id) if row and row.demand_id else None
        ids = list((demand.matched_expert_ids if demand else None) or [])[:8]
        if not ids:
            return []
        found = {e.id: e for e in (await s.execute(
            select(Expert).where(Expert.id.in_(ids)))).scalars()}
        return [(i, f"{found[i].title} {found[i].name}".strip()) for i in ids if i in found]
