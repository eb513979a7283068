"""Processed channel updates (recorded per message by the state stores, `storage.state`)."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import delete
from sqlalchemy.ext.asyncio import AsyncSession

from storage.models import ProcessedUpdate


async def purge_older_than(session: AsyncSession, when: datetime) -> int:
    """Forget updates processed before `when` (channels stop retrying after a day or so)."""
    result = await session.execute(
        delete(ProcessedUpdate).where(ProcessedUpdate.processed_at < when))
    return int(result.rowcount or 0)  # type: ignore[attr-defined]
