"""Catalog search benchmark: index build time, index memory and p50/p99 query latency at 3,000 and
100,000 technologies (the demo catalog grown by variation), on the query path the bot uses: a warm
in-memory index, a freshness check, and a database fetch of the top k only.

Index memory is measured with tracemalloc on a second build (tracemalloc slows Python code down, so
the build time comes from the first, untraced one): "kept" is what the built index holds while it
answers, "peak" the most the build needed at once (rows read, intermediate arrays).

Run: .venv/bin/python benchmarks/search_bench.py [--sizes 3000 100000] [--queries 300] [--url URL]

With --relevance it measures quality instead, on labelled needs (benchmarks/data/
search_relevance.yml) against the demo catalog: nDCG@5 of the technologies and precision@3 of
the experts the bot shows, for the query the bot builds from the need (nlu/query.py) and, for
comparison, for the message's words as typed.
"""

from __future__ import annotations

import argparse
import asyncio
import gc
import math
import random
import statistics
import sys
import tempfile
import time
import tracemalloc
from pathlib import Path
from typing import Any

from sqlalchemy import delete, insert, select

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from nlu.normalize import plain, search_words  # noqa: E402
from nlu.taxonomy import PROVINCES  # noqa: E402
from storage.db import Database  # noqa: E402
from storage.models import Technology  # noqa: E402
from storage.search import CatalogSearch  # noqa: E402
from storage.search.text import field_line  # noqa: E402
from storage.seed import seed  # noqa: E402
from storage.sqltypes import utcnow  # noqa: E402

QUERIES = [
    "công nghệ sấy vải thiều", "bảo quản thanh long xuất khẩu", "xử lý nước thải chăn nuôi lợn",
    "máy bóc vỏ hạt điều", "phần mềm truy xuất nguồn gốc nông sản", "sấy cà phê bằng năng lượng mặt trời",
    "chế phẩm vi sinh xử lý rơm rạ", "phân hữu cơ từ phân gà", "kho lạnh bảo quản rau",
    "nuôi tôm công nghệ cao biofloc", "chiết xuất tinh dầu quế", "gạch không nung từ tro xỉ",
    "tiết kiệm điện lò hơi", "dây chuyền chế biến chè xanh", "nước mắm", "cn say nong san",
    "xu ly nc thai lang nghe", "máy gặt đập liên hợp", "bao bì phân hủy sinh học",
    "tự động hóa dây chuyền đóng gói", "sản xuất nấm", "giống lúa chịu mặn",
    "sơn mài làng nghề", "chế biến gỗ rừng trồng", "IoT tưới tiêu nhà màng",
]
VARIANTS = ["quy mô hộ gia đình", "quy mô HTX", "công suất lớn", "phiên bản cải tiến",
            "tiết kiệm năng lượng", "cho vùng núi", "cho đồng bằng", "tự động hoàn toàn",
            "bán tự động", "thế hệ mới", "giá thấp", "xuất khẩu"]


async def _grow(db: Database, size: int, base: list[Technology]) -> None:
    """Add variations of the demo technologies until the catalog has `size` published rows."""
    rng = random.Random(size)
    variant_lines = {v: field_line(v) for v in VARIANTS}
    async with db.transaction() as s:
        await s.execute(delete(Technology).where(Technology.code.like("BN-%")))
    rows: list[dict[str, Any]] = []
    now = utcnow()
    for i in range(size - len(base)):
        b = base[i % len(base)]
        variant = rng.choice(VARIANTS)
        province = rng.choice(PROVINCES)
        lines = b.search_text.split("\n")
        lines[0] = f"{lines[0]} {variant_lines[variant]}"  # title gets the variant words
        lines[4] = f"{lines[4]} {field_line(province.name)}"
        rows.append({"code": f"BN-{i:06d}", "title": f"{b.title} ({variant})",
                     "summary": b.summary, "description": b.description, "sector": b.sector,
                     "keywords": b.keywords, "stage": b.stage, "transfer_modes": b.transfer_modes,
                     "provider": f"{b.provider} - chi nhánh {province.name}",
                     "provider_contact": b.provider_contact, "province": province.id,
                     "status": "published", "source": "bench", "search_text": "\n".join(lines),
                     "created_at": now, "updated_at": now})
        if len(rows) == 5000:
            await _insert(db, rows)
            rows = []
    if rows:
        await _insert(db, rows)


