"""Exactly-once handling of channel updates (Telegram retries webhooks)."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import delete
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from storage.models import ProcessedUpdate


async def mark_processed(session: AsyncSession, channel: str, update_id: str) -> bool:
    """Record an update; False when it was already recorded (handle it only on True).

    Race-safe: the unique (channel, update_id) constraint decides between concurrent
    deliveries. Runs in a savepoint and flushes; the caller commits with its other changes.
    """
    try:
        async with session.begin_nested():
            session.add(ProcessedUpdate(channel=channel, update_id=str(update_id)))
    except IntegrityError:
        return False
    return True


async def purge_older_than(session: AsyncSession, when: datetime) -> int:
    """Forget updates processed before `when` (channels stop retrying after a day or so)."""
    result = await session.execute(
        delete(ProcessedUpdate).where(ProcessedUpdate.processed_at < when))
    return int(result.rowcount or 0)  # type: ignore[attr-defined]
