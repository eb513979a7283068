"""The outbox: every outgoing message (replies, staff alerts, reminders, digests, broadcasts).

Writers add rows with `enqueue(session, ...)` inside their own transaction (a broadcast and its
rows, a turn's effects and its replies commit together) or with `post(db, ...)`. A sender claims
due rows of one channel in priority order (`claim`: `FOR UPDATE SKIP LOCKED` on PostgreSQL; on
SQLite the single UPDATE ... RETURNING is atomic, one writer at a time), sends them, and records
each outcome (`mark_sent` / `mark_failed` / `mark_skipped` / `retry_later`), only while it still
holds the row's lease. A claim whose lease expired goes back to pending (`reclaim_expired`).

Before each request the sender commits an attempt (status "sending", `Outcome(..., "sending")`),
and its outcome right after. A row found "sending" after its sender died was interrupted during
the request: nobody can tell whether it arrived (the chat platforms have no idempotency key), so
news becomes "unknown" (reported, never sent twice) and a reply goes back to pending (a user
waiting for an answer gets it at least once). A long message goes in parts: `parts_sent` counts
those that arrived, and a resumed send starts at the next one.
`storage.repos.sender_leases` keeps one active sender per bot token; outcomes are applied by
`storage.repos.outbox_outcomes` (its names are importable from here too).

Replies (kind "reply", first in line): the core enqueues them in the transaction of the turn
that produced them with `not_before` a few seconds ahead, sends them at once after the commit
and records `mark_sent` (which needs no claim); only replies whose immediate send failed are
left for the sender, after that grace.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import and_, case, func, insert, or_, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from storage.db import Database
from storage.models import OutboxMessage
from storage.repos.outbox_outcomes import (  # noqa: F401  (this module's names, as before)
    HELD,
    Outcome,
    mark_blocked,
    mark_failed,
    mark_sent,
    mark_skipped,
    no_longer_mine,
    record,
    retry_later,
    sent_with_reason_since,
)
from storage.sqltypes import utcnow

# Lower goes first: a user waiting for an answer before staff, staff before bulk news.
# "update": the enterprise told that staff moved their demand on (not news: never unsubscribed).
PRIORITY = {"reply": 0, "staff_alert": 10, "handoff": 10, "update": 20, "reminder": 30,
            "notice": 40, "digest": 50, "broadcast": 60}
# What a subscriber stops at once with /huynhantin (replies and staff relays are not news).
NEWS_KINDS = ("broadcast", "notice", "digest", "reminder")
INSERT_CHUNK = 1000
# Replies are sent at once by the process that handled the update; the worker sends only those
# still pending after this grace (that process died, or the immediate send failed).
REPLY_GRACE = timedelta(seconds=30)


@dataclass(frozen=True, slots=True)
class Envelope:
    """A message to queue: `payload` is a serialised `bot.types.Outgoing`."""

    kind: str
    channel: str
    recipient: str
    payload: dict[str, Any]
    user_id: int | None = None
    not_before: datetime | None = None
    broadcast_id: int | None = None
    dedupe_key: str | None = None  # a job that runs twice enqueues once
    priority: int | None = None


@dataclass(frozen=True, slots=True)
class QueuedReply:
    """A reply in the outbox: its row id and serialised `Outgoing`."""

    id: int
    payload: dict[str, Any]


@dataclass(frozen=True, slots=True)
class Claimed:
    id: int
    kind: str
    channel: str
    recipient: str
    payload: dict[str, Any]
    attempts: int
    user_id: int | None
    broadcast_id: int | None
    parts_sent: int = 0


@dataclass(slots=True)
class Counts:
    """Rows of one broadcast (or of everything) by status, and failures/skips by reason."""

    sent: int = 0
    pending: int = 0  # pending or claimed
    failed: dict[str, int] = field(default_factory=dict)
    skipped: dict[str, int] = field(default_factory=dict)
    unknown: int = 0  # the sender died during the request: may or may not have arrived

    @property
    def total(self) -> int:
        return (self.sent + self.pending + self.unknown + sum(self.failed.values())
                + sum(self.skipped.values()))


def _row(env: Envelope, now: datetime) -> dict[str, Any]:
    return {"kind": env.kind, "priority": PRIORITY.get(env.kind, 100) if env.priority is None
            else env.priority, "channel": env.channel, "recipient": str(env.recipient),
            "user_id": env.user_id, "payload": env.payload, "status": "pending", "attempts": 0,
            "parts_sent": 0,
            "not_before": env.not_before or now, "broadcast_id": env.broadcast_id,
            "dedupe_key": env.dedupe_key, "created_at": now}


def reply_rows(channel: str, chat_id: str, update_id: str | None, user_id: int | None,
               payloads: Sequence[dict[str, Any]]) -> list[dict[str, Any]]:
    """Outbox rows for a turn's replies (kind "reply", first in line), in order."""
    now = utcnow()
    return [{**_row(Envelope("reply", channel, chat_id, payload, user_id=user_id,
                             not_before=now + REPLY_GRACE), now), "update_id": update_id}
            for payload in payloads]


