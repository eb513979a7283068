"""The test services (PostgreSQL, Redis) of this test process.

`pytest -n N` (pytest-xdist) runs N worker processes at once. Each gets a PostgreSQL database
and a Redis database number of its own, derived from KETNOI_TEST_POSTGRES_URL and
KETNOI_TEST_REDIS_URL: worker gw1 of `.../test` uses `.../test_gw1` and, with `redis://.../5`,
Redis database 6. A test that looks at a whole database (its sessions, its connections) then
never sees another worker's. A plain `pytest` run uses the URLs as given.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
from urllib.parse import urlsplit, urlunsplit

from sqlalchemy import make_url, text
from sqlalchemy.ext.asyncio import create_async_engine

POSTGRES_ENV = "KETNOI_TEST_POSTGRES_URL"
REDIS_ENV = "KETNOI_TEST_REDIS_URL"
DEFAULT_POSTGRES_URL = "postgresql+asyncpg://postgres@127.0.0.1:5432/test"
DEFAULT_REDIS_URL = "redis://127.0.0.1:6379/0"
REDIS_DATABASES = 16  # Redis's default `databases`


def worker_id() -> str | None:
    """"gw0", "gw1"... in a pytest-xdist worker, None otherwise."""
    return os.environ.get("PYTEST_XDIST_WORKER") or None


def worker_postgres_url(url: str, worker: str) -> str:
    """The database of `worker` on the server of `url`: `<database>_<worker>`."""
    base = make_url(url)
    return base.set(database=f"{base.database}_{worker}").render_as_string(hide_password=False)


def worker_redis_url(url: str, worker: str) -> str:
    """The Redis database of `worker`: the database of `url` plus the worker's number."""
    parts = urlsplit(url)
    first = int(parts.path.strip("/") or 0)
    number = (first + int(worker.removeprefix("gw"))) % REDIS_DATABASES
    return urlunsplit(parts._replace(path=f"/{number}"))


def use_worker_services() -> str | None:
    """In an xdist worker, point both environment variables at the worker's own services (before
    any test module reads them; `ketnoi` processes started by tests inherit them too)."""
    worker = worker_id()
    if worker is None:
        return None
    postgres = os.environ.get(POSTGRES_ENV, DEFAULT_POSTGRES_URL)
    redis = os.environ.get(REDIS_ENV, DEFAULT_REDIS_URL)
    os.environ[POSTGRES_ENV] = worker_postgres_url(postgres, worker)
    os.environ[REDIS_ENV] = worker_redis_url(redis, worker)
    return postgres


async def _create_database(server_url: str, url: str) -> None:
    name = make_url(url).database
    admin = create_async_engine(server_url, isolation_level="AUTOCOMMIT")
    try:
        async with asyncio.timeout(10), admin.connect() as conn:
            exists = (await conn.execute(text("SELECT 1 FROM pg_database WHERE datname = :n"),
                                         {"n": name})).first()
            if exists is None:
                await conn.execute(text(f'CREATE DATABASE "{name}" TEMPLATE template0'))
    finally:
        await admin.dispose()


def ensure_database(server_url: str, url: str) -> None:
    """Create the database of `url` (from template0) when missing. An unreachable server is left
    to the tests, which skip or, with KETNOI_REQUIRE_POSTGRES=1, fail naming the URL."""
    with contextlib.suppress(Exception):  # unreachable, or created meanwhile by another run
        asyncio.run(_create_database(server_url, url))
