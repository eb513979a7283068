"""`StateStore` for a SQLite file: the per-message state and log writes through plain sqlite3.

Each aiosqlite statement is a round trip to a worker thread (tenths of a millisecond, several per
statement), while the same statements on a direct sqlite3 connection take microseconds. The
few per-message statements (dedupe, state upsert, log insert) therefore run synchronously on
the event loop, inside the process-wide writer lock (`Database.write_lock`) so they never wait
for an in-process aiosqlite writer. They are the statements of `storage.state.sql`, compiled once
for sqlite3, so each per-message write is written once.
A turn whose handlers wrote through SQLAlchemy commits its bookkeeping with the same plain
statements, on the sqlite3 connection under the turn's transaction (write transactions run on
the event loop's thread, see storage.sqlite_writer); sent marks are group-committed.
State and log writes outside a turn (`end_turn`) are written behind the reply (batched; the cache serves the chat's next
message); `flush()`/`close()` wait for them, so a clean shutdown loses nothing and a crash at
most the last few milliseconds of turns. Demands and other records are written by the handlers
before they reply, as before.
"""

from __future__ import annotations

import asyncio
import json
import logging
import sqlite3
from collections.abc import Awaitable, Callable, Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from sqlalchemy import Boolean, bindparam, insert, select, update
from sqlalchemy.dialects import sqlite

from storage import busy
from storage.db import Database, Unit
from storage.models import InboxUpdate, OutboxMessage, User
from storage.repos import inbox, outbox
from storage.sqlite_writer import InlineConnection
from storage.sqltypes import UTCDateTime, utcnow
from storage.state.base import (
    MAX_LOGGED_TEXT,
    DialogueState,
    LogLine,
    QueuedReply,
    TurnBody,
    TurnOutcome,
    TurnResult,
)
from storage.state.group_commit import GroupCommit
from storage.state.sql import (
    DELETE_STATE,
    INBOX_DONE,
    LOG_COLUMNS,
    LOG_LINES,
    READ_STATE,
    STATE_COLUMNS,
    UNSENT_REPLIES,
    UPDATE_COLUMNS,
    WAS_PROCESSED,
    AlreadyProcessed,
    SqlStateStore,
    _copy,
    record_update,
    upsert_state,
)

log = logging.getLogger(__name__)
# Another process (an import, a second bot) may hold the write lock: this connection's own wait
# blocks the event loop, so it is short, and longer waits happen in asyncio (storage.busy).
BUSY_TIMEOUT_S = 0.05
_DEFAULT_ROLE = User.__table__.c.role.default.arg
USER_COLUMNS = ("channel", "external_id", "display_name", "role", "active", "created_at",
                "updated_at")


def _sql(statement: Any, columns: tuple[str, ...] | None = None) -> str:
    """The statement as sqlite3 text; its parameters must come in `columns` order."""
    compiled = statement.compile(dialect=sqlite.dialect(),
                                 column_keys=list(columns) if columns else None)
    expected = list(columns) if columns else ["channel", "chat_id"]
    order = list(compiled.positiontup or [])
    assert order == expected, f"parameter order {order} != {expected}"
    return compiled.string


# The statements of `storage.state.sql`, compiled once for plain sqlite3.
_UPSERT = _sql(upsert_state(sqlite.insert), STATE_COLUMNS)
_DELETE = _sql(DELETE_STATE)
_LOG = _sql(LOG_LINES, LOG_COLUMNS)
_DEDUPE = _sql(record_update(sqlite.insert), UPDATE_COLUMNS)
_READ = _sql(READ_STATE)
_NEW_USER = _sql(sqlite.insert(User).on_conflict_do_nothing(
    index_elements=["channel", "external_id"]), USER_COLUMNS)
_READ_USER = _sql(select(User).where(User.channel == bindparam("channel"),
                                     User.external_id == bindparam("external_id")),
                  ("channel", "external_id"))


class _Prepared:
    """A statement compiled for sqlite3 whose parameters are given by name (literals of the
    statement, like a status, keep their compiled value)."""

    def __init__(self, statement: Any, columns: list[str] | None = None) -> None:
        compiled = statement.compile(dialect=sqlite.dialect(), column_keys=columns)
        self.sql = compiled.string
        self.order = list(compiled.positiontup or [])
        self.defaults = dict(compiled.params)

    def args(self, **values: Any) -> tuple[Any, ...]:
        return tuple(values[k] if k in values else self.defaults[k] for k in self.order)


