"""Fuzz tests: hypothesis profiles, a tally of inputs tried, and a watch on error logs.

Profiles: "suite" (default: small, derandomised so a failure reproduces) and "fuzz" (the bigger
budget `benchmarks/fuzz.py` runs). Choose with KETNOI_FUZZ_PROFILE or --hypothesis-profile.
"""

from __future__ import annotations

import logging
import os
from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, settings
from sqlalchemy import text

from bot.app import App
from bot.config import Settings
from storage.seed import seed_database
from tests.handlers.chat import fresh_app, shared_nlu

# db, empty_db: the storage tests' databases (SQLite, then PostgreSQL) for the import fuzz.
from tests.storage.conftest import _pg_database, db, empty_db  # noqa: F401

COMMON: dict[str, Any] = {
    "deadline": None,  # a real bot answers through HTTP and a database: no per-input deadline
    # One bot (server, database) serves every input of a test, as in production.
    "suppress_health_check": [HealthCheck.function_scoped_fixture, HealthCheck.too_slow,
                              HealthCheck.data_too_large, HealthCheck.filter_too_much],
    "print_blob": True,
}
settings.register_profile("suite", max_examples=25, derandomize=True, **COMMON)
settings.register_profile(
    "fuzz", max_examples=int(os.environ.get("KETNOI_FUZZ_EXAMPLES", "400")), **COMMON
)
settings.load_profile(os.environ.get("KETNOI_FUZZ_PROFILE", "suite"))


class ErrorLog(logging.Handler):
    """Records logged at ERROR or above: a handler crash the user saw as an apology."""

    def __init__(self) -> None:
        super().__init__(logging.ERROR)
        self.records: list[logging.LogRecord] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.records.append(record)

    def lines(self) -> list[str]:
        return [f"{r.name}: {r.getMessage()} {r.exc_text or ''}"[:2000] for r in self.records]


@pytest.fixture
def errors() -> Iterator[ErrorLog]:
    handler = ErrorLog()
    root = logging.getLogger()
    root.addHandler(handler)
    yield handler
    root.removeHandler(handler)


@pytest.fixture(params=["sqlite", "postgresql"])
async def app(request: pytest.FixtureRequest, tmp_path: Path) -> AsyncIterator[App]:
    """The real core on the seeded demo catalog, kept for every input of a test."""
    if request.param == "sqlite":
        app = await fresh_app(tmp_path)
        yield app
        await app.close()
        return
    pg, admin = await _pg_database()
    await pg.upgrade()
    await seed_database(pg)
    app = await App.create(Settings(database_url=str(pg.url)), db=pg, nlu=shared_nlu())
    yield app
    await app.close()
    async with admin.engine.begin() as conn:
        await conn.execute(text(f'DROP SCHEMA "{pg.schema}" CASCADE'))
    await admin.dispose()
