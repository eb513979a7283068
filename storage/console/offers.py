"""The offer review queue in the web console: technologies offered in chat, waiting for review,
oldest first, paged, with the offerer joined in the same query.

Approving and rejecting are `storage.repos.offers.decide`, as in chat (`/duyet`).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import func, or_, select

from nlu.taxonomy import PROVINCE_BY_ID, SECTOR_BY_ID
from storage.console.paging import Page, count, window
from storage.db import Database
from storage.models import ConnectionPoint, Technology, User


@dataclass(frozen=True, slots=True)
class OfferRow:
    id: int
    code: str
    title: str
    summary: str
    provider: str
    sector: str | None
    province: str | None
    created_at: datetime
    offered_by: str | None  # "channel:user id" of the offerer
    offerer_name: str | None

    @property
    def sector_name(self) -> str:
        found = SECTOR_BY_ID.get(self.sector or "")
        return found.name if found else ""

    @property
    def province_name(self) -> str:
        found = PROVINCE_BY_ID.get(self.province or "")
        return found.name if found else ""


async def pending(db: Database, number: int, point: str | None = None) -> Page[OfferRow]:
    """The queue; with `point` (a connection point's code), only the offers that point reviews:
    those from its provinces and those whose point is unknown (no province, or one no point
    serves), as in chat (`handlers.staff.offers.reviews`)."""
    stmt = (select(Technology, User.channel, User.external_id, User.display_name)
            .outerjoin(User, User.id == Technology.submitted_by_id)
            .where(Technology.status == "pending_review").order_by(Technology.id))
    async with db.session() as s:
        if point is not None:
            stmt = stmt.where(await _reviewed_by(s, point))
        total = await count(s, stmt)
        rows = (await s.execute(window(stmt, number))).all()
    return Page([OfferRow(t.id, t.code, t.title, t.summary or "", t.provider or "", t.sector,
                          t.province, t.created_at,
                          f"{channel}:{external}" if channel else None, name)
                 for t, channel, external, name in rows], total, number)


async def _reviewed_by(session: Any, point: str) -> Any:
    """The condition "this point reviews the offer", on the offer's province or its offerer's."""
    points = (await session.execute(select(ConnectionPoint))).scalars().all()
    own = [p for q in points if q.code == point for p in (q.provinces or [])]
    served = [p for q in points for p in (q.provinces or [])]
    province = func.coalesce(Technology.province, User.province)
    return or_(province.is_(None), province.in_(own), province.not_in(served))
