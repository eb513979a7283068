"""Helpers for outbox tests: subscribers in bulk, a broadcast, a worker run to the end, real
`ketnoi worker` processes."""

from __future__ import annotations

import asyncio
import contextlib
import os
import sys
from collections.abc import AsyncIterator
from pathlib import Path

from sqlalchemy import insert, select

from bot.telegram.outbox_sender import TelegramSender, make_bot
from bot.types import Outgoing, outgoing_to_dict
from bot.worker import ChannelWorker, Leases, Pacing
from storage.db import Database
from storage.models import Subscription, User
from storage.repos import broadcasts, outbox
from storage.repos.broadcasts import Audience, BroadcastInfo
from storage.sqltypes import utcnow
from tests.bot.fake_telegram import TOKEN

FIRST_CHAT = 100_000
LANES = 4  # messages in flight at once in the worker processes
ROOT = Path(__file__).resolve().parents[3]


async def add_subscribers(db: Database, count: int, *, channel: str = "telegram",
                          first: int = FIRST_CHAT, sectors: list[str] | None = None) -> list[str]:
    """`count` active users of `channel`, each with one subscription; returns their chat ids."""
    now = utcnow()
    chats = [str(first + i) for i in range(count)]
    async with db.transaction() as s:
        await s.execute(insert(User), [
            {"channel": channel, "external_id": c, "display_name": f"DN {c}", "role": "enterprise",
             "active": True, "created_at": now, "updated_at": now} for c in chats])
        ids = (await s.execute(select(User.id).where(User.channel == channel,
                                                      User.external_id.in_(chats)))).scalars()
        await s.execute(insert(Subscription), [
            {"user_id": i, "sectors": sectors or [], "provinces": [], "event_kinds": [],
             "active": True, "notify_new": True, "created_at": now, "updated_at": now}
            for i in ids])
    return chats


async def broadcast(db: Database, text: str = "Mời anh/chị dự Techmart Bắc Ninh",
                    **kwargs: object) -> BroadcastInfo:
    payload = outgoing_to_dict(Outgoing(text + "\n\nGõ /huynhantin để ngừng nhận tin."))
    return await broadcasts.create(db, created_by="test", payload=payload,
                                   audience=Audience(), text=text, **kwargs)  # type: ignore[arg-type]


def worker(db: Database, api_url: str, *, rate: float = 400.0, owner: str = "w1",
           lease: str = "telegram:123", lanes: int = 8, sender_seconds: float = 10.0,
           row_seconds: float = 60.0) -> ChannelWorker:
    sender = TelegramSender(make_bot(TOKEN, api_url, connections=lanes), connections=lanes)
    return ChannelWorker(db, sender, lease, Pacing(rate=rate, chat_interval=1.0, backoff=0.05),
                         Leases(row_seconds=row_seconds, sender_seconds=sender_seconds,
                                batch=100, idle_poll=0.05), owner=owner, lanes=lanes)


@contextlib.asynccontextmanager
async def running(*workers: ChannelWorker) -> AsyncIterator[asyncio.Event]:
    stop = asyncio.Event()
    tasks = [asyncio.create_task(w.run(stop)) for w in workers]
    try:
        yield stop
    finally:
        stop.set()
        await asyncio.gather(*tasks)
        for w in workers:
            close = getattr(w.sender, "aclose", None)  # Telegram's sender holds connections
            if close is not None:
                await close()


async def until_done(db: Database, timeout: float = 60.0) -> None:
    """Wait (a safety bound, not a speed check) until nothing is pending."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    while (await outbox.counts(db)).pending:
        if loop.time() > deadline:
            raise TimeoutError(f"still pending: {await outbox.counts(db)}")
        await asyncio.sleep(0.05)


class Senders:
    """Starts `ketnoi worker` processes on one database and one fake Bot API."""

    def __init__(self, db_url: str, api_url: str) -> None:
        self.env = {**os.environ, "KETNOI_DATABASE_URL": db_url, "KETNOI_TELEGRAM_TOKEN": TOKEN,
                    "KETNOI_TELEGRAM_API_URL": api_url, "KETNOI_TELEGRAM_BROADCAST_RATE": "60",
                    "KETNOI_SENDER_LEASE_SECONDS": "1.5", "KETNOI_OUTBOX_LEASE_SECONDS": "600",
                    "KETNOI_JOBS_INTERVAL": "3600", "KETNOI_LOG_LEVEL": "WARNING",
                    "KETNOI_OUTBOX_BATCH": "20", "KETNOI_OUTBOX_LANES": str(LANES)}
        self.processes: list[asyncio.subprocess.Process] = []

    async def start(self) -> asyncio.subprocess.Process:
        process = await asyncio.create_subprocess_exec(
            sys.executable, "-m", "bot.cli", "worker", cwd=ROOT, env=self.env,
            stdout=asyncio.subprocess.DEVNULL, stderr=asyncio.subprocess.PIPE)
        self.processes.append(process)
        return process

    async def close(self) -> None:
        for process in self.processes:
            if process.returncode is None:
                process.kill()
            await process.wait()
