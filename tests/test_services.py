"""Each xdist worker's own test services, derived from the configured URLs."""

from __future__ import annotations

import pytest
from sqlalchemy import text

from storage.db import Database
from tests.services import worker_id, worker_postgres_url, worker_redis_url
from tests.storage.conftest import PG_URL, REQUIRE_PG, _pg_reachable


def test_a_worker_gets_a_postgres_database_of_its_own_on_the_same_server() -> None:
    url = "postgresql+asyncpg://postgres:secret@127.0.0.1:5432/test"
    assert worker_postgres_url(url, "gw0") == "postgresql+asyncpg://postgres:secret@127.0.0.1:5432/test_gw0"
    assert worker_postgres_url(url, "gw1").endswith("/test_gw1")


def test_a_worker_gets_the_next_redis_databases_wrapping_at_sixteen() -> None:
    assert worker_redis_url("redis://127.0.0.1:6379/5", "gw0") == "redis://127.0.0.1:6379/5"
    assert worker_redis_url("redis://127.0.0.1:6379/5", "gw2") == "redis://127.0.0.1:6379/7"
    assert worker_redis_url("redis://127.0.0.1:6379", "gw1") == "redis://127.0.0.1:6379/1"
    assert worker_redis_url("redis://127.0.0.1:6379/15", "gw1") == "redis://127.0.0.1:6379/0"


async def test_an_xdist_worker_runs_on_its_own_postgres_database() -> None:
    worker = worker_id()
    if worker is None:
        pytest.skip("only under pytest -n")
    if not await _pg_reachable():
        if REQUIRE_PG:
            pytest.fail(f"PostgreSQL is required but unreachable at {PG_URL}")
        pytest.skip(f"PostgreSQL unreachable at {PG_URL}")
    db = Database(PG_URL)
    try:
        async with db.engine.connect() as conn:
            name = (await conn.execute(text("SELECT current_database()"))).scalar_one()
    finally:
        await db.dispose()
    assert name.endswith(f"_{worker}")
