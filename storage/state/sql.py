"""`StateStore` on storage's `conversation_states` table (one row per channel and chat).

Per message the app calls `begin_turn` (record the update id for exactly-once handling, read
the state, from a cache when possible) and `end_turn` (write the state and the message log;
concurrent calls share one transaction). Statements are write-first (INSERT ... ON CONFLICT) so
concurrent SQLite writers wait for the lock instead of failing on a read→write upgrade (see also
the writer lock of `storage.db.Database`).
"""

from __future__ import annotations

import asyncio
import json
from collections import OrderedDict
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Table, bindparam, delete, insert, or_, select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncSession

from storage.db import Database, Unit
from storage.models import (
    ConversationState,
    InboxUpdate,
    MessageLog,
    OutboxMessage,
    ProcessedUpdate,
)
from storage.repos import outbox
from storage.sqltypes import utcnow
from storage.state.base import (
    MAX_LOGGED_TEXT,
    DialogueState,
    LogLine,
    QueuedReply,
    StateStore,
    TurnBody,
    TurnOutcome,
    TurnResult,
)

# The per-message statements, written once: this store executes them through SQLAlchemy, and
# `storage.state.sqlite` runs the same statements compiled for plain sqlite3.
STATE_COLUMNS = ("channel", "chat_id", "handler", "step", "slots", "updated_at")
LOG_COLUMNS = ("channel", "chat_id", "user_id", "direction", "text", "intent", "confidence",
               "created_at")
UPDATE_COLUMNS = ("channel", "update_id", "processed_at")
_KEY = (ConversationState.channel == bindparam("channel"),
        ConversationState.chat_id == bindparam("chat_id"))
READ_STATE = select(ConversationState.slots).where(*_KEY)
DELETE_STATE = delete(ConversationState).where(*_KEY)
LOG_LINES = insert(MessageLog)
WAS_PROCESSED = select(ProcessedUpdate.id).where(ProcessedUpdate.channel == bindparam("channel"),
                                                 ProcessedUpdate.update_id == bindparam("update_id"))
INBOX_DONE = (update(InboxUpdate)
              .where(InboxUpdate.channel == bindparam("in_channel"),
                     InboxUpdate.update_id == bindparam("in_update"), InboxUpdate.status == "new")
              .values(status="done"))
UNSENT_REPLIES = (select(OutboxMessage.id, OutboxMessage.payload)
                  .where(OutboxMessage.channel == bindparam("channel"),
                         OutboxMessage.update_id == bindparam("update_id"),
                         OutboxMessage.kind == "reply",
                         or_(OutboxMessage.status == "pending",
                             OutboxMessage.status == "claimed"))
                  .order_by(OutboxMessage.id))


# As `outbox.record` records "sent": the truth wins over a cancel or a reclaim in flight.
_OUTBOX: Table = OutboxMessage.__table__  # type: ignore[assignment]
MARK_SENT = (update(_OUTBOX)
             .where(_OUTBOX.c.id == bindparam("row_id"), _OUTBOX.c.status != "sent")
             .values(status="sent", message_id=bindparam("sent_message_id"),
                     sent_at=bindparam("now"), reason=None, lease_owner=None,
                     lease_expires_at=None))


class AlreadyProcessed(Exception):
    """Another turn committed this update first: this one rolls back."""


def upsert_state(dialect_insert: Any) -> Any:
    """INSERT ... ON CONFLICT (channel, chat_id) DO UPDATE, for the dialect's `insert`."""
    stmt = dialect_insert(ConversationState)
    return stmt.on_conflict_do_update(
        index_elements=["channel", "chat_id"],
        set_={c: stmt.excluded[c] for c in STATE_COLUMNS[2:]})


def record_update(dialect_insert: Any) -> Any:
    """Record a processed update id; inserts nothing when it was already recorded."""
    return dialect_insert(ProcessedUpdate).on_conflict_do_nothing(
        index_elements=["channel", "update_id"])


