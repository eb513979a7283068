"""Offer review: technologies offered in chat wait in `pending_review` until staff approve them
(they join the catalog and the search index at once: the index follows `updated_at`, and the
news job tells matching subscribers) or reject them with a reason. The offerer is told through
the outbox in the same transaction, and the decision is audited."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import asdict, dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import select

from storage.db import Database
from storage.errors import InvalidStatusChange, NotFound
from storage.models import Technology, User
from storage.repos import audit, outbox
from storage.repos.outbox import Envelope
from storage.sqltypes import utcnow


@dataclass(frozen=True, slots=True)
class Offer:
    id: int
    code: str
    title: str
    summary: str
    provider: str
    sector: str | None
    province: str | None
    status: str
    created_at: datetime
    offered_by: str | None  # "channel:user id" of the offerer, when offered in chat

    def to_dict(self) -> dict[str, Any]:
        return {**asdict(self), "created_at": self.created_at.isoformat()}


Compose = Callable[[Offer], dict[str, Any]]  # a serialised Outgoing for the offerer


async def _offer(session: Any, t: Technology) -> Offer:
    user = await session.get(User, t.submitted_by_id) if t.submitted_by_id else None
    return Offer(t.id, t.code, t.title, t.summary or "", t.provider or "", t.sector, t.province,
                 t.status, t.created_at,
                 f"{user.channel}:{user.external_id}" if user is not None else None)


async def pending(db: Database, limit: int = 50) -> list[Offer]:
    """Offers waiting for review, oldest first."""
    async with db.session() as s:
        rows = (await s.execute(select(Technology).where(Technology.status == "pending_review")
                                .order_by(Technology.id).limit(limit))).scalars()
        return [await _offer(s, t) for t in rows]


async def decide(db: Database, key: str | int, approve: bool, actor: str, *,
                 reason: str | None = None, tell: Compose | None = None) -> Offer:
    """Approve (published) or reject (archived, with `reason`) an offer still pending."""
    from storage.repos.catalog import get_technology

    async with db.transaction() as s:
        tech = await get_technology(s, key)
        if tech is None:
            raise NotFound(f"Không tìm thấy công nghệ “{str(key)[:40]}”.")
        if tech.status != "pending_review":
            raise InvalidStatusChange(f"Công nghệ {tech.code} không còn chờ duyệt "
                                      f"(trạng thái: {tech.status}).")
        tech.status = "published" if approve else "archived"
        tech.updated_at = utcnow()
        await s.flush()
        await audit.record(s, actor, "offer.approve" if approve else "offer.reject",
                           f"technology:{tech.code}", reason=reason)
        found = await _offer(s, tech)
        user = await s.get(User, tech.submitted_by_id) if tech.submitted_by_id else None
        if tell is not None and user is not None and user.active:
            await outbox.enqueue(s, [Envelope("update", user.channel, user.external_id,
                                              tell(found), user_id=user.id)])
        return found
