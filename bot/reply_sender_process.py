"""The reply sender process of `ketnoi serve --workers N` (`bot.reply_sender`), run by the
supervisor beside the workers (`bot.workers`) and started again like them when it dies."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import signal

from bot.config import Settings
from bot.reply_sender import PartSender, ReplySender

log = logging.getLogger(__name__)


async def run(settings: Settings, path: str, stop: asyncio.Event | None = None) -> None:
    """Serve workers on the Unix socket `path` until `stop` (SIGTERM) is set; requests under
    way are finished (sent and recorded) before it returns."""
    from bot.telegram.reply_transport import TelegramPartSender
    from bot.zalo import setup
    from storage.db import Database
    from storage.repos import outbox
    from storage.sent_marks import SentMarks

    stop = stop or _stop_on_signals()
    db = Database(settings.database_url, pool_size=settings.db_pool_size)
    marks = SentMarks(db)
    channels: dict[str, PartSender] = {}
    telegram = None
    if settings.telegram_token:
        telegram = TelegramPartSender(settings.telegram_token, settings.telegram_api_url)
        channels["telegram"] = telegram
    zalo = setup.reply_part_senders(settings, db)
    channels.update(zalo)
    async def lookup(row_ids: list[int]) -> dict[int, str | None]:
        return await outbox.sent_among(db, row_ids)

    sender = ReplySender(channels, marks.mark, lookup=lookup)
    server = await sender.serve(path)
    log.info("reply sender listening on %s", path)
    try:
        await stop.wait()
    finally:
        server.close()
        with contextlib.suppress(Exception):
            await asyncio.wait_for(sender.drain(), 60)
        if telegram is not None:
            await telegram.aclose()
        for transport in zalo.values():
            with contextlib.suppress(Exception):
                await transport.aclose()
        await marks.close()
        await db.dispose()


def _stop_on_signals() -> asyncio.Event:
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(sig, stop.set)
    return stop


def main(path: str) -> None:
    """The process's entry (forked by the supervisor's fork server)."""
    from bot.cli_telegram import configure_logging, run_async
    from bot.config import get_settings
    from bot.workers import follow_the_fork_server, name_process

    follow_the_fork_server()
    name_process("ketnoi-sender")
    settings = get_settings()
    configure_logging(settings.log_level)
    run_async(run(settings, path))  # uvloop: every reply of every worker passes here
