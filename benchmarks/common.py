"""What several benchmarks share: a fresh seeded database, percentiles, a process's CPU time."""

from __future__ import annotations

import os
from pathlib import Path

from sqlalchemy import text
from sqlalchemy.ext.asyncio import create_async_engine

from storage.db import Database
from storage.seed import seed_database


async def fresh_database(database: str, folder: Path, name: str = "bench.db") -> str:
    """A migrated, seeded database; returns its URL. `database` is "sqlite" (a new file `name`
    in `folder`) or a PostgreSQL URL, whose public schema is wiped first."""
    if database == "sqlite":
        url = f"sqlite+aiosqlite:///{folder / name}"
    else:
        url = database
        engine = create_async_engine(url, isolation_level="AUTOCOMMIT")
        async with engine.connect() as conn:
            await conn.execute(text("DROP SCHEMA public CASCADE"))
            await conn.execute(text("CREATE SCHEMA public"))
        await engine.dispose()
    db = Database(url)
    try:
        await db.upgrade()
        await seed_database(db)
    finally:
        await db.dispose()
    return url


def percentile(values: list[float], p: float) -> float:
    """The nearest-rank percentile (NaN for no values)."""
    if not values:
        return float("nan")
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, round(p / 100 * len(ordered)) - 1))]


def cpu_seconds(pids: list[int]) -> float:
    """User + system CPU time of these processes so far (those gone count 0)."""
    ticks = os.sysconf("SC_CLK_TCK")
    total = 0
    for pid in pids:
        try:
            fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        total += int(fields[11]) + int(fields[12])  # utime, stime
    return total / ticks


def run_queue_seconds(pids: list[int]) -> float:
    """Time the threads of these processes spent runnable but waiting for a CPU so far
    (/proc/<pid>/task/<tid>/schedstat): on a shared machine, latency that is nobody's code."""
    total = 0
    for pid in pids:
        for stat in Path(f"/proc/{pid}/task").glob("*/schedstat"):
            try:
                total += int(stat.read_text().split()[1])
            except (OSError, IndexError, ValueError):
                continue
    return total / 1e9
