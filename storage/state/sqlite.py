"""`StateStore` for a SQLite file: the per-message state and log writes through plain sqlite3.

Each aiosqlite statement is a round trip to a worker thread (tenths of a millisecond, several per
statement), while the same statements on a direct sqlite3 connection take microseconds. The
few per-message statements (dedupe, state upsert, log insert) therefore run synchronously on
the event loop, inside the process-wide writer lock (`Database.write_lock`) so they never wait
for an in-process aiosqlite writer. They are the statements of `storage.state.sql`, compiled once
for sqlite3, so each per-message write is written once.
State and log writes are written behind the reply (batched; the cache serves the chat's next
message); `flush()`/`close()` wait for them, so a clean shutdown loses nothing and a crash at
most the last few milliseconds of turns. Demands and other records are written by the handlers
before they reply, as before.
"""

from __future__ import annotations

import asyncio
import json
import logging
import sqlite3
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from sqlalchemy import Boolean, bindparam, select
from sqlalchemy.dialects import sqlite

from storage import busy
from storage.db import Database
from storage.models import User
from storage.sqltypes import UTCDateTime, utcnow
from storage.state.base import MAX_LOGGED_TEXT, DialogueState, LogLine
from storage.state.sql import (
    DELETE_STATE,
    LOG_COLUMNS,
    LOG_LINES,
    READ_STATE,
    STATE_COLUMNS,
    UPDATE_COLUMNS,
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

    async def end_turn(
        self, channel: str, chat_id: str, state: DialogueState | None, log: list[LogLine]
    ) -> None:
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