async def enqueue(session: AsyncSession, envelopes: Iterable[Envelope]) -> int:
    """Add rows in the caller's transaction (bulk insert); returns how many were added.

    Rows with a `dedupe_key` already queued are left out, so jobs are idempotent.
    """
    now = utcnow()
    rows = [_row(env, now) for env in envelopes]
    keys = [r["dedupe_key"] for r in rows if r["dedupe_key"]]
    if keys:
        known: set[str] = set()
        for start in range(0, len(keys), 500):
            stmt = select(OutboxMessage.dedupe_key).where(
                OutboxMessage.dedupe_key.in_(keys[start:start + 500]))
            known.update(k for k in (await session.execute(stmt)).scalars() if k)
        seen: set[str] = set()
        kept = []
        for r in rows:
            key = r["dedupe_key"]
            if key and (key in known or key in seen):
                continue
            if key:
                seen.add(key)
            kept.append(r)
        rows = kept
    for start in range(0, len(rows), INSERT_CHUNK):
        await session.execute(insert(OutboxMessage), rows[start:start + INSERT_CHUNK])
    return len(rows)


async def post(db: Database, envelopes: Iterable[Envelope]) -> int:
    """`enqueue` in a transaction of its own; a concurrent duplicate `dedupe_key` adds nothing."""
    try:
        async with db.transaction() as s:
            return await enqueue(s, envelopes)
    except IntegrityError:
        return 0


def _claimed(row: Any) -> Claimed:
    return Claimed(row.id, row.kind, row.channel, row.recipient, row.payload, row.attempts,
                   row.user_id, row.broadcast_id, row.parts_sent)


async def claim(
    db: Database, channel: str, owner: str, *, limit: int = 50, lease_seconds: float = 60.0,
    now: datetime | None = None,
) -> list[Claimed]:
    """Take up to `limit` due rows of `channel`, highest priority first, leased to `owner`."""
    now = now or utcnow()
    due = (select(OutboxMessage.id)
           .where(OutboxMessage.status == "pending", OutboxMessage.channel == channel,
                  OutboxMessage.not_before <= now)
           .order_by(OutboxMessage.priority, OutboxMessage.id).limit(limit)
           .with_for_update(skip_locked=True))
    stmt = (update(OutboxMessage).where(OutboxMessage.id.in_(due.scalar_subquery()))
            .values(status="claimed", lease_owner=owner,
                    lease_expires_at=now + timedelta(seconds=lease_seconds),
                    attempts=OutboxMessage.attempts + 1)
            .returning(OutboxMessage.id, OutboxMessage.kind, OutboxMessage.channel,
                       OutboxMessage.recipient, OutboxMessage.payload, OutboxMessage.attempts,
                       OutboxMessage.user_id, OutboxMessage.broadcast_id,
                       OutboxMessage.parts_sent)
            .execution_options(synchronize_session=False))
    async with db.transaction() as s:
        rows = (await s.execute(stmt)).all()
    return sorted((_claimed(r) for r in rows), key=lambda c: c.id)


