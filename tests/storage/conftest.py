"""Database fixtures: every storage test runs on SQLite and, when reachable, on PostgreSQL.

PostgreSQL tests use a fresh schema per test (fast, isolated); KETNOI_REQUIRE_POSTGRES=1 turns an
unreachable server into a failure instead of a skip.
"""

from __future__ import annotations

import asyncio
import os
import uuid
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from sqlalchemy import text

from storage.db import Database

PG_URL = os.environ.get("KETNOI_TEST_POSTGRES_URL",
                        "postgresql+asyncpg://postgres@127.0.0.1:5432/test")
REQUIRE_PG = os.environ.get("KETNOI_REQUIRE_POSTGRES") == "1"
FIXTURES = Path(__file__).parent / "fixtures"

_pg_ok: bool | None = None


async def _pg_reachable() -> bool:
    global _pg_ok
    if _pg_ok is None:
        db = Database(PG_URL)
        try:
            async with asyncio.timeout(5), db.engine.connect() as conn:
                await conn.execute(text("select 1"))
            _pg_ok = True
        except Exception:
            _pg_ok = False
        finally:
            await db.dispose()
    return _pg_ok


async def _pg_database() -> tuple[Database, Database]:
    if not await _pg_reachable():
        if REQUIRE_PG:
            pytest.fail(f"PostgreSQL is required but unreachable at {PG_URL}")
        pytest.skip(f"PostgreSQL unreachable at {PG_URL}")
    schema = f"t_{uuid.uuid4().hex[:12]}"
    admin = Database(PG_URL)
    async with admin.engine.begin() as conn:
        await conn.execute(text(f'CREATE SCHEMA "{schema}"'))
    return Database(PG_URL, schema=schema), admin


@pytest.fixture(params=["sqlite", "postgresql"])
async def empty_db(request: pytest.FixtureRequest, tmp_path: Path) -> AsyncIterator[Database]:
    """A database without tables (for migration tests)."""
    if request.param == "sqlite":
        db = Database(f"sqlite+aiosqlite:///{tmp_path / 'test.db'}")
        yield db
        await db.dispose()
        return
    db, admin = await _pg_database()
    try:
        yield db
    finally:
        await db.dispose()
        async with admin.engine.begin() as conn:
            await conn.execute(text(f'DROP SCHEMA "{db.schema}" CASCADE'))
        await admin.dispose()


async def create_schema(db: Database) -> None:
    """Tables from the models, stamped at the head revision: faster than replaying every
    migration for each test (test_migrations checks that both give the same schema)."""
    from alembic import command

    from storage.db import alembic_config
    from storage.models import Base

    async with db.engine.begin() as conn:
        await conn.run_sync(Base.metadata.create_all)
        await conn.run_sync(lambda c: command.stamp(alembic_config(c), "head"))


@pytest.fixture
async def db(empty_db: Database) -> Database:
    """An empty database at the head revision (SQLite file or PostgreSQL schema)."""
    await create_schema(empty_db)
    return empty_db


@pytest.fixture
async def sqlite_db(tmp_path: Path) -> AsyncIterator[Database]:
    """A migrated SQLite database, for tests whose logic does not depend on the engine."""
    db = Database(f"sqlite+aiosqlite:///{tmp_path / 'test.db'}")
    await create_schema(db)
    yield db
    await db.dispose()


SEED_FIXTURE = FIXTURES / "seed"


@pytest.fixture
async def small_catalog(db: Database) -> Database:
    """The small test catalog (tests/storage/fixtures/seed) on SQLite and PostgreSQL."""
    from storage.seed import seed

    async with db.transaction() as s:
        await seed(s, SEED_FIXTURE)
    return db


@pytest.fixture(scope="session")
def demo_db_url(tmp_path_factory: pytest.TempPathFactory) -> str:
    """A SQLite file with the demo catalog (storage/seed_data), seeded once per session.

    Tests using it only read; each opens its own `Database` on the file.
    """
    from storage.seed import seed

    url = f"sqlite+aiosqlite:///{tmp_path_factory.mktemp('demo') / 'demo.db'}"

    async def build() -> None:
        db = Database(url)
        await db.upgrade()
        async with db.transaction() as s:
            await seed(s)
        await db.dispose()

    asyncio.run(build())
    return url


@pytest.fixture
async def demo_db(demo_db_url: str) -> AsyncIterator[Database]:
    db = Database(demo_db_url)
    yield db
    await db.dispose()
