"""`ketnoi worker` and the in-process worker of `ketnoi run telegram` / `ketnoi serve`.

Builds one outbox sender per configured bot token and runs the scheduled jobs (reminders,
news of new events and technologies, weekly digests) until asked to stop. SIGTERM (or Ctrl-C)
finishes the messages in flight, gives the unsent claims back and exits.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import signal
from collections.abc import AsyncIterator
from dataclasses import dataclass, field

from bot.config import Settings
from bot.types import ChannelSender
from bot.worker import ChannelWorker, Leases, Pacing
from storage.db import Database

log = logging.getLogger(__name__)


def telegram_sender(settings: Settings, db: Database,
                    connections: int = 8) -> ChannelSender | None:
    if not settings.telegram_token:
        return None
    from bot.reply_handover import ReplyHandover
    from bot.telegram.outbox_sender import TelegramSender, make_bot
    from bot.telegram.setup import check_token
    from storage.repos import payloads

    async def keep(pairs: dict[str, str]) -> None:
        await payloads.remember(db, pairs)

    token = check_token(settings.telegram_token)
    return TelegramSender(make_bot(token, settings.telegram_api_url, connections=connections),
                          keep_payloads=keep, connections=connections,
                          handover=ReplyHandover.from_environment())


def zalo_senders(settings: Settings, db: Database) -> list[ChannelSender]:
    """The Zalo Bot Platform's sender with KETNOI_ZALO_BOT_TOKEN, the OA's with
    KETNOI_ZALO_OA_APP_ID (window errors come back as failed "outside the Zalo window")."""
    from bot.zalo import setup

    senders: list[ChannelSender] = []
    if settings.zalo_bot_token:
        senders.append(setup.bot_sender(settings))
    if settings.zalo_oa_app_id:
        senders.append(setup.oa_outbox_sender(settings, db))
    return senders


def pacing(settings: Settings, channel: str) -> Pacing:
    # Telegram's figures; other channels take the same unless they get their own settings.
    return Pacing(rate=max(0.1, settings.telegram_broadcast_rate),
                  chat_interval=1.0 / max(0.01, settings.telegram_chat_rate),
                  max_attempts=settings.outbox_max_attempts)


def leases(settings: Settings) -> Leases:
    return Leases(row_seconds=settings.outbox_lease_seconds,
                  sender_seconds=settings.sender_lease_seconds, batch=settings.outbox_batch)


def lease_name(channel: str, token: str | None) -> str:
    """One lease per bot token; the bot's numeric id names it (never the secret part)."""
    return f"{channel}:{(token or '').split(':', 1)[0] or 'default'}"


@dataclass
class Worker:
    """Every sender and job of this process."""

    db: Database
    settings: Settings
    senders: list[ChannelSender] = field(default_factory=list)
    workers: list[ChannelWorker] = field(default_factory=list)

    @classmethod
    def from_settings(cls, settings: Settings, db: Database,
                      senders: list[ChannelSender] | None = None) -> Worker:
        if senders is None:
            connections = max(1, settings.outbox_lanes)
            senders = [s for s in (telegram_sender(settings, db, connections),) if s is not None]
            senders += zalo_senders(settings, db)
        workers = [
            ChannelWorker(db, sender, lease_name(sender.channel, _token_of(settings, sender)),
                          pacing(settings, sender.channel), leases(settings),
                          lanes=max(1, settings.outbox_lanes))
            for sender in senders
        ]
        return cls(db, settings, senders, workers)

    async def run(self, stop: asyncio.Event) -> None:
        from bot.jobs import run_jobs_forever

        if not self.workers:
            log.warning("no channel to send on (no Telegram or Zalo token is set): only the "
                        "scheduled jobs run; messages wait in the outbox")
        tasks = [asyncio.create_task(w.run(stop), name=f"sender {w.lease_name}")
                 for w in self.workers]
        tasks.append(asyncio.create_task(run_jobs_forever(self.db, self.settings, stop),
                                         name="jobs"))
        try:
            await asyncio.gather(*tasks)
        finally:
            for task in tasks:
                task.cancel()
            await asyncio.gather(*tasks, return_exceptions=True)
            for sender in self.senders:
                await _close_sender(sender)


def _token_of(settings: Settings, sender: ChannelSender) -> str | None:
    tokens = {"telegram": settings.telegram_token, "zalo-bot": settings.zalo_bot_token,
              "zalo-oa": settings.zalo_oa_app_id}
    return tokens.get(sender.channel)


async def _close_sender(sender: ChannelSender) -> None:
    bot = getattr(sender, "bot", None)
    shutdown = getattr(sender, "aclose", None) or getattr(bot, "shutdown", None)
    if shutdown is not None:
        with contextlib.suppress(Exception):
            await shutdown()


def stop_on_signals() -> asyncio.Event:
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        with contextlib.suppress(NotImplementedError, RuntimeError):
            loop.add_signal_handler(sig, stop.set)
    return stop


async def run_worker(settings: Settings, stop: asyncio.Event | None = None, *,
                     upgrade: bool = True) -> None:
    """`ketnoi worker`: send and run jobs until SIGTERM/SIGINT (or `stop`)."""
    stop = stop or stop_on_signals()
    db = Database(settings.database_url, pool_size=settings.db_pool_size)
    try:
        if upgrade:
            await db.upgrade()
        worker = Worker.from_settings(settings, db)
        log.info("worker started: %s", ", ".join(w.lease_name for w in worker.workers) or
                 "jobs only")
        await worker.run(stop)
    finally:
        await db.dispose()


@contextlib.asynccontextmanager
async def in_process(settings: Settings, enabled: bool = True) -> AsyncIterator[None]:
    """Run the worker beside a bot in the same process (`--no-worker` turns it off)."""
    if not enabled:
        yield
        return
    stop = asyncio.Event()
    # The bot beside it migrates the database (Alembic cannot run twice at once in a process);
    # until then the sender's first looks at the outbox fail and are retried.
    task = asyncio.create_task(run_worker(settings, stop, upgrade=False), name="worker")
    try:
        yield
    finally:
        stop.set()
        with contextlib.suppress(Exception):
            await asyncio.wait_for(task, 30)