async def reclaim_expired(db: Database, channel: str | None = None, *,
                          now: datetime | None = None, owner: str | None = None) -> int:
    """Claims whose lease ran out go back to pending (their sender died); returns how many.

    `owner`: also every claim of that owner, whatever its lease (used by a sender that just took
    the token over from it, so the dead sender's rows are resumed at once).
    """
    now = now or utcnow()
    condition = OutboxMessage.lease_expires_at < now
    if owner is not None:
        condition = or_(condition, OutboxMessage.lease_owner == owner)
    if channel is not None:
        condition = and_(condition, OutboxMessage.channel == channel)
    resume = or_(OutboxMessage.status == "claimed",
                 and_(OutboxMessage.status == "sending", OutboxMessage.kind == "reply"))
    unknown = and_(OutboxMessage.status == "sending", OutboxMessage.kind != "reply")
    async with db.transaction() as s:
        resumed = await s.execute(
            update(OutboxMessage).where(resume, condition)
            .values(status="pending", lease_owner=None, lease_expires_at=None,
                    reason="resumed after an interrupted sender")
            .execution_options(synchronize_session=False))
        lost = await s.execute(
            update(OutboxMessage).where(unknown, condition)
            .values(status="unknown", lease_owner=None, lease_expires_at=None,
                    reason="the sender stopped during the request")
            .execution_options(synchronize_session=False))
        return int(resumed.rowcount or 0) + int(lost.rowcount or 0)  # type: ignore[attr-defined]


async def skip_pending(session: AsyncSession, *, reason: str, user_id: int | None = None,
                       broadcast_id: int | None = None,
                       kinds: Sequence[str] | None = None) -> int:
    """Skip what is not sent yet (pending, or claimed but not sent) for a user or a broadcast."""
    stmt = update(OutboxMessage).where(OutboxMessage.status.in_(("pending", "claimed")))
    if user_id is not None:
        stmt = stmt.where(OutboxMessage.user_id == user_id)
    if broadcast_id is not None:
        stmt = stmt.where(OutboxMessage.broadcast_id == broadcast_id)
    if kinds is not None:
        stmt = stmt.where(OutboxMessage.kind.in_(kinds))
    stmt = stmt.values(status="skipped", reason=reason, lease_owner=None, lease_expires_at=None)
    result = await session.execute(stmt.execution_options(synchronize_session=False))
    return int(result.rowcount or 0)  # type: ignore[attr-defined]


async def counts(db: Database, broadcast_id: int | None = None) -> Counts:
    stmt = select(OutboxMessage.status, OutboxMessage.reason, func.count()).group_by(
        OutboxMessage.status, OutboxMessage.reason)
    if broadcast_id is not None:
        stmt = stmt.where(OutboxMessage.broadcast_id == broadcast_id)
    out = Counts()
    async with db.session() as s:
        for status, reason, n in (await s.execute(stmt)).all():
            if status == "sent":
                out.sent += n
            elif status in ("pending", "claimed", "sending"):
                out.pending += n
            elif status == "unknown":
                out.unknown += n
            else:
                table = out.failed if status == "failed" else out.skipped
                key = reason or "unknown"
                table[key] = table.get(key, 0) + n
    return out


async def next_due(db: Database, channel: str) -> datetime | None:
    """When the earliest pending row of `channel` becomes due (None: nothing pending)."""
    stmt = select(func.min(OutboxMessage.not_before)).where(
        OutboxMessage.status == "pending", OutboxMessage.channel == channel)
    async with db.session() as s:
        value = (await s.execute(stmt)).scalar_one_or_none()
    if isinstance(value, str):  # min() over a column loses the type decorator on SQLite
        value = datetime.fromisoformat(value)
    if value is not None and value.tzinfo is None:
        from datetime import UTC

        value = value.replace(tzinfo=UTC)
    return value


