"""Long button payloads under short ids, in the database so every bot process resolves them.

A channel that limits a button's data (Telegram: 64 bytes of callback_data) sends a short id
instead; the id is a hash of the payload, so writing the same pair twice is harmless and two
processes never disagree on an id.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Any

from sqlalchemy import delete, select
from sqlalchemy.dialects import postgresql, sqlite

from storage.db import Database
from storage.models import ButtonPayload
from storage.sqltypes import utcnow


async def remember(db: Database, pairs: Mapping[str, str]) -> None:
    """Keep short id → payload pairs (an id already kept is left as it is)."""
    if not pairs:
        return
    now = utcnow()
    dialect_insert: Any = postgresql.insert if db.dialect == "postgresql" else sqlite.insert
    stmt = dialect_insert(ButtonPayload).on_conflict_do_nothing(index_elements=["id"])
    async with db.transaction() as s:
        await s.execute(stmt, [{"id": short, "payload": payload, "created_at": now}
                               for short, payload in sorted(pairs.items())])


async def lookup(db: Database, short: str) -> str | None:
    """The payload kept under `short`, or None."""
    async with db.session() as s:
        found = await s.execute(select(ButtonPayload.payload).where(ButtonPayload.id == short))
        return found.scalar_one_or_none()


async def purge_older_than(db: Database, when: datetime) -> int:
    """Forget payloads kept before `when` (buttons that old are no longer pressed)."""
    async with db.transaction() as s:
        result = await s.execute(delete(ButtonPayload).where(ButtonPayload.created_at < when))
        return int(result.rowcount or 0)  # type: ignore[attr-defined]
