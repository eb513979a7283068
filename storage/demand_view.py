"""Demands as JSON-ready dicts with names next to ids (for `ketnoi demands list/show`)."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from nlu.taxonomy import PROVINCE_BY_ID, SECTOR_BY_ID
from storage.models import ConnectionPoint, Demand, Expert, Technology, User
from storage.repos import demands
from storage.repos.demands import STATUS_NAMES

if TYPE_CHECKING:
    from storage.db import Database


CHUNK = 500  # ids per IN (...): under SQLite's bound-parameter limit


def _iso(value: Any) -> str | None:
    return value.isoformat() if value is not None else None


@dataclass
class Refs:
    """The rows a list of demands refers to, loaded with one query per kind (and per CHUNK)."""

    users: dict[int, User]
    points: dict[int, ConnectionPoint]
    technologies: dict[int, Technology]
    experts: dict[int, Expert]


async def _by_id(s: AsyncSession, model: Any, ids: set[int]) -> dict[int, Any]:
    wanted = sorted(ids)
    out: dict[int, Any] = {}
    for n in range(0, len(wanted), CHUNK):
        rows = await s.execute(select(model).where(model.id.in_(wanted[n:n + CHUNK])))
        out.update((row.id, row) for row in rows.scalars())
    return out


async def load_refs(s: AsyncSession, rows: Iterable[Demand]) -> Refs:
    rows = list(rows)

    def ids(get: Callable[[Demand], Iterable[int | None]]) -> set[int]:
        return {int(i) for d in rows for i in get(d) if i is not None}

    return Refs(
        await _by_id(s, User, ids(lambda d: [d.user_id])),
        await _by_id(s, ConnectionPoint, ids(lambda d: [d.connection_point_id])),
        await _by_id(s, Technology, ids(lambda d: d.matched_technology_ids or [])),
        await _by_id(s, Expert, ids(lambda d: d.matched_expert_ids or [])))


async def demand_dict(s: AsyncSession, demand: Demand, refs: Refs | None = None) -> dict[str, Any]:
    refs = refs or await load_refs(s, [demand])
    details = dict(demand.details or {})
    contact = details.get("contact") or {}
    sector = SECTOR_BY_ID.get(demand.sector or "")
    province = PROVINCE_BY_ID.get(demand.province or "")
    user = refs.users.get(demand.user_id)
    point = refs.points.get(demand.connection_point_id or 0)
    techs = [refs.technologies[i] for i in demand.matched_technology_ids or []
             if i in refs.technologies]
    experts = [refs.experts[i] for i in demand.matched_expert_ids or [] if i in refs.experts]
    return {
        "id": demand.id,
        "type": demand.type,
        "status": demand.status,
        "status_name": STATUS_NAMES.get(demand.status, demand.status),
        "outcome": demand.outcome,
        "assigned_to": demand.assigned_to,
        "assigned_name": demand.assigned_name,
        "need": details.get("need") or demand.raw_text,
        "sector": demand.sector,
        "sector_name": sector.name if sector else None,
        "product": demand.product,
        "province": province.name if province else None,
        "province_id": demand.province,
        "province_mentioned": details.get("province_mentioned"),
        "budget": demand.budget,
        "organisation": details.get("organisation"),
        "contact": {"phone": contact.get("phone") or details.get("phone"),
                    "email": contact.get("email") or details.get("email")},
        "user": {"channel": user.channel, "id": user.external_id,
                 "name": user.display_name} if user else None,
        "connection_point": {"id": point.id, "code": point.code, "name": point.name}
        if point else None,
        "matches": {
            "technologies": [{"id": t.id, "code": t.code, "title": t.title} for t in techs],
            "experts": [{"id": e.id, "code": e.code, "name": f"{e.title} {e.name}".strip()}
                        for e in experts],
            "interested_technology_ids": list(demand.interested_technology_ids or []),
            "interested_expert_ids": list(details.get("interested_expert_ids") or []),
        },
        "created_at": _iso(demand.created_at),
        "updated_at": _iso(demand.updated_at),
        "history": [
            {"from": h.old_status, "to": h.new_status, "note": h.note,
             "by": h.changed_by, "at": _iso(h.changed_at)}
            for h in demand.history
        ],
    }


# --- taking the Database ---------------------------------------------------------------------
async def demand_records(db: Database, status: str | None = None, limit: int | None = None,
                         point: str | None = None) -> list[dict[str, Any]]:
    """Demands (newest first, optionally of one status and of one connection point: code or
    province; all unless `limit`) as JSON-ready dicts."""
    from storage.repos.staff import resolve_point

    async with db.session() as s:
        point_id = (await resolve_point(s, point)).id if point else None
        rows = await demands.list_all(s, status=status, limit=limit, point_id=point_id)
        refs = await load_refs(s, rows)  # a handful of queries, not four per demand
        return [await demand_dict(s, d, refs) for d in rows]


async def demand_record(db: Database, demand_id: int) -> dict[str, Any]:
    """One demand as a JSON-ready dict; raises NotFound."""
    async with db.session() as s:
        return await demand_dict(s, await demands.get(s, demand_id))
