"""Prometheus metrics of one bot process, served at `GET /metrics` by `ketnoi serve`.

Counters and latency histograms in the product's words: updates handled by channel and outcome,
the time the core takes to answer one update, NLU parse time, catalog search time by kind, and
send errors by channel and status. One process keeps its own figures; the worker processes of
`ketnoi serve --workers N` share theirs through prometheus-client's multiprocess mode.
"""

from __future__ import annotations

import os
import time
from typing import Any

from prometheus_client import (
    CONTENT_TYPE_LATEST,
    REGISTRY,
    CollectorRegistry,
    Counter,
    Histogram,
    generate_latest,
    multiprocess,
)

MULTIPROC_ENV = "PROMETHEUS_MULTIPROC_DIR"

# Buckets from a few ms (a cached answer) to the seconds of a slow database or model.
_LATENCY_BUCKETS = (0.002, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0)

UPDATES = Counter("ketnoi_updates_total", "Updates handled, by channel and outcome "
                  "(replied, relayed to a person, duplicate, error)", ["channel", "outcome"])
REPLY_SECONDS = Histogram("ketnoi_reply_seconds", "Time from an update reaching the core to its "
                          "replies being ready", ["channel"], buckets=_LATENCY_BUCKETS)
NLU_SECONDS = Histogram("ketnoi_nlu_parse_seconds", "Time to classify one message",
                        buckets=_LATENCY_BUCKETS)
SEARCH_SECONDS = Histogram("ketnoi_search_seconds", "Time of one catalog search, by kind "
                           "(technology, expert, event; all: the three for one demand)", ["kind"],
                           buckets=_LATENCY_BUCKETS)
SEND_ERRORS = Counter("ketnoi_send_errors_total", "Messages a channel could not deliver, by "
                      "status (failed, blocked, retry)", ["channel", "status"])


def update_handled(channel: str, outcome: str, seconds: float) -> None:
    UPDATES.labels(channel, outcome).inc()
    REPLY_SECONDS.labels(channel).observe(seconds)


def send_error(channel: str, status: str) -> None:
    SEND_ERRORS.labels(channel, status).inc()


def exposition() -> tuple[bytes, str]:
    """The text format Prometheus scrapes, and its content type. With several worker processes
    (`ketnoi serve --workers N` sets PROMETHEUS_MULTIPROC_DIR) every process writes its figures
    to that folder and any of them answers with the sum of all."""
    if os.environ.get(MULTIPROC_ENV):
        registry = CollectorRegistry()
        multiprocess.MultiProcessCollector(registry)
        return generate_latest(registry), CONTENT_TYPE_LATEST
    return generate_latest(REGISTRY), CONTENT_TYPE_LATEST


class TimedNlu:
    """The NLU backend, with each parse timed (other attributes pass through)."""

    def __init__(self, inner: Any) -> None:
        self.inner = inner

    async def parse(self, text: str) -> dict[str, Any]:
        started = time.perf_counter()
        try:
            result: dict[str, Any] = await self.inner.parse(text)
            return result
        finally:
            NLU_SECONDS.observe(time.perf_counter() - started)

    def __getattr__(self, name: str) -> Any:
        return getattr(self.inner, name)


class TimedSearch:
    """The catalog search, with technologies/experts/events timed (the rest passes through)."""

    def __init__(self, inner: Any) -> None:
        self.inner = inner

    async def _timed(self, kind: str, method: str, *args: Any, **kwargs: Any) -> Any:
        started = time.perf_counter()
        try:
            return await getattr(self.inner, method)(*args, **kwargs)
        finally:
            SEARCH_SECONDS.labels(kind).observe(time.perf_counter() - started)

    async def technologies(self, *args: Any, **kwargs: Any) -> Any:
        return await self._timed("technology", "technologies", *args, **kwargs)

    async def experts(self, *args: Any, **kwargs: Any) -> Any:
        return await self._timed("expert", "experts", *args, **kwargs)

    async def events(self, *args: Any, **kwargs: Any) -> Any:
        return await self._timed("event", "events", *args, **kwargs)

    async def everything(self, *args: Any, **kwargs: Any) -> Any:
        """Technologies, experts and events of one demand, timed together."""
        return await self._timed("all", "everything", *args, **kwargs)

    def __getattr__(self, name: str) -> Any:
        return getattr(self.inner, name)
