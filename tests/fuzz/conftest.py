"""Fuzz tests: hypothesis profiles, a tally of inputs tried, and a watch on error logs.

Profiles: "suite" (default: small, derandomised so a failure reproduces) and "fuzz" (the bigger
budget `benchmarks/fuzz.py` runs). Choose with KETNOI_FUZZ_PROFILE or --hypothesis-profile.
"""

from __future__ import annotations

import logging
import os
from collections.abc import Iterator

import pytest
from hypothesis import HealthCheck, settings

# The storage tests' databases (SQLite, then PostgreSQL) for the import fuzz.
from tests.storage.conftest import db, empty_db  # noqa: F401

COMMON = {
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
