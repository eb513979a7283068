"""The offer review queue in the web console: technologies offered in chat, waiting for review,
oldest first, paged, with the offerer joined in the same query.

Approving and rejecting are `storage.repos.offers.decide`, as in chat (`/duyet`).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select

from nlu.taxonomy import PROVINCE_BY_ID, SECTOR_BY_ID
from storage.console.paging import Page, count, window
from storage.db import Database
from storage.models import Technology, User


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


async def pending(db: Database, number: int) -> Page[OfferRow]:
    stmt = (select(Technology, User.channel, User.external_id, User.display_name)
            .outerjoin(User, User.id == Technology.submitted_by_id)
            .where(Technology.status == "pending_review").order_by(Technology.id))
    async with db.session() as s:
        total = await count(s, stmt)
        rows = (await s.execute(window(stmt, number))).all()
    return Page([OfferRow(t.id, t.code, t.title, t.summary or "", t.provider or "", t.sector,
                          t.province, t.created_at,
                          f"{channel}:{external}" if channel else None, name)
                 for t, channel, external, name in rows], total, number)
