"""Shared test setup: keep every test offline and away from the developer's own var/ data."""

from __future__ import annotations

import os

import pytest

from nlu.api import EmbeddedBackend

# Tests never talk to real chat APIs; adapters get local fake servers explicitly.
os.environ.pop("KETNOI_TELEGRAM_TOKEN", None)


@pytest.fixture(scope="session")
def nlu() -> EmbeddedBackend:
    """One trained NLU engine for the whole test session."""
    from tests.handlers.chat import shared_nlu

    return shared_nlu()