_WAS_PROCESSED = _Prepared(WAS_PROCESSED)
_INBOX_DONE = _Prepared(INBOX_DONE)
_UNSENT = _Prepared(UNSENT_REPLIES)
_REPLY_COLUMNS = list(outbox.reply_rows("", "", None, None, [{}])[0])
_NEW_REPLY = _Prepared(insert(OutboxMessage), _REPLY_COLUMNS)
_STORE_UPDATE = _Prepared(sqlite.insert(InboxUpdate).on_conflict_do_nothing(
    index_elements=["channel", "update_id"]),
    ["channel", "update_id", "raw", "status", "received_at", "chat_id"])
_SENT = _Prepared(update(OutboxMessage)
                  .where(OutboxMessage.id == bindparam("row_id"), OutboxMessage.status != "sent")
                  .values(status="sent", message_id=bindparam("mid"), sent_at=bindparam("at"),
                          reason=None, lease_owner=None, lease_expires_at=None))


def sqlite_file(db: Database) -> Path | None:
    """The database file when `db` is SQLite on a real file (not :memory:)."""
    if db.dialect != "sqlite":
        return None
    name = db.url.database
    if not name or name == ":memory:" or name.startswith("file:"):
        return None
    return Path(name).expanduser()


def _stamp(moment: datetime) -> str:
    # The format SQLAlchemy's SQLite DateTime uses (naive UTC, as storage's UTCDateTime stores).
    return moment.replace(tzinfo=None).strftime("%Y-%m-%d %H:%M:%S.%f")


