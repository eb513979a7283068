"""`SqlStateStore` on PostgreSQL with the fewest round trips per turn.

A turn used to cost about twenty round trips (BEGIN, each statement, COMMIT or ROLLBACK, for
each of four connections), and every one of them costs CPU in SQLAlchemy and asyncpg and waits
for the server. Here:

- the start of a turn (was the update processed? the chat's state, and the sender's user row
  that handlers ask for in about half the turns) is one statement, outside any transaction;
- the turn's bookkeeping (the update processed, done in the inbox, the state, the log, the
  replies as outbox rows) is one statement of data-modifying CTEs that writes nothing when the
  update was processed meanwhile. In the unit's transaction when the handlers wrote something
  (then BEGIN and COMMIT are theirs too); otherwise that one statement is the whole transaction;
- replies recorded as sent, and the sender's user, are one statement each, in autocommit.

The guarantees are those of `SqlStateStore`: everything a turn writes commits together, once.
"""

from __future__ import annotations

import json
from contextvars import ContextVar
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Row, Table, and_, bindparam, exists, literal, select, text
from sqlalchemy.dialects import postgresql
from sqlalchemy.orm import make_transient_to_detached

from storage.db import Database, Unit
from storage.models import ConversationState, ProcessedUpdate, User
from storage.repos import outbox, users
from storage.sqltypes import utcnow
from storage.state.base import (
    MAX_LOGGED_TEXT,
    DialogueState,
    QueuedReply,
    TurnBody,
    TurnOutcome,
    TurnResult,
)
from storage.state.sql import MARK_SENT, UNSENT_REPLIES, AlreadyProcessed, SqlStateStore

# Was the update processed, and the chat's state: one statement.
START = select(
    exists().where(ProcessedUpdate.channel == bindparam("channel"),
                   ProcessedUpdate.update_id == bindparam("update_id")).label("done"),
    select(ConversationState.slots)
    .where(ConversationState.channel == bindparam("channel"),
           ConversationState.chat_id == bindparam("chat_id"))
    .scalar_subquery().label("slots"))
# The same with the sender's user row (its columns as "user_<name>", all NULL when unknown).
_USERS: Table = User.__table__  # type: ignore[assignment]
_ONE_ROW = select(literal(1).label("one")).subquery("one")
START_WITH_SENDER = (
    select(*START.selected_columns, *(c.label(f"user_{c.key}") for c in _USERS.c))
    .select_from(_ONE_ROW.outerjoin(_USERS, and_(
        _USERS.c.channel == bindparam("channel"), _USERS.c.external_id == bindparam("sender")))))
# A user created on first contact, as `users.get_or_create` does, in one statement (nothing
# returned when another turn created it meanwhile).
NEW_USER = (postgresql.insert(_USERS)
            .values(channel=bindparam("channel"), external_id=bindparam("external_id"),
                    display_name=bindparam("display_name"))
            .on_conflict_do_nothing(index_elements=["channel", "external_id"])
            .returning(*_USERS.c))


@dataclass(slots=True)
class _SenderRead:
    """The sender's user row as the turn's start read it (None: not known yet)."""

    channel: str
    external_id: str
    row: Row[Any] | None
    handed_out: bool = False
    created: bool = False  # the turn created the user it found unknown (once)


# The turn this task runs: what its start read about the sender.
_SENDER_READ: ContextVar[_SenderRead | None] = ContextVar("ketnoi_sender_read", default=None)


def _detached(row: Row[Any], prefix: str = "") -> User:
    """A `User` from a Core row of its columns, as if loaded by a session now closed."""
    user = User(**{c.key: row._mapping[prefix + c.key] for c in _USERS.c})
    make_transient_to_detached(user)
    return user

_FRESH = "EXISTS (SELECT 1 FROM processed)"  # the update was not processed before this turn
_PROCESSED = """processed AS (
    INSERT INTO processed_updates (channel, update_id, processed_at)
    VALUES (:channel, :update_id, CAST(:now AS timestamptz))
    ON CONFLICT (channel, update_id) DO NOTHING RETURNING 1),
inbox_done AS (
    UPDATE inbox SET status = 'done'
    WHERE channel = :channel AND update_id = :update_id AND status = 'new' AND {fresh})"""
_UPSERT_STATE = """state AS (
    INSERT INTO conversation_states (channel, chat_id, handler, step, slots, updated_at)
    SELECT :channel, :chat_id, :handler, :step, CAST(CAST(:slots AS text) AS jsonb),
           CAST(:now AS timestamptz) WHERE {fresh}
    ON CONFLICT (channel, chat_id) DO UPDATE SET handler = excluded.handler,
        step = excluded.step, slots = excluded.slots, updated_at = excluded.updated_at)"""
