"""Insert-or-update catalog rows by code (seed and import share it)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from storage.records import MODELS


@dataclass(slots=True)
class UpsertCount:
    created: int = 0
    updated: int = 0
    unchanged: int = 0


async def upsert(session: AsyncSession, kind: str, records: Sequence[dict[str, Any]],
                 model: Any = None) -> UpsertCount:
    """Create rows whose code is new and update the others in place (flushes, no commit)."""
    model = model or MODELS[kind]
    codes = [r["code"] for r in records]
    existing: dict[str, Any] = {}
    for chunk in range(0, len(codes), 500):  # stay under SQLite's bound-parameter limit
        stmt = select(model).where(model.code.in_(codes[chunk:chunk + 500]))
        existing.update((o.code, o) for o in (await session.execute(stmt)).scalars())
    count = UpsertCount()
    for values in records:
        obj = existing.get(values["code"])
        if obj is None:
            obj = model(**values)
            session.add(obj)
            existing[values["code"]] = obj
            count.created += 1
            continue
        changed = False
        for key, value in values.items():
            if getattr(obj, key) != value:
                setattr(obj, key, value)
                changed = True
        if changed:
            count.updated += 1
        else:
            count.unchanged += 1
    await session.flush()
    return count
