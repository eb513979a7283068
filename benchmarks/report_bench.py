"""Report benchmark: time to compute every figure of a year and to write the XLSX and PNG, at
1,000 and 100,000 demands (with their users, status changes, matches, events, registrations and
subscribers, made by `ketnoi seed --history`'s generator with bulk inserts), on SQLite and
PostgreSQL.

Run: .venv/bin/python benchmarks/report_bench.py [--sizes 1000 100000] [--postgres URL|none]
PostgreSQL: a temporary schema in the database of KETNOI_TEST_POSTGRES_URL (default
postgresql+asyncpg://postgres@127.0.0.1:5432/test), dropped afterwards; skipped if unreachable.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import statistics
import sys
import tempfile
import time
import uuid
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import UTC, datetime, timedelta
from pathlib import Path

from sqlalchemy import text

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from handlers.reporting import dashboard, workbook  # noqa: E402
from storage import history, reports  # noqa: E402
from storage.db import Database  # noqa: E402
from storage.seed import seed  # noqa: E402

PG_URL = os.environ.get("KETNOI_TEST_POSTGRES_URL",
                        "postgresql+asyncpg://postgres@127.0.0.1:5432/test")
RUNS = 3


@asynccontextmanager
async def database(engine: str, pg_url: str) -> AsyncIterator[Database]:
    if engine == "sqlite":
        with tempfile.TemporaryDirectory() as tmp:
            db = Database(f"sqlite+aiosqlite:///{Path(tmp) / 'bench.db'}")
            try:
                yield db
            finally:
                await db.dispose()
        return
    schema = f"bench_{uuid.uuid4().hex[:10]}"
    admin = Database(pg_url)
    async with admin.engine.begin() as conn:
        await conn.execute(text(f'CREATE SCHEMA "{schema}"'))
    db = Database(pg_url, schema=schema)
    try:
        yield db
    finally:
        await db.dispose()
        async with admin.engine.begin() as conn:
            await conn.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))
        await admin.dispose()


async def pg_reachable(url: str) -> bool:
    db = Database(url)
    try:
        async with asyncio.timeout(5), db.engine.connect() as conn:
            await conn.execute(text("select 1"))
        return True
    except Exception:
        return False
    finally:
        await db.dispose()


def timed(fn: object, *args: object) -> tuple[float, object]:
    start = time.perf_counter()
    result = fn(*args)  # type: ignore[operator]
    return time.perf_counter() - start, result


async def bench(engine: str, size: int, pg_url: str) -> dict[str, float]:
    now = datetime.now(UTC)
    async with database(engine, pg_url) as db:
        await db.upgrade()
        async with db.transaction() as s:
            await seed(s)
        start = time.perf_counter()
        added = await history.add(db, demands=size, now=now)
        load = time.perf_counter() - start
        last = now.date()
        year = reports.Period(last - timedelta(days=364), last)
        times, fig = [], None
        for _ in range(RUNS):
            start = time.perf_counter()
            fig = await reports.figures(db, year, now=now)
            times.append(time.perf_counter() - start)
        point_start = time.perf_counter()
        await reports.figures(db, year, reports.Scope(point="DKN-BN"), now=now)
        point = time.perf_counter() - point_start
        assert fig is not None and fig.demands["total"] == added.demands
        xlsx_s, xlsx = timed(workbook.render, fig)
        png_s, png = timed(dashboard.render, fig)
    return {"load": load, "figures": statistics.median(times), "point": point,
            "xlsx": xlsx_s, "png": png_s, "changes": added.status_changes,
            "xlsx_kb": len(xlsx) / 1024, "png_kb": len(png) / 1024}  # type: ignore[arg-type]


async def main(sizes: list[int], pg_url: str | None) -> None:
    engines = ["sqlite"]
    if pg_url and await pg_reachable(pg_url):
        engines.append("postgresql")
    else:
        print(f"PostgreSQL not benchmarked ({pg_url or 'disabled'} unreachable)")
    print(f"{'engine':<11} {'demands':>8} {'changes':>8} {'load s':>7} {'figures s':>9} "
          f"{'1 point s':>9} {'xlsx s':>7} {'png s':>6} {'xlsx KB':>8} {'png KB':>7}")
    for engine in engines:
        for size in sizes:
            r = await bench(engine, size, pg_url or "")
            print(f"{engine:<11} {size:>8,} {int(r['changes']):>8,} {r['load']:>7.2f} "
                  f"{r['figures']:>9.3f} {r['point']:>9.3f} {r['xlsx']:>7.3f} {r['png']:>6.3f} "
                  f"{r['xlsx_kb']:>8.1f} {r['png_kb']:>7.1f}", flush=True)


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[1000, 100_000])
    parser.add_argument("--postgres", default=PG_URL,
                        help="PostgreSQL URL, or 'none' to benchmark SQLite only")
    args = parser.parse_args()
    asyncio.run(main(args.sizes, None if args.postgres == "none" else args.postgres))