_DELETE_STATE = """state AS (
    DELETE FROM conversation_states WHERE channel = :channel AND chat_id = :chat_id
    AND {fresh})"""
_LOG = """log AS (
    INSERT INTO message_log (channel, chat_id, user_id, direction, text, intent, confidence,
                             created_at)
    SELECT :channel, :chat_id, l.user_id, l.direction, l.text, l.intent, l.confidence,
           CAST(:now AS timestamptz)
    FROM unnest(CAST(:log_users AS text[]), CAST(:log_directions AS text[]),
                CAST(:log_texts AS text[]), CAST(:log_intents AS text[]),
                CAST(:log_confidences AS float8[]))
         AS l(user_id, direction, text, intent, confidence)
    WHERE {fresh})"""
# The replies' owner when the handlers did not load the sender: found, or created on first
# contact (as `storage.repos.users.get_or_create` does), in the same statement.
_SENDER = """sender AS (
    INSERT INTO users (channel, external_id, display_name, role, active, created_at, updated_at)
    SELECT :channel, CAST(:sender AS text), CAST(:sender_name AS text), CAST(:role AS text),
           TRUE, CAST(:now AS timestamptz), CAST(:now AS timestamptz)
    WHERE {fresh} AND NOT EXISTS (
        SELECT 1 FROM users WHERE channel = :channel AND external_id = CAST(:sender AS text))
    ON CONFLICT (channel, external_id) DO NOTHING RETURNING id)"""
_OWNER = """COALESCE((SELECT id FROM sender),
    (SELECT id FROM users WHERE channel = :channel AND external_id = CAST(:sender AS text)))"""
_REPLIES = """replies AS (
    INSERT INTO outbox (kind, priority, channel, recipient, user_id, payload, status, attempts,
                        parts_sent, not_before, update_id, created_at)
    SELECT 'reply', :priority, :channel, :chat_id, {owner},
           CAST(r.payload AS jsonb), 'pending', 0, 0, CAST(:not_before AS timestamptz),
           :update_id, CAST(:now AS timestamptz)
    FROM unnest(CAST(:payloads AS text[])) WITH ORDINALITY AS r(payload, n)
    WHERE {fresh} ORDER BY r.n
    RETURNING id)"""


def turn_statement(recorded: bool, state: str, logged: bool, replies: bool,
                   sender: bool = False) -> str:
    """The turn's bookkeeping as one statement: `recorded` (an update id to record), `state`
    ("keep", "upsert" or "delete"), `logged` (log lines), `replies` (outbox rows), `sender`
    (their owner found from the sender's account, else the `user_id` given). Returns whether
    the update was fresh and the outbox ids, in the replies' order."""
    fresh = _FRESH if recorded else "TRUE"
    parts = [_PROCESSED] if recorded else []
    parts += [{"upsert": _UPSERT_STATE, "delete": _DELETE_STATE}[state]] if state != "keep" else []
    parts += [_LOG] if logged else []
    parts += [_SENDER] if replies and sender else []
    parts += [_REPLIES] if replies else []
    ids = "ARRAY(SELECT id FROM replies ORDER BY id)" if replies else "CAST(ARRAY[] AS integer[])"
    result = f"SELECT {fresh} AS fresh, {ids} AS ids"
    if not parts:
        return result
    owner = _OWNER if sender else "CAST(:user_id AS integer)"
    return "WITH " + ",\n".join(parts).format(fresh=fresh, owner=owner) + "\n" + result


_ROLE = User.__table__.c.role.default.arg  # a new user's role, as the model says