async def _insert(db: Database, rows: list[dict[str, Any]]) -> None:
    async with db.transaction() as s:
        await s.execute(insert(Technology), rows)  # Core bulk insert: search_text is given


async def _measure(db: Database, size: int, n_queries: int) -> dict[str, float]:
    search = CatalogSearch()
    async with db.session() as s:
        t0 = time.perf_counter()
        await search.index_for(s, "technology")
        build = time.perf_counter() - t0
        kept_mb, peak_mb = await _index_memory(search, s)
        rng = random.Random(7)
        latencies, cpu = [], []
        for i in range(n_queries):
            query = QUERIES[i % len(QUERIES)]
            query = plain(query) if i % 2 else query  # half typed without diacritics
            province = rng.choice(PROVINCES).id if i % 3 == 0 else None
            t0, c0 = time.perf_counter(), time.process_time()
            hits = await search.technologies(s, query, province=province, k=5)
            latencies.append(time.perf_counter() - t0)
            cpu.append(time.process_time() - c0)
            assert len(hits) <= 5
    during = await _during_rebuild(db, search, rng)
    latencies.sort()
    return {"size": size, "build_s": build, "kept_mb": kept_mb, "peak_mb": peak_mb,
            "during_n": len(during), "during_p50_ms": statistics.median(during) * 1000,
            "during_p99_ms": during[max(0, int(len(during) * 0.99) - 1)] * 1000,
            "p50_ms": statistics.median(latencies) * 1000,
            "p99_ms": latencies[int(len(latencies) * 0.99) - 1] * 1000,
            "mean_ms": statistics.fmean(latencies) * 1000,
            "cpu_p50_ms": statistics.median(cpu) * 1000}


async def _during_rebuild(db: Database, search: CatalogSearch,
                          rng: random.Random) -> list[float]:
    """Query latencies while the index is rebuilt in the background after a catalog write."""
    async with db.transaction() as w:  # an edit through the ORM, as staff would make
        tech = (await w.execute(select(Technology).where(Technology.code.like("BN-%"))
                                .limit(1))).scalar_one()
        tech.summary = f"{tech.summary} "
    latencies: list[float] = []
    while True:
        t0 = time.perf_counter()
        async with db.session() as s:  # a session per query, as the bot's handlers open
            await search.technologies(s, rng.choice(QUERIES), k=5)
        latencies.append(time.perf_counter() - t0)
        if not any(not t.done() for t in search.indexes._rebuilds.values()):
            break
        await asyncio.sleep(0.01)  # a chat's next query arrives a little later
    return sorted(latencies)


async def _index_memory(search: CatalogSearch, session: Any) -> tuple[float, float]:
    """(kept, peak) MB of a fresh build of the technology index, measured by tracemalloc."""
    search.invalidate()
    gc.collect()
    tracemalloc.start()
    try:
        base = tracemalloc.get_traced_memory()[0]
        await search.index_for(session, "technology")
        gc.collect()
        kept, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    return (kept - base) / 2**20, (peak - base) / 2**20


async def main(sizes: list[int], n_queries: int, url: str | None, schema: str | None) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        db = Database(url or f"sqlite+aiosqlite:///{Path(tmp) / 'bench.db'}", schema=schema)
        await db.upgrade()
        async with db.transaction() as s:
            await seed(s)
        async with db.session() as s:
            base = list((await s.execute(select(Technology).where(
                Technology.status == "published"))).scalars())
        print(f"Demo catalog: {len(base)} technologies; {n_queries} queries per size "
              "(half without diacritics, a third with a province boost), k=5, "
              f"{db.dialect}.")
        print(f"{'technologies':>12} | {'index build':>11} | {'index kept':>10} | "
              f"{'build peak':>10} | {'p50':>8} | {'p99':>8} | {'mean':>8} | {'CPU p50':>8} | "
              "during a rebuild: n, p50, p99")
        for size in sizes:
            await _grow(db, size, base)
            r = await _measure(db, size, n_queries)
            print(f"{size:>12,} | {r['build_s']:>9.2f} s | {r['kept_mb']:>7.1f} MB | "
                  f"{r['peak_mb']:>7.1f} MB | {r['p50_ms']:>5.2f} ms | "
                  f"{r['p99_ms']:>5.2f} ms | {r['mean_ms']:>5.2f} ms | {r['cpu_p50_ms']:>5.2f} ms | "
                  f"{r['during_n']:>4} {r['during_p50_ms']:>6.2f} ms {r['during_p99_ms']:>7.2f} ms")
        print("p50/p99: wall-clock per query (freshness check, BM25 over the in-memory index, "
              "DB fetch of the top 5, reasons); CPU p50: process CPU time per query; index kept / build "
              "peak: memory the index holds / the build needed at most (tracemalloc); during a rebuild: "
              "queries answered (from the previous index) while the new one was built in the "
              "background after an edit, one every 10 ms.")
        async with db.transaction() as s:  # leave a shared database as it was
            await s.execute(delete(Technology).where(Technology.code.like("BN-%")))
        await db.dispose()