async def release_claims(db: Database, owner: str) -> int:
    """Put this owner's unsent claims back (a clean stop), so the next sender starts at once."""
    stmt = (update(OutboxMessage)
            .where(OutboxMessage.status == "claimed", OutboxMessage.lease_owner == owner)
            .values(status="pending", lease_owner=None, lease_expires_at=None,
                    attempts=OutboxMessage.attempts - 1)
            .execution_options(synchronize_session=False))
    async with db.transaction() as s:
        return int((await s.execute(stmt)).rowcount or 0)  # type: ignore[attr-defined]


async def forget_user(session: AsyncSession, user_id: int) -> int:
    """Erase a user from the outbox: nothing more goes out to them, and their rows keep only
    the anonymous figures (kind, status, reason) that broadcast reports count."""
    await skip_pending(session, reason="forgotten", user_id=user_id)
    stmt = (update(OutboxMessage).where(OutboxMessage.user_id == user_id)
            .values(recipient="", payload={}, user_id=None, message_id=None)
            .execution_options(synchronize_session=False))
    return int((await session.execute(stmt)).rowcount or 0)  # type: ignore[attr-defined]


async def pending_replies_to(db: Database, channel: str, recipient: str) -> list[QueuedReply]:
    """The recipient's replies still pending, in order."""
    stmt = (select(OutboxMessage.id, OutboxMessage.payload)
            .where(OutboxMessage.status == "pending", OutboxMessage.channel == channel,
                   OutboxMessage.kind == "reply", OutboxMessage.recipient == recipient)
            .order_by(OutboxMessage.id))
    async with db.reading() as s:  # before each update of a chat: one round trip
        return [QueuedReply(row.id, row.payload) for row in await s.execute(stmt)]


async def anonymise(db: Database, row_ids: list[int]) -> None:
    """Keep only the anonymous figures of these rows (the replies of a turn that erased its
    sender, after the attempt to deliver them): no recipient, text or message id; one that
    could not be sent is skipped rather than kept (its text names nobody, its recipient does)."""
    if not row_ids:
        return
    stmt = (update(OutboxMessage).where(OutboxMessage.id.in_(row_ids))
            .values(recipient="", payload={}, user_id=None, message_id=None,
                    status=case((OutboxMessage.status == "sent", "sent"), else_="skipped"))
            .execution_options(synchronize_session=False))
    async with db.transaction() as s:
        await s.execute(stmt)


async def pending_replies(db: Database, channel: str, *, committed_before: datetime | None = None
                          ) -> list[tuple[str, list[QueuedReply]]]:
    """Replies of `channel` still pending, per recipient in order: [(recipient, [QueuedReply])].

    With `committed_before`: only those committed before it and still within `REPLY_GRACE`
    (past it, the outbox sender owns them)."""
    stmt = (select(OutboxMessage.id, OutboxMessage.recipient, OutboxMessage.payload)
            .where(OutboxMessage.status == "pending", OutboxMessage.channel == channel,
                   OutboxMessage.kind == "reply")
            .order_by(OutboxMessage.id))
    if committed_before is not None:
        stmt = stmt.where(OutboxMessage.created_at < committed_before,
                          OutboxMessage.not_before > utcnow())
    per_chat: dict[str, list[QueuedReply]] = {}
    async with db.session() as s:
        for row in await s.execute(stmt):
            per_chat.setdefault(row.recipient, []).append(QueuedReply(row.id, row.payload))
    return list(per_chat.items())


async def sent_among(db: Database, row_ids: Sequence[int]) -> dict[int, str | None]:
    """Which of these rows are recorded as sent: {row id: the channel's message id}."""
    if not row_ids:
        return {}
    stmt = (select(OutboxMessage.id, OutboxMessage.message_id)
            .where(OutboxMessage.id.in_(list(row_ids)), OutboxMessage.status == "sent"))
    async with db.reading() as s:
        return {row.id: row.message_id for row in await s.execute(stmt)}
