"""The staff web console under load: how long each page takes, and how many SQL statements it
runs, with a year of synthetic activity (`ketnoi seed --history`) of N demands.

Each page is requested in-process (httpx over ASGI, signed in as national staff, who see every
point) RUNS times; printed per page: the median wall time, the median CPU time of this process
and the SQL statements per request. The statement count must not grow with N (no N+1); the
times show that a page stays fast when the lists are long (every list is paged in SQL).

    .venv/bin/python benchmarks/console_bench.py [--sizes 1000 20000] [--postgres URL|none]
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import sys
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx
from sqlalchemy import event, select

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "benchmarks"))

from report_bench import PG_URL, database, pg_reachable  # noqa: E402

from bot.admin import create_admin_app  # noqa: E402
from bot.web import create_web_app  # noqa: E402
from storage import history  # noqa: E402
from storage.db import Database  # noqa: E402
from storage.models import Demand  # noqa: E402
from storage.repos import broadcasts, staff, web_logins  # noqa: E402
from storage.repos.broadcasts import Audience  # noqa: E402
from storage.seed import seed  # noqa: E402

RUNS = 5
SECRET = "benchmark-secret-key-0123456789"
BROADCASTS = 60


async def prepared(db: Database, size: int) -> httpx.AsyncClient:
    await db.upgrade()
    async with db.transaction() as s:
        await seed(s)
    await history.add(db, demands=size, now=datetime.now(UTC))
    for n in range(BROADCASTS):
        await broadcasts.create(db, created_by="cli", payload={"text": f"tin {n}"},
                                audience=Audience(provinces=("bac_ninh",)), text=f"Tin {n}")
    await staff.add(db, "telegram", "1", point="DKN-TW", name="Cán bộ quốc gia")
    app = create_web_app([], admin=create_admin_app(db, SECRET, secure_cookie=False))
    web = httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://bench")
    _, token = await web_logins.issue(db, "telegram", "1")
    await web.post("/admin/login", data={"token": token})
    return web


async def pages(db: Database) -> dict[str, str]:
    async with db.session() as s:
        newest = (await s.execute(select(Demand.id).order_by(Demand.id.desc()))).scalars().first()
        total = len((await s.execute(select(Demand.id))).scalars().all())
    last = max(1, -(-total // 50))
    return {"demands": "/admin/demands", "demands, last page": f"/admin/demands?page={last}",
            "demands, filtered": "/admin/demands?status=closed&sector=agri_processing",
            "a demand": f"/admin/demands/{newest}", "users": "/admin/users",
            "users, last page": f"/admin/users?page={last}", "broadcasts": "/admin/broadcasts",
            "recipient count": "/admin/broadcasts/count?scope=filters",
            "catalog": "/admin/catalog?kind=technologies", "offers": "/admin/catalog/offers",
            "report, a year": "/admin/reports?period=year",
            "demands export.xlsx": "/admin/demands/export.xlsx"}


async def measure(db: Database, web: httpx.AsyncClient, path: str) -> dict[str, Any]:
    statements: list[str] = []

    def seen(_c: object, _cur: object, statement: str, *_a: object) -> None:
        statements.append(statement)

    walls, cpus, counts = [], [], []
    for _ in range(RUNS):
        statements.clear()
        event.listen(db.engine.sync_engine, "before_cursor_execute", seen)
        wall, cpu = time.perf_counter(), time.process_time()
        answer = await web.get(path)
        walls.append(time.perf_counter() - wall)
        cpus.append(time.process_time() - cpu)
        event.remove(db.engine.sync_engine, "before_cursor_execute", seen)
        counts.append(len(statements))
        assert answer.status_code == 200, (path, answer.status_code, answer.text[:300])
    return {"ms": 1000 * statistics.median(walls), "cpu": 1000 * statistics.median(cpus),
            "sql": max(counts), "kb": len(answer.content) / 1024}


async def bench(engine: str, size: int, pg_url: str) -> None:
    async with database(engine, pg_url) as db:
        web = await prepared(db, size)
        try:
            for name, path in (await pages(db)).items():
                r = await measure(db, web, path)
                print(f"{engine:<11} {size:>8,} {name:<22} {r['ms']:>8.1f} {r['cpu']:>8.1f} "
                      f"{r['sql']:>5} {r['kb']:>8.1f}", flush=True)
        finally:
            await web.aclose()


async def main(sizes: list[int], pg_url: str | None) -> None:
    engines = ["sqlite"]
    if pg_url and await pg_reachable(pg_url):
        engines.append("postgresql")
    else:
        print(f"PostgreSQL not benchmarked ({pg_url or 'disabled'} unreachable)")
    print(f"{'engine':<11} {'demands':>8} {'page':<22} {'ms p50':>8} {'cpu ms':>8} {'sql':>5} "
          f"{'KB':>8}")
    for engine in engines:
        for size in sizes:
            await bench(engine, size, pg_url or "")


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[1000, 20_000])
    parser.add_argument("--postgres", default=PG_URL,
                        help="PostgreSQL URL, or 'none' to benchmark SQLite only")
    args = parser.parse_args()
    asyncio.run(main(args.sizes, None if args.postgres == "none" else args.postgres))
