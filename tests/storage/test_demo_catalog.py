"""The demo catalog (storage/seed_data): seeding, the acceptance query, recall@5."""

from __future__ import annotations

from datetime import date, timedelta
from pathlib import Path
from typing import Any

import pytest
import yaml
from sqlalchemy import func, select

from storage.db import Database
from storage.models import ConnectionPoint, Event, Expert, Technology
from storage.search import CatalogSearch
from storage.seed import SEED_DIR, seed
from storage.sqltypes import utcnow

QUERIES = Path(__file__).parent / "data" / "search_queries.yml"


async def test_seed_is_idempotent_and_complete(db: Database) -> None:
    async with db.transaction() as s:
        first = await seed(s)
    async with db.transaction() as s:
        second = await seed(s)
    for kind, count in first.counts.items():
        assert count.created > 0, kind
        assert (second.counts[kind].created, second.counts[kind].updated) == (0, 0), kind
    async with db.session() as s:
        for model, file in ((Technology, "technologies.yml"), (Expert, "experts.yml"),
                            (Event, "events.yml"), (ConnectionPoint, "connection_points.yml")):
            n = (await s.execute(select(func.count()).select_from(model))).scalar_one()
            assert n == len(yaml.safe_load((SEED_DIR / file).read_text(encoding="utf-8")))
        upcoming = (await s.execute(select(func.count()).select_from(Event)
                                    .where(Event.starts_at > utcnow()))).scalar_one()
        assert upcoming >= 1


async def test_event_dates_follow_the_seeding_day(sqlite_db: Database) -> None:
    async with sqlite_db.transaction() as s:
        await seed(s, today=date(2030, 1, 1))
    async with sqlite_db.transaction() as s:
        before = {e.code: e.starts_at for e in (await s.execute(select(Event))).scalars()}
        report = await seed(s, today=date(2030, 1, 11))
    n_events = len(yaml.safe_load((SEED_DIR / "events.yml").read_text(encoding="utf-8")))
    assert report.counts["events"].updated == n_events  # every event moved with the day
    async with sqlite_db.session() as s:
        for event in (await s.execute(select(Event))).scalars():
            assert event.starts_at - before[event.code] == timedelta(days=10)
            deadline = event.registration_deadline
            assert deadline is None or deadline <= event.starts_at


async def test_acceptance_query(demo_db: Database) -> None:
    search = CatalogSearch()
    async with demo_db.session() as s:
        plain = await search.technologies(s, "cong nghe say vai thieu")
        marked = await search.technologies(s, "công nghệ sấy vải thiều")
    assert [h.code for h in plain] == [h.code for h in marked]
    top = plain[0].obj
    assert "sấy" in top.title.lower() and "vải" in top.title.lower()
    # drying and preservation of fruit first
    assert all(h.obj.sector in ("agri_processing", "post_harvest") for h in plain[:3])


def _labelled() -> list[dict[str, Any]]:
    if not QUERIES.exists():
        pytest.skip("tests/storage/data/search_queries.yml not written yet")
    return list(yaml.safe_load(QUERIES.read_text(encoding="utf-8")))


async def test_recall_at_5_on_labelled_queries(demo_db: Database) -> None:
    labelled = _labelled()
    assert len(labelled) >= 20
    search = CatalogSearch()
    recalls, misses = [], []
    async with demo_db.session() as s:
        for item in labelled:
            relevant = set(item["relevant"])
            kind = str(item.get("kind", "technologies"))
            method = search.experts if kind.startswith("expert") else search.technologies
            got = {h.code for h in await method(s, str(item["query"]), k=5)}
            recall = len(got & relevant) / min(len(relevant), 5)
            recalls.append(recall)
            if recall < 1:
                misses.append((item["query"], sorted(relevant - got)))
    mean = sum(recalls) / len(recalls)
    assert mean >= 0.9, f"recall@5 = {mean:.3f}; misses: {misses}"
