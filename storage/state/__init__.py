"""Dialogue state stores, one module per backend (like aiogram's storages).

`base` (DialogueState, LogLine, StateStore), `memory` (MemoryStateStore), `sql` (SqlStateStore,
any database), `postgres` (PostgresStateStore, a turn in few round trips), `sqlite`
(SqliteStateStore, a SQLite file, state and log written behind the reply).
`for_database(db)` picks the store the app uses.
"""

from __future__ import annotations

from storage.db import Database
from storage.state.base import DialogueState, LogLine, StateStore
from storage.state.memory import MemoryStateStore

__all__ = ["DialogueState", "LogLine", "MemoryStateStore", "StateStore", "for_database"]


def for_database(db: Database) -> StateStore:
    """Plain sqlite3 for the per-message writes on a SQLite file; SQLAlchemy elsewhere."""
    from storage.state.sql import SqlStateStore
    from storage.state.sqlite import SqliteStateStore, sqlite_file

    path = sqlite_file(db)
    if path is not None:
        return SqliteStateStore(db, path)
    if db.dialect == "postgresql":
        from storage.state.postgres import PostgresStateStore

        # Several processes may serve one chat: no per-process cache to go stale.
        return PostgresStateStore(db)
    return SqlStateStore(db)
