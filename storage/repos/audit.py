"""The audit log: every staff action (status change, approval, takeover, broadcast) with who,
when and what. Written in the transaction of the action itself."""

from __future__ import annotations

from dataclasses import asdict, dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from storage.db import Database
from storage.models import AuditEntry
from storage.sqltypes import utcnow


@dataclass(frozen=True, slots=True)
class Entry:
    at: datetime
    actor: str
    action: str
    target: str
    details: dict[str, Any]

    def to_dict(self) -> dict[str, Any]:
        return {**asdict(self), "at": self.at.isoformat()}


async def record(session: AsyncSession, actor: str, action: str, target: str,
                 **details: Any) -> None:
    """Note an action in the caller's transaction."""
    session.add(AuditEntry(at=utcnow(), actor=actor[:160], action=action[:32],
                           target=target[:64], details=details))


async def since(db: Database, moment: datetime | None = None, limit: int = 1000) -> list[Entry]:
    """Actions from `moment` on (all when None), oldest first."""
    async with db.session() as s:
        stmt = select(AuditEntry).order_by(AuditEntry.at, AuditEntry.id).limit(limit)
        if moment is not None:
            stmt = stmt.where(AuditEntry.at >= moment)
        return [Entry(r.at, r.actor, r.action, r.target, dict(r.details or {}))
                for r in (await s.execute(stmt)).scalars()]
