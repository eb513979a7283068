"""A demand as staff see it (`DemandCard`): who, what, where, the matches and the history.

Plain data read in one session, so handlers and the CLI never touch ORM rows of the pipeline.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from storage.errors import NotFound
from storage.models import ConnectionPoint, Demand, Expert, Technology, User


@dataclass(frozen=True, slots=True)
class Step:
    at: datetime
    old: str | None
    new: str
    note: str | None
    by: str | None


@dataclass(frozen=True, slots=True)
class Supplier:
    kind: str  # "technology" | "expert"
    id: int
    name: str  # technology title, or the expert's title and name
    by: str  # provider / the expert's organisation
    contact: dict[str, Any]  # only filled when the supplier consented to share it


@dataclass(frozen=True, slots=True)
class DemandCard:
    id: int
    type: str
    status: str
    outcome: str | None
    raw_text: str
    sector: str | None
    product: str | None
    province: str | None
    province_mentioned: str | None  # as the user wrote it (an old province name, say)
    budget: int | None
    created_at: datetime
    point_code: str | None
    point_name: str | None
    assigned_to: str | None
    assigned_name: str | None
    user_id: int | None
    user_channel: str | None
    user_name: str | None
    organisation: str | None
    contact: str | None  # phone/e-mail, only when the user consented to be contacted
    matches: list[Supplier] = field(default_factory=list)
    proposed: list[Supplier] = field(default_factory=list)
    connected_with: list[Supplier] = field(default_factory=list)
    history: list[Step] = field(default_factory=list)

    def to_dict(self) -> dict[str, Any]:
        data = asdict(self)
        data["created_at"] = self.created_at.isoformat()
        for step in data["history"]:
            step["at"] = step["at"].isoformat()
        return data


def _contact(d: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in (d or {}).items() if k in ("phone", "email", "address") and v}


async def _suppliers(session: AsyncSession, tech_ids: list[int],
                     expert_ids: list[int]) -> list[Supplier]:
    out: list[Supplier] = []
    if tech_ids:
        rows = {t.id: t for t in (await session.execute(
            select(Technology).where(Technology.id.in_(tech_ids)))).scalars()}
        out += [Supplier("technology", t.id, t.title, t.provider, _contact(t.provider_contact))
                for i in tech_ids if (t := rows.get(i)) is not None]
    if expert_ids:
        rows_e = {e.id: e for e in (await session.execute(
            select(Expert).where(Expert.id.in_(expert_ids)))).scalars()}
        out += [Supplier("expert", e.id, f"{e.title} {e.name}".strip(), e.organisation,
                         _contact(e.contact) if e.consent_contact else {})
                for i in expert_ids if (e := rows_e.get(i)) is not None]
    return out


def _picked(details: dict[str, Any], key: str) -> tuple[list[int], list[int]]:
    found = details.get(key) or {}
    return list(found.get("technology_ids") or []), list(found.get("expert_ids") or [])


async def _card(session: AsyncSession, d: Demand) -> DemandCard:
    user = await session.get(User, d.user_id) if d.user_id else None
    point = await session.get(ConnectionPoint, d.connection_point_id) \
        if d.connection_point_id else None
    details = d.details or {}
    consented = bool(details.get("consent")) or bool(user and user.consent_at)
    reach = [x for x in (details.get("phone") or (user and user.phone),
                         details.get("email") or (user and user.email)) if x]
    return DemandCard(
        id=d.id, type=d.type, status=d.status, outcome=d.outcome, raw_text=d.raw_text or "",
        sector=d.sector, product=d.product, province=d.province,
        province_mentioned=details.get("province_mentioned"), budget=d.budget,
        created_at=d.created_at, point_code=point.code if point else None,
        point_name=point.name if point else None, assigned_to=d.assigned_to,
        assigned_name=d.assigned_name, user_id=d.user_id,
        user_channel=user.channel if user else None,
        user_name=(details.get("contact_name") or (user and user.display_name)) or None,
        organisation=details.get("organisation") or (user and user.organisation) or None,
        contact=", ".join(reach) if consented and reach else None,
        matches=await _suppliers(session, list(d.matched_technology_ids or [])[:5],
                                 list(d.matched_expert_ids or [])[:3]),
        proposed=await _suppliers(session, *_picked(details, "proposed")),
        connected_with=await _suppliers(session, *_picked(details, "connected_with")),
        history=[Step(h.changed_at, h.old_status, h.new_status, h.note, h.changed_by)
                 for h in d.history],
    )


async def card_of(session: AsyncSession, demand: Demand) -> DemandCard:
    """The card of a demand whose row and history in the session are as stored (created in
    this transaction): built from them, without reading the demand again."""
    return await _card(session, demand)


async def load_card(session: AsyncSession, demand_id: int) -> DemandCard:
    demand = await session.get(Demand, demand_id, populate_existing=True)
    if demand is None:
        raise NotFound(f"Không tìm thấy yêu cầu số {demand_id}.")
    await session.refresh(demand, ["history"])
    return await _card(session, demand)


async def load_cards(session: AsyncSession, ids: list[int]) -> list[DemandCard]:
    return [await load_card(session, i) for i in ids]
