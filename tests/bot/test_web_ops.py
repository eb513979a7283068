"""`ketnoi serve`'s operations endpoints: /healthz checks the stores, /metrics counts the work."""

from __future__ import annotations

import os
from collections.abc import AsyncIterator
from pathlib import Path

import httpx
import pytest
from prometheus_client.parser import text_string_to_metric_families

from bot.app import App
from bot.health import NO_INBOX, Health
from bot.types import Incoming
from bot.web import create_web_app
from storage.db import Database
from storage.repos import inbox
from tests.handlers.chat import fresh_app

REDIS_URL = os.environ.get("KETNOI_TEST_REDIS_URL", "redis://127.0.0.1:6379/0")
CLOSED_PORT = 9  # discard: nothing listens there on a test machine


def client(health: Health | None = None) -> httpx.AsyncClient:
    transport = httpx.ASGITransport(app=create_web_app([], health))
    return httpx.AsyncClient(transport=transport, base_url="http://ketnoi.test")


async def metric_samples() -> dict[tuple[str, tuple[tuple[str, str], ...]], float]:
    async with client() as web:
        response = await web.get("/metrics")
    assert response.status_code == 200 and response.headers["content-type"].startswith(
        "text/plain")
    return {(s.name, tuple(sorted(s.labels.items()))): s.value
            for family in text_string_to_metric_families(response.text)
            for s in family.samples}


@pytest.fixture
async def app(tmp_path: Path) -> AsyncIterator[App]:
    app = await fresh_app(tmp_path)
    yield app
    await app.close()


async def test_healthz_reports_a_working_database(tmp_path: Path) -> None:
    db = Database(f"sqlite+aiosqlite:///{tmp_path / 'ok.db'}")
    await db.upgrade()
    await inbox.store(db, "telegram", [("1", {"update_id": 1}), ("2", {"update_id": 2}),
                                       ("3", {"update_id": 3})])
    await inbox.mark_done(db, "telegram", "1")
    async with client(Health(db)) as web:
        response = await web.get("/healthz")
    await db.dispose()
    assert response.status_code == 200
    body = response.json()
    assert body["status"] == "ok" and body["database"] == "ok"
    assert body["redis"] == "not configured" and body["channels"] == {}
    assert body["inbox"] == {"backlog": 2}  # stored and not handled yet
    assert body["process"] == os.getpid()


async def test_healthz_without_a_database_invents_no_backlog() -> None:
    async with client(Health(None)) as web:
        body = (await web.get("/healthz")).json()
    assert body["inbox"] == {"backlog": None, "detail": NO_INBOX}


async def test_healthz_fails_when_the_database_is_down() -> None:
    db = Database(f"postgresql+asyncpg://ketnoi@127.0.0.1:{CLOSED_PORT}/ketnoi")
    async with client(Health(db)) as web:
        response = await web.get("/healthz")
    await db.dispose()
    assert response.status_code == 503
    body = response.json()
    assert body["status"] == "unavailable" and body["database"].startswith("error: ")
    assert "127.0.0.1" not in body["database"]  # no connection details leak


async def test_healthz_checks_redis_when_configured(tmp_path: Path) -> None:
    db = Database(f"sqlite+aiosqlite:///{tmp_path / 'ok.db'}")
    async with client(Health(db, f"redis://127.0.0.1:{CLOSED_PORT}/0")) as web:
        down = await web.get("/healthz")
    assert down.status_code == 503 and down.json()["redis"].startswith("error: ")
    assert down.json()["database"] == "ok"
    async with client(Health(db, REDIS_URL)) as web:
        up = await web.get("/healthz")
    await db.dispose()
    if up.json()["redis"] != "ok" and not os.environ.get("CI"):
        pytest.skip(f"Redis unreachable at {REDIS_URL}")
    assert up.status_code == 200 and up.json()["redis"] == "ok"


async def test_metrics_count_updates_by_outcome_and_time_nlu_and_search(app: App) -> None:
    before = await metric_samples()
    message = Incoming(channel="console", chat_id="m1", user_id="m1", update_id=9001,
                       text="cần công nghệ sấy vải thiều")
    assert await app.handle(message)
    assert await app.handle(message) == []  # the same update again: a duplicate
    await app.flush()
    async with app.services.db.session() as s:  # the search the handlers are given
        assert await app.services.search.technologies(s, "sấy vải thiều")
    after = await metric_samples()

    def grew(name: str, **labels: str) -> float:
        key = (name, tuple(sorted(labels.items())))
        return after.get(key, 0.0) - before.get(key, 0.0)

    assert grew("ketnoi_updates_total", channel="console", outcome="replied") == 1
    assert grew("ketnoi_updates_total", channel="console", outcome="duplicate") == 1
    assert grew("ketnoi_reply_seconds_count", channel="console") == 2
    assert grew("ketnoi_reply_seconds_sum", channel="console") > 0
    assert grew("ketnoi_nlu_parse_seconds_count") >= 1
    assert grew("ketnoi_search_seconds_count", kind="technology") >= 1
