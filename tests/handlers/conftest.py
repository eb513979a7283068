"""Fixtures: one trained NLU engine per session, a fresh seeded SQLite database per test."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from bot.app import App
from nlu.api import EmbeddedBackend
from tests.handlers.support import Chat, copy_db, make_app, shared_nlu, shared_template


@pytest.fixture(scope="session")
def nlu() -> EmbeddedBackend:
    return shared_nlu()


@pytest.fixture
def db_url(tmp_path: Path) -> str:
    return copy_db(shared_template(), tmp_path / "ketnoi.db")


@pytest.fixture
async def app(db_url: str, nlu: EmbeddedBackend) -> AsyncIterator[App]:
    app = await make_app(db_url, nlu)
    yield app
    await app.close()


@pytest.fixture
def chat(app: App) -> Chat:
    return Chat(app)
