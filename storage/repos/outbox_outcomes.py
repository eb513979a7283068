"""Outcomes of the outbox's claimed rows: what the sender records before and after each request.

`record(db, owner, outcomes)` applies several in one transaction (the sender's group commit):
"sending" (an attempt about to start: refused when the row is no longer the owner's, so a row
cancelled or unsubscribed since the claim is not sent), "part" (one part of a long message
arrived), and sent / failed / skipped / blocked / retry. Except "sent", an outcome counts only
while the owner still holds the row.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import and_, or_, select, update
from sqlalchemy.ext.asyncio import AsyncConnection

from storage.db import Database
from storage.models import OutboxMessage, User
from storage.sqltypes import utcnow

HELD = ("claimed", "sending")


def _mine(row_id: int, owner: str) -> Any:
    # Two comparisons, not IN: an expanding IN is compiled again for every statement.
    return and_(OutboxMessage.id == row_id,
                or_(OutboxMessage.status == HELD[0], OutboxMessage.status == HELD[1]),
                OutboxMessage.lease_owner == owner)


@dataclass(frozen=True, slots=True)
class Outcome:
    """What became of one claimed row: sent | failed | skipped | retry | blocked, or an attempt
    about to start ("sending") or a part of a long message that arrived ("part")."""

    row_id: int
    status: str
    message_id: str | None = None
    reason: str | None = None
    not_before: datetime | None = None  # retry: when to try again
    count_attempt: bool = True  # retry: False when the row was only put off (chat pacing)
    channel: str = ""  # blocked: whose other messages to skip
    recipient: str = ""
    parts_sent: int = 0  # part: how many parts have arrived now


_RELEASED = {"lease_owner": None, "lease_expires_at": None}


async def _apply(session: AsyncConnection, owner: str, o: Outcome, now: datetime) -> bool:
    if o.status == "sent":
        # The truth wins: a row cancelled, skipped or reclaimed while its message was in flight
        # is recorded as sent too, so nobody sends it again.
        where: Any = and_(OutboxMessage.id == o.row_id, OutboxMessage.status != "sent")
        # The reason of a sent row says how it went when not as usual ("promotion").
        values: dict[str, Any] = {"status": "sent", "message_id": o.message_id, "sent_at": now,
                                  "reason": o.reason}
        if o.parts_sent:
            values["parts_sent"] = o.parts_sent
    elif o.status == "sending":
        where, values = _mine(o.row_id, owner), {"status": "sending"}
        result = await session.execute(update(OutboxMessage).where(where).values(**values)
                                       .execution_options(synchronize_session=False))
        return bool(result.rowcount)
    elif o.status == "part":
        # The next part waits for the chat's pacing like any message; the claim is given back.
        where, values = _mine(o.row_id, owner), {"status": "pending", "parts_sent": o.parts_sent,
                                                  "message_id": o.message_id,
                                                  "not_before": o.not_before or now,
                                                  "attempts": 0, "reason": None}
    elif o.status == "retry":
        where, values = _mine(o.row_id, owner), {"status": "pending", "reason": o.reason,
                                                  "not_before": o.not_before or now}
        if not o.count_attempt:
            values["attempts"] = OutboxMessage.attempts - 1
    else:
        where = _mine(o.row_id, owner)
        values = {"status": "failed" if o.status in ("failed", "blocked") else "skipped",
                  "reason": ("blocked" if o.status == "blocked" else o.reason or o.status)[:300]}
    result = await session.execute(update(OutboxMessage).where(where)
                                   .values(**values, **_RELEASED)
                                   .execution_options(synchronize_session=False))
    if o.status == "blocked":
        await _blocked(session, o.channel, o.recipient, now)
    return bool(result.rowcount)


async def _blocked(session: AsyncConnection, channel: str, recipient: str,
                   now: datetime) -> None:
    """The recipient blocked the bot: skip their other messages, mark the user inactive (no
    news until they write again)."""
    await session.execute(
        update(OutboxMessage)
        .where(OutboxMessage.channel == channel, OutboxMessage.recipient == recipient,
               OutboxMessage.status.in_(("pending", "claimed")))
        .values(status="skipped", reason="blocked", **_RELEASED)
        .execution_options(synchronize_session=False))
    await session.execute(
        update(User).where(User.channel == channel, User.external_id == recipient)
        .values(active=False, updated_at=now).execution_options(synchronize_session=False))


async def record(db: Database, owner: str, outcomes: Sequence[Outcome]) -> list[bool]:
    """Record several outcomes in one transaction (the sender's group commit). Except "sent",
    an outcome counts only while `owner` still holds the row; each flag says if it counted."""
    now = utcnow()
    async with db.transaction() as s:
        # Plain statements on the session's connection: the ORM adds nothing to these UPDATEs
        # but CPU, and the sender runs one such transaction per message.
        connection = await s.connection()
        return [await _apply(connection, owner, o, now) for o in outcomes]


async def mark_sent(db: Database, row_id: int, owner: str, message_id: str | None = None) -> bool:
    return (await record(db, owner, [Outcome(row_id, "sent", message_id)]))[0]


async def mark_failed(db: Database, row_id: int, owner: str, reason: str) -> bool:
    return (await record(db, owner, [Outcome(row_id, "failed", reason=reason)]))[0]


async def mark_skipped(db: Database, row_id: int, owner: str, reason: str) -> bool:
    return (await record(db, owner, [Outcome(row_id, "skipped", reason=reason)]))[0]


async def retry_later(db: Database, row_id: int, owner: str, not_before: datetime,
                      reason: str | None = None, *, count_attempt: bool = True) -> bool:
    """Back to pending until `not_before` (rate limited, network trouble, chat pacing)."""
    return (await record(db, owner, [Outcome(row_id, "retry", reason=reason,
                                             not_before=not_before,
                                             count_attempt=count_attempt)]))[0]


async def mark_blocked(db: Database, row_id: int, owner: str, channel: str,
                       recipient: str) -> bool:
    return (await record(db, owner, [Outcome(row_id, "blocked", channel=channel,
                                             recipient=recipient)]))[0]


async def sent_with_reason_since(db: Database, channel: str, recipient: str, reason: str,
                                 since: datetime) -> bool:
    """Whether a message went to `recipient` with this reason since then (a promotion today)."""
    stmt = (select(OutboxMessage.id)
            .where(OutboxMessage.channel == channel, OutboxMessage.recipient == recipient,
                   OutboxMessage.status == "sent", OutboxMessage.reason == reason,
                   OutboxMessage.sent_at >= since).limit(1))
    async with db.session() as s:
        return (await s.execute(stmt)).first() is not None


async def no_longer_mine(db: Database, row_ids: Sequence[int], owner: str) -> set[int]:
    """Which of these rows this owner no longer holds (cancelled, unsubscribed, reclaimed)."""
    if not row_ids:
        return set()
    stmt = select(OutboxMessage.id).where(OutboxMessage.id.in_(row_ids),
                                          OutboxMessage.status.in_(HELD),
                                          OutboxMessage.lease_owner == owner)
    async with db.session() as s:
        held = set((await s.execute(stmt)).scalars())
    return set(row_ids) - held