class SqliteStateStore(SqlStateStore):
    def __init__(self, db: Database, path: Path, *, cache_size: int = 10_000,
                 write_behind: bool = True) -> None:
        super().__init__(db, cache_size=cache_size)
        self.path = path
        # Write-behind: the reply does not wait for the state/log write; `flush`/`close` do.
        self.write_behind = write_behind
        self._queue: list[tuple[tuple[str, str], Callable[[sqlite3.Connection], None]]] = []
        self._writer: asyncio.Task[None] | None = None
        assert db.write_lock is not None, "a SQLite database has a writer lock"
        self.lock = db.write_lock
        self._conn: sqlite3.Connection | None = None
        # Sent marks and updates for the inbox, each written in batches (`GroupCommit`).
        self._marks = GroupCommit(self.lock, self._write_marks)
        self._inbox = GroupCommit(self.lock, self._write_updates)

    @property
    def conn(self) -> sqlite3.Connection:
        if self._conn is None:
            self._conn = sqlite3.connect(self.path, timeout=BUSY_TIMEOUT_S, isolation_level=None,
                                         check_same_thread=False)
            self._conn.execute("PRAGMA journal_mode=WAL")
            self._conn.execute("PRAGMA synchronous=NORMAL")
        return self._conn

    async def load(self, channel: str, chat_id: str) -> DialogueState:
        key = (channel, chat_id)
        if key not in self._cache:
            row = self.conn.execute(_READ, key).fetchone()
            self._remember(key, json.loads(row[0]) if row and row[0] else None)
        return await super().load(channel, chat_id)  # served from the cache now

    async def begin_turn(
        self, channel: str, chat_id: str, update_id: str | None
    ) -> DialogueState | None:
        if update_id is not None:
            async with self.lock.hold():
                added = await self._write(lambda c: c.execute(
                    _DEDUPE, (channel, str(update_id), _stamp(utcnow()))).rowcount)
            if not added:
                return None
        return await self.load(channel, chat_id)

    async def run_turn(self, channel: str, chat_id: str, update_id: str | None,
                       body: TurnBody, sender: str | None = None) -> TurnResult:
        """As `SqlStateStore.run_turn`; a turn whose handlers wrote nothing through SQLAlchemy
        (most turns) commits its bookkeeping in one sqlite3 transaction, before any reply is sent
        (a reply the user saw is never lost, and the commit is a WAL append, no fsync)."""
        if update_id is not None and self.conn.execute(
                _WAS_PROCESSED.sql, _WAS_PROCESSED.args(channel=channel, update_id=update_id)
        ).fetchone():
            return TurnResult(duplicate=True, unsent=self._unsent(channel, update_id))
        state = await self.load(channel, chat_id)
        try:
            async with self.db.unit() as unit:
                outcome = await body(state)
                if outcome.failed:
                    await unit.rollback()
                if unit.session is not None:  # the handlers' effects: one transaction with them
                    queued = self._commit_fast(await self._unit_connection(unit), channel,
                                               chat_id, update_id, outcome)
                else:
                    async with self.lock.hold():
                        queued = await self._write(lambda c: self._commit_fast(
                            c, channel, chat_id, update_id, outcome))
        except AlreadyProcessed:
            assert update_id is not None
            return TurnResult(duplicate=True, unsent=self._unsent(channel, update_id))
        self._remember_outcome(channel, chat_id, outcome)
        return TurnResult(duplicate=False, outcome=outcome, queued=queued)

    @staticmethod
    async def _unit_connection(unit: Unit) -> sqlite3.Connection:
        """The sqlite3 connection under the unit's open transaction (the handlers' changes
        flushed), so the bookkeeping runs as the same plain statements as on the fast path."""
        assert unit.session is not None
        await unit.session.flush()
        raw = await (await unit.session.connection()).get_raw_connection()
        driver = raw.driver_connection
        assert isinstance(driver, InlineConnection), "SQLite files write through InlineConnection"
        return driver._conn

    def _commit_fast(self, c: sqlite3.Connection, channel: str, chat_id: str,
                     update_id: str | None, outcome: TurnOutcome) -> list[QueuedReply]:
        now = _stamp(utcnow())
        if update_id is not None:
            if not c.execute(_DEDUPE, (channel, update_id, now)).rowcount:
                raise AlreadyProcessed(update_id)
            c.execute(_INBOX_DONE.sql, _INBOX_DONE.args(in_channel=channel, in_update=update_id))
        self._turn_writes(channel, chat_id, outcome.state, outcome.log)(c)
        queued = []
        for row in outbox.reply_rows(channel, chat_id, update_id, outcome.user_id,
                                     outcome.replies):
            values = {k: (_stamp(v) if isinstance(v, datetime) else v) for k, v in row.items()}
            values["payload"] = json.dumps(row["payload"], ensure_ascii=False)
            cursor = c.execute(_NEW_REPLY.sql, _NEW_REPLY.args(**values))
            queued.append(QueuedReply(int(cursor.lastrowid or 0), row["payload"]))
        return queued

    def _unsent(self, channel: str, update_id: str) -> list[QueuedReply]:
        rows = self.conn.execute(_UNSENT.sql, _UNSENT.args(channel=channel, update_id=update_id))
        return [QueuedReply(row_id, json.loads(payload)) for row_id, payload in rows]

    async def mark_sent(self, sent: list[tuple[int, str | None]]) -> None:
        """Recorded before returning (a lost record would send the reply again after a crash),
        with group commit: the marks of every chat that arrive while one batch waits for the
        writer lock are written together, in one transaction."""
        if not sent:
            return
        if self.db.in_transaction():
            await super().mark_sent(sent)
            return
        await self._marks.add(sent)

    def _write_marks(self, marks: list[tuple[int, str | None]]) -> Awaitable[object]:
        now = _stamp(utcnow())
        return self._write(lambda c: c.executemany(
            _SENT.sql, [_SENT.args(row_id=i, mid=m, at=now) for i, m in marks]))

    async def store_updates(self, channel: str, updates: Sequence[tuple[str, Any]],
                            chats: Sequence[str | None] | None = None) -> None:
        """`storage.repos.inbox.store` as plain sqlite3 statements on the event loop (no
        aiosqlite thread hop), group-committed like the sent marks: stored before returning."""
        if self.db.in_transaction():  # this task's transaction holds the writer lock: join it
            await inbox.store(self.db, channel, updates, chats)
            return
        now = _stamp(utcnow())
        chat_ids = list(chats) if chats is not None else [None] * len(updates)
        await self._inbox.add([
            _STORE_UPDATE.args(channel=channel, update_id=str(update_id), raw=json.dumps(raw),
                               status="new", received_at=now, chat_id=chat)
            for (update_id, raw), chat in zip(updates, chat_ids, strict=True)])

    def _write_updates(self, rows: list[tuple[Any, ...]]) -> Awaitable[object]:
        return self._write(lambda c: c.executemany(_STORE_UPDATE.sql, rows))

    def _turn_writes(self, channel: str, chat_id: str, state: DialogueState | None,
                     log: list[LogLine]) -> Callable[[sqlite3.Connection], None]:
        key = (channel, chat_id)
        raw = None if state is None or state.is_empty else state.to_json()
        now = _stamp(utcnow())
        rows = [(channel, chat_id, line.user_id, line.direction, (line.text or "")[:MAX_LOGGED_TEXT],
                 line.intent, line.confidence, now) for line in log]

        def write(c: sqlite3.Connection) -> None:
            if state is not None and raw is None:
                c.execute(_DELETE, key)
            elif raw is not None:
                c.execute(_UPSERT, (channel, chat_id, raw.get("form"), raw.get("awaiting"),
                                    json.dumps(raw, ensure_ascii=False), now))
            if rows:
                c.executemany(_LOG, rows)

        return write

    async def end_turn(
        self, channel: str, chat_id: str, state: DialogueState | None, log: list[LogLine]
    ) -> None:
        key = (channel, chat_id)
        raw = None if state is None or state.is_empty else state.to_json()
        write = self._turn_writes(channel, chat_id, state, log)
        if state is not None:
            self._remember(key, _copy(raw))  # the cache answers this chat's next message
        self._queue.append((key, write))
        if self.write_behind:
            if self._writer is None or self._writer.done():
                self._writer = asyncio.create_task(self.flush())
        else:
            await self.flush()

    async def flush(self) -> None:
        """Write everything queued, in as few transactions as possible."""
        while self._queue:
            async with self.lock.hold():
                batch, self._queue = self._queue, []
                try:
                    await self._write(lambda c, todo=batch: [write(c) for _, write in todo])
                except Exception:  # keep serving: the database is the truth for these chats
                    log.exception("could not save %d conversation turns", len(batch))
                    for key, _ in batch:
                        self._cache.pop(key, None)

    async def user(self, db: Database, channel: str, external_id: str, name: str | None) -> User:
        """Known users are a plain read; new ones one INSERT OR IGNORE (no aiosqlite thread hop)."""
        if db.in_transaction():  # the turn wrote: read through its transaction, which sees it
            return await super().user(db, channel, external_id, name)
        found = self.read_user(channel, external_id) or await self.create_user(
            channel, external_id, name)
        return found if found is not None else await super().user(db, channel, external_id, name)

    def read_user(self, channel: str, external_id: str) -> User | None:
        """The sender's user row as a detached `User` (a plain read, no thread hop)."""
        conn = self.conn
        conn.row_factory = sqlite3.Row
        try:
            row = conn.execute(_READ_USER, (channel, external_id)).fetchone()
        finally:
            conn.row_factory = None
        if row is None:
            return None
        values: dict[str, Any] = {}
        present = set(row.keys())
        for column in User.__table__.columns:
            raw = row[column.name] if column.name in present else None
            if raw is not None and isinstance(column.type, UTCDateTime):
                raw = datetime.fromisoformat(str(raw)).replace(tzinfo=UTC)
            elif raw is not None and isinstance(column.type, Boolean):
                raw = bool(raw)
            values[column.name] = raw
        return User(**values)

    async def create_user(self, channel: str, external_id: str, name: str | None) -> User | None:
        """Insert the user on first contact (race-safe: INSERT OR IGNORE) and read it back."""
        if self.db.in_transaction():  # this task's open transaction holds SQLite's write lock
            return None
        now = _stamp(utcnow())
        async with self.lock.hold():
            await self._write(lambda c: c.execute(
                _NEW_USER, (channel, external_id, name, _DEFAULT_ROLE, 1, now, now)))
        return self.read_user(channel, external_id)

    async def _write(self, action: Any) -> Any:
        """One short write transaction, tried again while another process writes."""

        async def once() -> Any:
            return self._transact(action)

        return await busy.retry_when_locked(once, "conversation state write")

    def _transact(self, action: Any) -> Any:
        conn = self.conn
        conn.execute("BEGIN IMMEDIATE")  # fails at once when locked: nothing to undo
        try:
            result = action(conn)
            conn.execute("COMMIT")
        except BaseException:
            if conn.in_transaction:
                conn.execute("ROLLBACK")
            raise
        return result

    async def close(self) -> None:
        await self.flush()
        if self._writer is not None:
            await asyncio.gather(self._writer, return_exceptions=True)
        await super().close()
        if self._conn is not None:
            self._conn.close()
            self._conn = None
