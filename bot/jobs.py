"""Scheduled jobs of the worker: event reminders, news of new items, the weekly digest.

Each job only queues outbox rows, each with a dedupe key naming what and whom, so running a job
twice (or in two processes) sends nothing twice. Times are local to KETNOI_TIMEZONE.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

from bot.config import Settings
from bot.types import outgoing_to_dict
from handlers.handoff_relay import Texts
from handlers.news_render import (
    digest_message,
    new_event_message,
    new_technology_message,
    reminder_message,
)
from storage.db import Database
from storage.repos import handoff_relay, news, outbox, privacy
from storage.repos.outbox import Envelope

log = logging.getLogger(__name__)


@dataclass(slots=True)
class JobReport:
    reminders: int = 0
    notices: int = 0
    digests: int = 0
    purged: int = 0  # message log lines past KETNOI_MESSAGE_LOG_DAYS
    handoffs: int = 0  # handoffs requeued, ended (user blocked the bot) or waiting notices


async def queue_reminders(db: Database, now: datetime, tz: ZoneInfo) -> int:
    envelopes = [
        Envelope("reminder", due.reader.channel, due.reader.chat_id,
                 outgoing_to_dict(reminder_message(due.event, due.which, tz)),
                 user_id=due.reader.user_id,
                 dedupe_key=f"reminder:{due.which}:{due.event.id}:{due.reader.user_id}")
        for due in await news.due_reminders(db, now)
    ]
    return await outbox.post(db, envelopes) if envelopes else 0


async def queue_notices(db: Database, now: datetime, tz: ZoneInfo) -> int:
    envelopes = []
    for reader, event, tech in await news.notices_due(db, now):
        if event is not None:
            message, key = new_event_message(event, tz), f"notice:event:{event.id}"
        elif tech is not None:
            message, key = new_technology_message(tech), f"notice:tech:{tech.id}"
        else:  # pragma: no cover - notices_due always gives one of the two
            continue
        envelopes.append(Envelope("notice", reader.channel, reader.chat_id,
                                  outgoing_to_dict(message), user_id=reader.user_id,
                                  dedupe_key=f"{key}:{reader.user_id}"))
    return await outbox.post(db, envelopes) if envelopes else 0


def digest_week(now: datetime, tz: ZoneInfo, weekday: int, hour: int) -> str | None:
    """The ISO week whose digest is due at `now` (local), or None before the digest hour."""
    local = now.astimezone(tz)
    if local.weekday() != weekday or local.hour < hour:
        return None
    year, week, _ = local.isocalendar()
    return f"{year}-W{week:02d}"


async def queue_digests(db: Database, now: datetime, tz: ZoneInfo, settings: Settings) -> int:
    week = digest_week(now, tz, settings.digest_weekday, settings.digest_hour)
    if week is None:
        return 0
    envelopes = [
        Envelope("digest", reader.channel, reader.chat_id,
                 outgoing_to_dict(digest_message(techs, events, tz)), user_id=reader.user_id,
                 dedupe_key=f"digest:{week}:{reader.user_id}")
        for reader, techs, events in await news.digests_due(db, now)
    ]
    return await outbox.post(db, envelopes) if envelopes else 0


async def queue_handoff_notices(db: Database, now: datetime, tz: ZoneInfo,
                                settings: Settings) -> int:
    """Handoffs whose staff member was removed go back to the queue, those whose user blocked
    the bot end (staff told), and users nobody answered within KETNOI_HANDOFF_WAIT are told when
    someone will. Each is a conditional update, so a second run tells nobody twice."""
    texts = Texts(tz)
    requeued = await handoff_relay.requeue_orphans(db, texts)
    ended = await handoff_relay.close_unreachable(db, texts)
    told = await handoff_relay.tell_waiting(
        db, now, now - timedelta(seconds=settings.handoff_wait), texts)
    return requeued + ended + told


async def run_jobs(db: Database, settings: Settings, now: datetime | None = None) -> JobReport:
    """Run every job once at `now` (tests pass a fixed clock)."""
    now = now or datetime.now(UTC)
    tz = ZoneInfo(settings.timezone)
    purged = await privacy.purge_older_than(db, now - timedelta(days=settings.message_log_days))
    return JobReport(reminders=await queue_reminders(db, now, tz),
                     notices=await queue_notices(db, now, tz),
                     digests=await queue_digests(db, now, tz, settings),
                     handoffs=await queue_handoff_notices(db, now, tz, settings),
                     purged=purged.messages)


async def run_jobs_forever(db: Database, settings: Settings, stop: asyncio.Event) -> None:
    while not stop.is_set():
        try:
            report = await run_jobs(db, settings)
            if report.reminders or report.notices or report.digests or report.handoffs:
                log.info("queued %d reminder(s), %d notice(s), %d digest(s), %d handoff "
                         "notice(s)", report.reminders, report.notices, report.digests,
                         report.handoffs)
        except Exception:  # one bad run must not stop the next ones
            log.exception("scheduled jobs failed; trying again in %.0f s",
                          settings.jobs_interval)
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(stop.wait(), settings.jobs_interval)
