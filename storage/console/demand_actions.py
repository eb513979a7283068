"""What the demand page offers for each pipeline step: the staff a demand can be given to, the
other points it can move to, and the catalog items found by a search to propose.

The steps themselves are `storage.repos.pipeline`'s, the same as in chat and on the CLI.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import select

from storage.db import Database
from storage.models import ConnectionPoint, Expert, Staff, Technology

SEARCH_SHOWN = 8


@dataclass(frozen=True, slots=True)
class StaffChoice:
    key: str  # "channel:user id", as `pipeline.assign` and `Demand.assigned_to` name staff
    name: str
    point: str


@dataclass(frozen=True, slots=True)
class Choice:
    ref: str  # "t12" (technology 12) or "e3" (expert 3)
    name: str
    by: str


async def staff_choices(db: Database, point_code: str | None) -> list[StaffChoice]:
    """Staff of the demand's point, then of the national point (who may take any demand)."""
    # Staff are a few dozen rows; "national" lives in a JSON list, so it is read in Python.
    stmt = (select(Staff.channel, Staff.user_id, Staff.name, ConnectionPoint.code,
                   ConnectionPoint.provinces)
            .join(ConnectionPoint, ConnectionPoint.id == Staff.connection_point_id)
            .order_by(ConnectionPoint.code != (point_code or ""), Staff.name, Staff.id))
    async with db.session() as s:
        rows = (await s.execute(stmt)).all()
    return [StaffChoice(f"{channel}:{user_id}", name or f"{channel}:{user_id}", code)
            for channel, user_id, name, code, provinces in rows
            if code == point_code or "*" in (provinces or [])]


async def catalog_choices(db: Database, searcher: object, query: str) -> list[Choice]:
    """Published technologies and experts for `query`, ranked by the bot's own search."""
    query = query.strip()[:300]
    if not query:
        return []
    techs = await searcher.technologies(db, query, k=SEARCH_SHOWN)  # type: ignore[attr-defined]
    experts = await searcher.experts(db, query, k=SEARCH_SHOWN)  # type: ignore[attr-defined]
    out = [Choice(f"t{h.obj.id}", h.obj.title, h.obj.provider or "") for h in techs
           if isinstance(h.obj, Technology) and h.obj.status == "published"]
    out += [Choice(f"e{h.obj.id}", f"{h.obj.title} {h.obj.name}".strip(),
                   h.obj.organisation or "") for h in experts if isinstance(h.obj, Expert)]
    return out


def split_refs(refs: list[str]) -> tuple[list[int], list[int]]:
    """["t5", "e3", "x"] → ([5], [3]); anything else is ignored."""
    techs = [int(r[1:]) for r in refs if r[:1] == "t" and r[1:].isdigit()]
    experts = [int(r[1:]) for r in refs if r[:1] == "e" and r[1:].isdigit()]
    return techs[:50], experts[:50]
