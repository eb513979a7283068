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

from sqlalchemy import and_, bindparam, or_, select, update
from sqlalchemy.ext.asyncio import AsyncConnection

from storage.db import Database
from storage.models import OutboxMessage, User
from storage.sqltypes import utcnow

HELD = ("claimed", "sending")


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
# The sender runs one or two of these per message: each is built once with bound parameters, so
# SQLAlchemy finds it compiled instead of building and compiling a new statement every time.
_MINE = and_(OutboxMessage.id == bindparam("p_id"),
             # Two comparisons, not IN: an expanding IN is compiled again for every statement.
             or_(OutboxMessage.status == HELD[0], OutboxMessage.status == HELD[1]),
             OutboxMessage.lease_owner == bindparam("p_owner"))
_PENDING: dict[str, Any] = {"status": "pending", "reason": bindparam("p_reason"),
                            "not_before": bindparam("p_not_before"), **_RELEASED}
_SENT: dict[str, Any] = {"status": "sent", "message_id": bindparam("p_message_id"),
                         "sent_at": bindparam("p_now"), "reason": bindparam("p_reason"),
                         **_RELEASED}


def _update(where: Any, values: dict[str, Any]) -> Any:
    return (update(OutboxMessage).where(where).values(**values)
            .execution_options(synchronize_session=False))


_STATEMENTS = {
    # The truth wins: a row cancelled, skipped or reclaimed while its message was in flight is
    # recorded as sent too, so nobody sends it again. The reason of a sent row says how it went
    # when not as usual ("promotion").
    "sent": _update(and_(OutboxMessage.id == bindparam("p_id"), OutboxMessage.status != "sent"),
                    _SENT),
    "sent in parts": _update(and_(OutboxMessage.id == bindparam("p_id"),
                                  OutboxMessage.status != "sent"),
                             {**_SENT, "parts_sent": bindparam("p_parts_sent")}),
    "sending": _update(_MINE, {"status": "sending"}),
    # The next part waits for the chat's pacing like any message; the claim is given back.
    "part": _update(_MINE, {**_PENDING, "parts_sent": bindparam("p_parts_sent"),
                            "message_id": bindparam("p_message_id"), "attempts": 0}),
    "retry": _update(_MINE, _PENDING),
    "put off": _update(_MINE, {**_PENDING, "attempts": OutboxMessage.attempts - 1}),
    "done": _update(_MINE, {"status": bindparam("p_status"), "reason": bindparam("p_reason"),
                            **_RELEASED}),
}


def _statement(o: Outcome, owner: str, now: datetime) -> tuple[Any, dict[str, Any]]:
    params: dict[str, Any] = {"p_id": o.row_id}
    if o.status == "sent":
        params |= {"p_message_id": o.message_id, "p_now": now, "p_reason": o.reason}
        if not o.parts_sent:
            return _STATEMENTS["sent"], params
        return _STATEMENTS["sent in parts"], params | {"p_parts_sent": o.parts_sent}
    params["p_owner"] = owner
    if o.status == "sending":
        return _STATEMENTS["sending"], params
    if o.status in ("part", "retry"):
        params |= {"p_reason": o.reason if o.status == "retry" else None,
                   "p_not_before": o.not_before or now}
        if o.status == "part":
            return _STATEMENTS["part"], params | {"p_parts_sent": o.parts_sent,
                                                  "p_message_id": o.message_id}
        return _STATEMENTS["retry" if o.count_attempt else "put off"], params
    return _STATEMENTS["done"], params | {
        "p_status": "failed" if o.status in ("failed", "blocked") else "skipped",
        "p_reason": ("blocked" if o.status == "blocked" else o.reason or o.status)[:300]}


async def _apply(session: AsyncConnection, owner: str, o: Outcome, now: datetime) -> bool:
    statement, params = _statement(o, owner, now)
    result = await session.execute(statement, params)
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
