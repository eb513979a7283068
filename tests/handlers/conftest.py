"""Fixtures: one trained NLU engine per session, a fresh seeded SQLite database per test."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from bot.app import App
from nlu.api import EmbeddedBackend, load_engine
from tests.handlers.support import Chat, build_template, copy_db, make_app


@pytest.fixture(scope="session")
def nlu() -> EmbeddedBackend:
    return EmbeddedBackend(engine=load_engine())


@pytest.fixture(scope="session")
def template_db(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return build_template(tmp_path_factory.mktemp("template") / "template.db")


@pytest.fixture
def db_url(template_db: Path, tmp_path: Path) -> str:
    return copy_db(template_db, tmp_path / "ketnoi.db")


@pytest.fixture
async def app(db_url: str, nlu: EmbeddedBackend) -> AsyncIterator[App]:
    app = await make_app(db_url, nlu)
    yield app
    await app.close()


@pytest.fixture
def chat(app: App) -> Chat:
    return Chat(app)
