"""`ketnoi serve --workers 2` with the in-process senders, on PostgreSQL: one sender per bot
token sends at a time, a broadcast arrives once per subscriber (counted at the fake Bot API), and
when the worker process holding the sender lease is SIGKILLed another one takes over."""

from __future__ import annotations

import os
import re
import signal
import time
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from sqlalchemy import select

from storage.db import Database
from storage.models import SenderLease
from storage.repos import outbox
from tests.bot.fake_telegram import FakeTelegram, RateLimits
from tests.bot.outbox.support import add_subscribers, broadcast, until_done
from tests.bot.telegram.server import serving
from tests.bot.telegram.serving import ServeProcess, create_database, drop_database, free_port
from tests.storage.conftest import PG_URL, _pg_reachable

RATE = 40  # the configured rate, and the fake's ceiling: two senders at once would get 429s
SENDERS = {"KETNOI_TELEGRAM_BROADCAST_RATE": str(RATE), "KETNOI_SENDER_LEASE_SECONDS": "3",
           "KETNOI_OUTBOX_BATCH": "20", "KETNOI_OUTBOX_LANES": "4",
           "KETNOI_JOBS_INTERVAL": "3600", "KETNOI_LOG_LEVEL": "INFO"}


@pytest.fixture
async def database() -> AsyncIterator[str]:
    if not await _pg_reachable():
        if os.environ.get("KETNOI_REQUIRE_POSTGRES"):
            pytest.fail(f"PostgreSQL required but not reachable at {PG_URL}")
        pytest.skip("PostgreSQL not reachable")
    url = await create_database(PG_URL, prefix="t_senders")
    try:
        yield url
    finally:
        await drop_database(PG_URL, url)


def takeovers(log: Path) -> list[int]:
    """The pids of the processes that took the Telegram sender lease, in order (from the log)."""
    return [int(pid) for pid in re.findall(r"sending for telegram:123 \([^:]+:(\d+):",
                                           log.read_text(errors="replace"))]


async def test_one_sender_per_token_and_a_takeover_after_sigkill(database: str,
                                                                 tmp_path: Path) -> None:
    log = tmp_path / "serve.log"
    api = FakeTelegram()
    api.limits = RateLimits(overall=RATE)
    async with serving(api) as api_url:
        serve = ServeProcess(database, api_url, free_port(), workers=2, log=log, env=SENDERS,
                             sender=True)
        await serve.start()
        db = Database(database)
        try:
            chats = await add_subscribers(db, 150)
            info = await broadcast(db)
            await api.wait_for(lambda: len(api.sent()) >= 50, timeout=60)
            holders = takeovers(log)
            assert len(holders) == 1, holders  # one sender sends; the other process stands by
            [active] = holders
            workers = serve.worker_pids()  # one reading: /proc is read child by child
            assert active in workers and len(workers) == 2, (active, workers)
            [survivor] = [pid for pid in workers if pid != active]
            os.kill(active, signal.SIGKILL)
            killed_at, before = time.perf_counter(), len(api.sent())
            await api.wait_for(lambda: len(api.sent()) > before + 1, timeout=30)
            await until_done(db, timeout=60)
            async with db.session() as s:
                [lease] = (await s.execute(select(SenderLease))).scalars()
        finally:
            await db.dispose()
            await serve.stop()
    # The standby, or the worker the supervisor started in the killed one's place, takes over:
    # whichever claims the expired lease first; exactly one of them does.
    [first, successor] = takeovers(log)
    assert first == active and successor != active and f":{successor}:" in lease.owner
    assert successor == survivor or successor not in workers
    resumed = next(c.at for c in api.sent()[before:])
    assert resumed - killed_at < 10  # the standby took over (a bound, not a speed check)
    assert api.limits.refused == 0  # never two senders at once
    delivered = api.delivered()
    assert set(delivered) <= set(chats) and set(delivered.values()) == {1}  # 0 duplicates
    counts = await outbox_counts(database, info.id)
    # "unknown": killed during its request, so it may have arrived; never sent twice
    assert counts.sent + counts.unknown == len(chats) and counts.sent <= len(delivered)
    assert len(chats) - len(delivered) <= counts.unknown <= 4


async def outbox_counts(url: str, broadcast_id: int) -> outbox.Counts:
    db = Database(url)
    try:
        return await outbox.counts(db, broadcast_id)
    finally:
        await db.dispose()
