"""`SqlStateStore` on PostgreSQL with the fewest round trips per turn.

A turn used to cost about twenty round trips (BEGIN, each statement, COMMIT or ROLLBACK, for
each of four connections), and every one of them costs CPU in SQLAlchemy and asyncpg and waits
for the server. Here:

- the start of a turn (was the update processed? the chat's state) is one statement, outside
  any transaction (`Database.reading`);
- the turn's bookkeeping (the update processed, done in the inbox, the state, the log, the
  replies as outbox rows) is one statement of data-modifying CTEs that writes nothing when the
  update was processed meanwhile. In the unit's transaction when the handlers wrote something
  (then BEGIN and COMMIT are theirs too); otherwise that one statement is the whole transaction;
- replies recorded as sent, and the sender's user, are one statement each, in autocommit.

The guarantees are those of `SqlStateStore`: everything a turn writes commits together, once.
"""

from __future__ import annotations

import json
from typing import Any

from sqlalchemy import bindparam, exists, select, text

from storage.db import Database, Unit
from storage.models import ConversationState, ProcessedUpdate, User
from storage.repos import outbox, users
from storage.sqltypes import utcnow
from storage.state.base import MAX_LOGGED_TEXT, DialogueState, QueuedReply, TurnOutcome
from storage.state.sql import MARK_SENT, UNSENT_REPLIES, AlreadyProcessed, SqlStateStore

# Was the update processed, and the chat's state: one statement.
START = select(
    exists().where(ProcessedUpdate.channel == bindparam("channel"),
                   ProcessedUpdate.update_id == bindparam("update_id")).label("done"),
    select(ConversationState.slots)
    .where(ConversationState.channel == bindparam("channel"),
           ConversationState.chat_id == bindparam("chat_id"))
    .scalar_subquery().label("slots"))

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

    async def _start(self, channel: str, chat_id: str, update_id: str | None
                     ) -> tuple[bool, DialogueState]:
        async with self.db.autocommit() as conn:  # under the chat's lock: no unit, no ambient
            row = (await conn.execute(START, {"channel": channel, "chat_id": chat_id,
                                              "update_id": update_id or ""})).one()
        if update_id is not None and row.done:
            return True, DialogueState()
        return False, DialogueState.from_json(row.slots)

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
        """Known users are read outside any transaction (one round trip)."""
        async with db.reading() as s:
            found = await users.find(s, channel, external_id)
        if found is not None:
            return found
        async with db.transaction() as s:
            return await users.get_or_create(s, channel, external_id, name)