class PostgresStateStore(SqlStateStore):
    """No per-process cache (several processes share the chats) and few round trips."""

    finds_sender = True

    def __init__(self, db: Database) -> None:
        super().__init__(db, cache_size=0)
        self._statements: dict[tuple[bool, str, bool, bool, bool], Any] = {}

    async def run_turn(self, channel: str, chat_id: str, update_id: str | None,
                       body: TurnBody, sender: str | None = None) -> TurnResult:
        """As `SqlStateStore.run_turn`; the sender's user read at the start is this turn's only."""
        token = _SENDER_READ.set(None)
        try:
            return await super().run_turn(channel, chat_id, update_id, body, sender)
        finally:
            _SENDER_READ.reset(token)

    async def _start(self, channel: str, chat_id: str, update_id: str | None,
                     sender: str | None = None) -> tuple[bool, DialogueState]:
        params = {"channel": channel, "chat_id": chat_id, "update_id": update_id or ""}
        async with self.db.autocommit() as conn:  # under the chat's lock: no unit, no ambient
            if sender is None:
                row = (await conn.execute(START, params)).one()
            else:
                row = (await conn.execute(START_WITH_SENDER, params | {"sender": sender})).one()
        if update_id is not None and row.done:
            return True, DialogueState()
        if sender is not None:
            _SENDER_READ.set(_SenderRead(channel, sender,
                                         row if row.user_id is not None else None))
        return False, DialogueState.from_json(row.slots)

    def sender_at_start(self, channel: str, external_id: str) -> User | None:
        """The sender's user as this turn's first statement read it (handed out once)."""
        read = _SENDER_READ.get()
        if read is None or read.handed_out or (read.channel, read.external_id) != (
                channel, external_id):
            return None
        read.handed_out = True
        return None if read.row is None else _detached(read.row, "user_")

    async def commit_turn(self, unit: Unit, channel: str, chat_id: str, update_id: str | None,
                          outcome: TurnOutcome) -> list[QueuedReply]:
        """In the unit's transaction when the handlers opened one; else one autocommit
        statement, atomic by itself."""
        state = outcome.state
        action = "keep" if state is None else "delete" if state.is_empty else "upsert"
        sender = outcome.sender if outcome.user_id is None else None
        shape = (update_id is not None, action, bool(outcome.log), bool(outcome.replies),
                 sender is not None)
        statement = self._statements.get(shape)
        if statement is None:
            statement = self._statements[shape] = text(turn_statement(*shape))
        now = utcnow()
        raw = state.to_json() if state is not None and action == "upsert" else None
        lines = outcome.log
        params: dict[str, Any] = {
            "channel": channel, "chat_id": chat_id, "update_id": update_id, "now": now}
        if raw is not None:
            params |= {"handler": raw.get("form"), "step": raw.get("awaiting"),
                       "slots": json.dumps(raw, ensure_ascii=False)}
        if lines:
            params |= {"log_users": [line.user_id for line in lines],
                       "log_directions": [line.direction for line in lines],
                       "log_texts": [(line.text or "")[:MAX_LOGGED_TEXT] for line in lines],
                       "log_intents": [line.intent for line in lines],
                       "log_confidences": [line.confidence for line in lines]}
        payloads = [json.dumps(p, ensure_ascii=False) for p in outcome.replies]
        if payloads:
            params |= {"priority": outbox.PRIORITY["reply"], "user_id": outcome.user_id,
                       "not_before": now + outbox.REPLY_GRACE, "payloads": payloads}
            if sender is not None:
                params |= {"sender": sender[0], "sender_name": sender[1], "role": _ROLE}
        if unit.session is not None:  # after the handlers' changes (a text statement does
            await unit.session.flush()  # not flush them itself)
            row = (await unit.session.execute(statement, params)).one()
        else:  # the unit never opened a transaction: this statement is the whole turn's
            async with self.db.autocommit() as conn:
                row = (await conn.execute(statement, params)).one()
        if not row.fresh:
            raise AlreadyProcessed(update_id)
        return [QueuedReply(i, p) for i, p in zip(row.ids, outcome.replies, strict=True)]

    async def unsent(self, channel: str, update_id: str) -> list[QueuedReply]:
        async with self.db.reading() as s:
            rows = await s.execute(UNSENT_REPLIES, {"channel": channel, "update_id": update_id})
            return [QueuedReply(row.id, row.payload) for row in rows]

    async def was_processed(self, channel: str, update_id: str) -> bool:
        async with self.db.reading() as s:
            found = await s.execute(select(ProcessedUpdate.id).where(
                ProcessedUpdate.channel == channel, ProcessedUpdate.update_id == update_id))
            return found.first() is not None

    async def mark_sent(self, sent: list[tuple[int, str | None]]) -> None:
        """Each row's mark stands alone (a reply sent is sent): no transaction around them. (The
        app records a turn's replies through `storage.sent_marks`, batched across chats.)"""
        if not sent:
            return
        now = utcnow()
        rows = [{"row_id": row_id, "sent_message_id": message_id, "now": now}
                for row_id, message_id in sent]
        if self.db.in_transaction():
            async with self.db.transaction() as s:
                await s.execute(MARK_SENT, rows)
            return
        async with self.db.autocommit() as conn:
            await conn.execute(MARK_SENT, rows[0] if len(rows) == 1 else rows)

    async def user(self, db: Database, channel: str, external_id: str, name: str | None) -> User:
        """Known users are read outside any transaction (one round trip); a user this turn's
        start found unknown is created at once (one statement, with the turn's writes if any)."""
        read = _SENDER_READ.get()
        if (read is not None and read.handed_out and read.row is None and not read.created
                and (read.channel, read.external_id) == (channel, external_id)):
            read.created = True
            async with db.single() as conn:
                created = (await conn.execute(NEW_USER, {
                    "channel": channel, "external_id": external_id, "display_name": name})
                           ).first()
            if created is not None:
                return _detached(created)
        async with db.reading() as s:
            found = await users.find(s, channel, external_id)
        if found is not None:
            return found
        async with db.transaction() as s:
            return await users.get_or_create(s, channel, external_id, name)
