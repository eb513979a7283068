"""Shared test setup: keep every test offline and away from the developer's own var/ data."""

from __future__ import annotations

import os

import pytest

from nlu.api import EmbeddedBackend
from tests.services import ensure_database, use_worker_services

# Tests never talk to real chat APIs; adapters get local fake servers explicitly.
os.environ.pop("KETNOI_TELEGRAM_TOKEN", None)

# Under `pytest -n N`, this worker's own PostgreSQL database and Redis database (tests/services.py).
_POSTGRES_SERVER = use_worker_services()


def pytest_configure(config: pytest.Config) -> None:
    if _POSTGRES_SERVER is not None:
        ensure_database(_POSTGRES_SERVER, os.environ["KETNOI_TEST_POSTGRES_URL"])
    elif config.getoption("dist", "no") != "no":
        # The xdist controller trains the bot's NLU model (when stale) before the workers start:
        # two workers would otherwise both write var/nlu-model while the other one reads it.
        from nlu.api import load_engine

        load_engine()


@pytest.fixture(scope="session")
def nlu() -> EmbeddedBackend:
    """One trained NLU engine for the whole test session."""
    from tests.handlers.chat import shared_nlu

    return shared_nlu()
