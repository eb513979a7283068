"""The outbox sender's settings and rules (`bot.worker`): how fast a bot token may send, how
long its leases last, and what one send's result means for its row (the next part, sent, blocked,
retried later or given up) as the `Outcome` the group commit records."""

from __future__ import annotations

import os
import socket
from dataclasses import dataclass
from datetime import datetime, timedelta

from bot.types import SendResult
from storage.repos.outbox import Claimed, Outcome


@dataclass(frozen=True, slots=True)
class Pacing:
    """How fast one bot token may send (Telegram: ~30/s overall, ~1/s to one chat)."""

    rate: float = 25.0  # messages per second, all chats together
    chat_interval: float = 1.0  # seconds between two messages to one chat
    max_attempts: int = 8  # a message still refused after this many tries is reported failed
    backoff: float = 2.0  # seconds before retrying a network error (doubles, up to 5 minutes)
    # No more than `rate` requests in any second plus this margin, counted from when each one's
    # answer came back (the platform counted it before answering, so jitter cannot squeeze two
    # seconds' worth into one: a 429 costs a full second's pause).
    window_margin: float = 0.005


@dataclass(frozen=True, slots=True)
class Leases:
    row_seconds: float = 60.0  # a claimed row returns to pending this long after its sender died
    sender_seconds: float = 10.0  # a standby takes over this long after the active sender died
    batch: int = 50
    idle_poll: float = 0.5  # seconds between looks at an empty outbox
    # An outcome waits this long for the next attempt, so one commit carries both; a crash in
    # between leaves that message "unknown" (reported), never sent twice.
    outcome_hold: float = 0.05


def process_id() -> str:
    return f"{socket.gethostname()}:{os.getpid()}:{id(object()) & 0xFFFF:x}"


@dataclass
class Stats:
    sent: int = 0
    failed: int = 0
    blocked: int = 0
    retried: int = 0
    rate_limited: int = 0  # answers asking to slow down (429)
    takeovers: int = 0


def outcome_of(row: Claimed, result: SendResult, done: int, parts: int, *, channel: str,
               pacing: Pacing, now: datetime, stats: Stats) -> Outcome:
    """What `result` (of part `done` of `parts`) makes of the row; counted in `stats`."""
    if result.status == "sent" and done < parts:
        # The next part is a new message to the same chat: it waits for the chat's pacing.
        return Outcome(row.id, "part", result.message_id, parts_sent=done,
                       not_before=now + timedelta(seconds=pacing.chat_interval))
    if result.status == "sent":
        stats.sent += 1
        return Outcome(row.id, "sent", result.message_id, reason=result.reason,
                       parts_sent=done if parts > 1 else 0)
    if result.status == "blocked":
        stats.blocked += 1
        return Outcome(row.id, "blocked", channel=channel, recipient=row.recipient)
    if result.status == "retry":
        return _retry(row, result, pacing, now, stats)
    stats.failed += 1
    return Outcome(row.id, "failed", reason=result.reason or "failed")


def _retry(row: Claimed, result: SendResult, pacing: Pacing, now: datetime,
           stats: Stats) -> Outcome:
    if result.later is not None:  # this message waits (the recipient's hours or quota)
        return Outcome(row.id, "retry", reason=result.reason,
                       not_before=now + timedelta(seconds=result.later), count_attempt=False)
    if result.retry_after is not None:
        stats.rate_limited += 1
    if row.attempts >= pacing.max_attempts:
        stats.failed += 1
        return Outcome(row.id, "failed",
                       reason=f"gave up after {row.attempts} attempts: {result.reason}")
    stats.retried += 1
    delay = (result.retry_after if result.retry_after is not None
             else min(300.0, pacing.backoff * 2 ** (row.attempts - 1)))
    return Outcome(row.id, "retry", reason=result.reason,
                   not_before=now + timedelta(seconds=delay))