RELEVANCE = Path(__file__).resolve().parent / "data" / "search_relevance.yml"


def ndcg(ranked: list[str], grades: dict[str, int], k: int = 5) -> float:
    dcg = sum((2 ** grades.get(c, 0) - 1) / math.log2(i + 2) for i, c in enumerate(ranked[:k]))
    ideal = sorted(grades.values(), reverse=True)[:k]
    best = sum((2 ** g - 1) / math.log2(i + 2) for i, g in enumerate(ideal))
    return dcg / best if best else 1.0 if not ranked else 0.0


def typed_words(text: str) -> str:
    """The message's words as typed (what reached the search before need queries)."""
    return " ".join(w for w in search_words(text) if not w[:1].isdigit())


async def relevance(url: str | None) -> None:
    import yaml

    from handlers.matching import EXPERTS_SHOWN, relevant_experts
    from nlu.query import need_query

    needs = yaml.safe_load(RELEVANCE.read_text(encoding="utf-8"))["needs"]
    with tempfile.TemporaryDirectory() as tmp:
        db = Database(url or f"sqlite+aiosqlite:///{Path(tmp) / 'bench.db'}")
        await db.upgrade()
        async with db.transaction() as s:
            await seed(s)
        search = CatalogSearch()
        print(f"{len(needs)} labelled needs, demo catalog; technologies nDCG@5, experts "
              f"precision@3 (relevant among those shown) and how many are shown.")
        print(f"{'query':<28} | {'tech nDCG@5':>11} | {'expert P@3':>10} | {'shown':>5} | "
              f"{'expert recall@3':>15}")
        for label, build, cut in (("message words as typed", typed_words, False),
                                  ("need query", need_query, False),
                                  ("need query + expert cutoff", need_query, True)):
            nd, prec, shown, rec = [], [], [], []
            async with db.session() as s:
                for need in needs:
                    query = build(need["text"])
                    techs = await search.technologies(s, query, k=5)
                    experts = await search.experts(s, query, k=EXPERTS_SHOWN)
                    if cut:
                        experts = relevant_experts(experts)
                    nd.append(ndcg([h.obj.code for h in techs], need["technologies"] or {}))
                    codes = [h.obj.code for h in experts]
                    good = len(set(codes) & set(need["experts"]))
                    prec.append(good / len(codes) if codes else 0.0)
                    shown.append(len(codes))
                    rec.append(good / min(3, len(need["experts"])) if need["experts"] else 1.0)
            print(f"{label:<28} | {statistics.fmean(nd):>11.3f} | {statistics.fmean(prec):>10.3f}"
                  f" | {statistics.fmean(shown):>5.2f} | {statistics.fmean(rec):>15.3f}")
        await db.dispose()


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[3000, 100_000])
    parser.add_argument("--queries", type=int, default=300)
    parser.add_argument("--url", help="database URL (default: a temporary SQLite file); the "
                        "demo catalog is seeded into it and the BN-* rows removed afterwards")
    parser.add_argument("--schema", help="PostgreSQL schema to use (it must exist)")
    parser.add_argument("--relevance", action="store_true",
                        help="measure nDCG@5 / precision@3 on the labelled needs instead")
    args = parser.parse_args()
    if args.relevance:
        asyncio.run(relevance(args.url))
    else:
        asyncio.run(main(args.sizes, args.queries, args.url, args.schema))