class SqlStateStore(StateStore):
    """States in the database, with a read cache and group commit.

    The cache assumes one process serves a channel (as the Telegram and console runners do);
    every change is still written before `end_turn` returns, so a restart loses nothing.
    Concurrent `end_turn` calls are written together in one transaction (group commit).
    """

    def __init__(self, db: Database, *, cache_size: int = 10_000) -> None:
        super().__init__()
        self.db = db
        self._insert: Any = postgresql.insert if db.dialect == "postgresql" else sqlite.insert
        self._cache: OrderedDict[tuple[str, str], dict[str, Any] | None] = OrderedDict()
        self._cache_size = cache_size
        self._pending: list[_Write] = []
        self._flusher: asyncio.Task[None] | None = None

    async def load(self, channel: str, chat_id: str) -> DialogueState:
        key = (channel, chat_id)
        if key in self._cache:
            self._cache.move_to_end(key)
            return DialogueState.from_json(_copy(self._cache[key]))
        async with self.db.session() as s:
            raw = await self._read(s, channel, chat_id)
        self._remember(key, raw)
        return DialogueState.from_json(_copy(raw))

    def _remember(self, key: tuple[str, str], raw: dict[str, Any] | None) -> None:
        if self._cache_size <= 0:  # no cache: several processes share the chats
            return
        self._cache[key] = raw
        self._cache.move_to_end(key)
        while len(self._cache) > self._cache_size:
            self._cache.popitem(last=False)

    async def save(self, channel: str, chat_id: str, state: DialogueState) -> None:
        await self.end_turn(channel, chat_id, state, [])

    async def begin_turn(
        self, channel: str, chat_id: str, update_id: str | None
    ) -> DialogueState | None:
        """The chat's state; None when `update_id` was already processed (a re-delivery)."""
        if update_id is not None:
            async with self.db.transaction() as s:
                stmt = record_update(self._insert).values(
                    channel=channel, update_id=str(update_id), processed_at=utcnow())
                if (await s.execute(stmt)).rowcount == 0:  # type: ignore[attr-defined]
                    return None
        return await self.load(channel, chat_id)

    async def run_turn(self, channel: str, chat_id: str, update_id: str | None,
                       body: TurnBody, sender: str | None = None) -> TurnResult:
        """The body's effects, the update marked processed (and done in the inbox), the state,
        the log and the replies (outbox rows) commit in one transaction, or none of them."""
        done, state = await self._start(channel, chat_id, update_id, sender)
        if done:
            assert update_id is not None
            return TurnResult(duplicate=True, unsent=await self.unsent(channel, update_id))
        try:
            async with self.db.unit() as unit:
                outcome = await body(state)
                if outcome.failed:
                    await unit.rollback()
                queued = await self.commit_turn(unit, channel, chat_id, update_id, outcome)
        except AlreadyProcessed:
            assert update_id is not None
            return TurnResult(duplicate=True, unsent=await self.unsent(channel, update_id))
        self._remember_outcome(channel, chat_id, outcome)
        return TurnResult(duplicate=False, outcome=outcome, queued=queued)

    async def _start(self, channel: str, chat_id: str, update_id: str | None,
                     sender: str | None = None) -> tuple[bool, DialogueState]:
        """Whether the update was processed already, and the chat's state: one connection.
        (`sender`: a store that reads the sender's user here too, see `sender_at_start`.)"""
        key = (channel, chat_id)
        if key in self._cache and update_id is None:
            return False, await self.load(channel, chat_id)
        async with self.db.session() as s:
            if update_id is not None:
                found = await s.execute(WAS_PROCESSED, {"channel": channel,
                                                        "update_id": update_id})
                if found.first() is not None:
                    return True, DialogueState()
            if key in self._cache:
                return False, await self.load(channel, chat_id)
            raw = await self._read(s, channel, chat_id)
        self._remember(key, raw)
        return False, DialogueState.from_json(_copy(raw))

    def _remember_outcome(self, channel: str, chat_id: str, outcome: TurnOutcome) -> None:
        if outcome.state is not None and self._cache_size > 0:
            raw = None if outcome.state.is_empty else outcome.state.to_json()
            self._remember((channel, chat_id), _copy(raw))

    async def commit_turn(self, unit: Unit, channel: str, chat_id: str, update_id: str | None,
                          outcome: TurnOutcome) -> list[QueuedReply]:
        """Write the turn's bookkeeping in the unit's transaction (opened if need be)."""
        s = await unit.open()
        if update_id is not None:
            stmt = record_update(self._insert).values(
                channel=channel, update_id=update_id, processed_at=utcnow())
            if (await s.execute(stmt)).rowcount == 0:  # type: ignore[attr-defined]
                raise AlreadyProcessed(update_id)
            await s.execute(INBOX_DONE, {"in_channel": channel, "in_update": update_id})
        batch = [_Write((channel, chat_id), outcome.state is not None,
                        None if outcome.state is None or outcome.state.is_empty
                        else outcome.state.to_json(), outcome.log, None)]
        await self._write_batch(s, batch)
        if not outcome.replies:
            return []
        rows = outbox.reply_rows(channel, chat_id, update_id, outcome.user_id, outcome.replies)
        ids = (await s.execute(insert(OutboxMessage).returning(
            OutboxMessage.id, sort_by_parameter_order=True), rows)).scalars().all()
        return [QueuedReply(i, r["payload"]) for i, r in zip(ids, rows, strict=True)]

    async def was_processed(self, channel: str, update_id: str) -> bool:
        async with self.db.session() as s:
            found = await s.execute(WAS_PROCESSED, {"channel": channel, "update_id": update_id})
            return found.first() is not None

    async def unsent(self, channel: str, update_id: str) -> list[QueuedReply]:
        """The replies of a handled update that are not recorded as sent."""
        async with self.db.session() as s:
            rows = await s.execute(UNSENT_REPLIES, {"channel": channel, "update_id": update_id})
            return [QueuedReply(row.id, row.payload) for row in rows]

    async def mark_sent(self, sent: list[tuple[int, str | None]]) -> None:
        """All of a turn's replies in one statement (one round trip however many replies)."""
        if sent:
            now = utcnow()
            async with self.db.transaction() as s:
                await s.execute(MARK_SENT, [{"row_id": row_id, "sent_message_id": message_id,
                                             "now": now} for row_id, message_id in sent])

    async def end_turn(
        self, channel: str, chat_id: str, state: DialogueState | None, log: list[LogLine]
    ) -> None:
        """Write the state (None: leave it as it was) and the log lines; returns once committed."""
        key = (channel, chat_id)
        raw = None if state is None or state.is_empty else state.to_json()
        if state is not None:
            self._remember(key, _copy(raw))
        done = asyncio.get_running_loop().create_future()
        self._pending.append(_Write(key, state is not None, raw, log, done))
        if self._flusher is None or self._flusher.done():
            self._flusher = asyncio.create_task(self._flush())
        await done

    async def _flush(self) -> None:
        while self._pending:
            batch, self._pending = self._pending, []
            try:
                async with self.db.transaction() as s:
                    await self._write_batch(s, batch)
            except Exception as exc:
                for w in batch:
                    self._cache.pop(w.key, None)  # the database is the truth again
                    if w.done is not None and not w.done.done():
                        w.done.set_exception(exc)
                continue
            for w in batch:
                if w.done is not None and not w.done.done():
                    w.done.set_result(None)

    async def _write_batch(self, s: AsyncSession, batch: list[_Write]) -> None:
        latest: dict[tuple[str, str], _Write] = {w.key: w for w in batch if w.has_state}
        upserts = [{"channel": k[0], "chat_id": k[1], "handler": w.raw.get("form"),
                    "step": w.raw.get("awaiting"), "slots": w.raw, "updated_at": utcnow()}
                   for k, w in latest.items() if w.raw is not None]
        for key, w in latest.items():
            if w.raw is None:
                await s.execute(DELETE_STATE, {"channel": key[0], "chat_id": key[1]})
        if upserts:
            await s.execute(upsert_state(self._insert), upserts)
        now = utcnow()
        rows = [{"channel": w.key[0], "chat_id": w.key[1], "user_id": line.user_id,
                 "direction": line.direction, "text": (line.text or "")[:MAX_LOGGED_TEXT],
                 "intent": line.intent, "confidence": line.confidence, "created_at": now}
                for w in batch for line in w.log]
        if rows:
            await s.execute(LOG_LINES, rows)

    async def close(self) -> None:
        """Wait for writes in flight."""
        if self._flusher is not None:
            await asyncio.gather(self._flusher, return_exceptions=True)

    @staticmethod
    async def _read(s: AsyncSession, channel: str, chat_id: str) -> dict[str, Any] | None:
        return (await s.execute(READ_STATE, {"channel": channel, "chat_id": chat_id})
                ).scalar_one_or_none()


def _copy(raw: dict[str, Any] | None) -> dict[str, Any] | None:
    """A deep copy of JSON data (faster than copy.deepcopy for these small dicts)."""
    return None if raw is None else json.loads(json.dumps(raw))


@dataclass(slots=True)
class _Write:
    key: tuple[str, str]
    has_state: bool  # False: only log lines (the state is left as it was)
    raw: dict[str, Any] | None  # the state as JSON; None deletes the row
    log: list[LogLine]
    done: asyncio.Future[None] | None
