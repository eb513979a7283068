"""One report being computed: the session, the engine's dialect, the period, the scope, notes."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import Executable
from sqlalchemy.ext.asyncio import AsyncSession

from storage.reports.period import Period, ResolvedScope

UNKNOWN = "unknown"  # the key of rows whose sector, province... is not known


@dataclass
class Query:
    s: AsyncSession
    dialect: str  # "sqlite" | "postgresql"
    period: Period
    scope: ResolvedScope
    notes: list[str] = field(default_factory=list)

    async def counts(self, stmt: Executable) -> dict[str, int]:
        """A two-column (key, count) select as a dict; NULL keys become "unknown"."""
        rows = (await self.s.execute(stmt)).all()
        out: dict[str, int] = {}
        for key, n in rows:
            name = UNKNOWN if key is None or key == "" else str(key)
            out[name] = out.get(name, 0) + int(n)
        return dict(sorted(out.items(), key=lambda kv: (-kv[1], kv[0])))

    async def one(self, stmt: Executable) -> Any:
        return (await self.s.execute(stmt)).scalar_one()

    async def number(self, stmt: Executable) -> int:
        return int(await self.one(stmt) or 0)

    def note(self, text: str) -> None:
        if text not in self.notes:
            self.notes.append(text)
