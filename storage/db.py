"""The database handle: engine, sessions, the SQLite writer lock and Alembic migrations.

The transaction rule
--------------------
Storage functions take the `Database` and own their transaction: `async with db.transaction()
as s:`. A `transaction()` (or `session()`) opened while the same asyncio task already holds one
joins it instead of opening a second: the outer block commits or rolls back everything, so
storage functions compose (a whole turn of the dialogue can run in one transaction). An exception
escaping an inner block aborts the outer one too; catch domain errors outside the outermost block.
Other tasks (even ones created inside the block) never see the ambient session.

A `unit()` goes one step further for a whole turn of the dialogue: the first `transaction()`
inside it opens a transaction that stays open until the unit ends, so every effect of the turn
and its bookkeeping (the update marked processed, the state, the replies) commit together. A turn
that writes nothing through SQLAlchemy opens no transaction at all (the SQLite fast path then
writes its bookkeeping on its own connection).

SQLite allows one writer: a transaction that reads and then writes fails at once with "database
is locked" when another connection wrote meanwhile, and SQLite's busy handler waits in steps of
milliseconds. So on SQLite every `transaction()` of the process first takes `write_lock`, an
asyncio lock re-entrant per task, and waits its turn cheaply in asyncio instead; it then begins
IMMEDIATE, waiting for writers of other processes (see `storage.busy`). On a SQLite file the
write transactions run each statement on the event loop's thread (`storage.sqlite_writer`), so
the lock is held for the transaction's own work, not for other chats' turns in between.
"""

from __future__ import annotations

import asyncio
import contextvars
from collections.abc import AsyncIterator
from contextlib import AsyncExitStack, asynccontextmanager
from pathlib import Path
from typing import Any

from alembic import command
from alembic.config import Config
from sqlalchemy import event
from sqlalchemy.engine import Connection, make_url
from sqlalchemy.ext.asyncio import (
    AsyncConnection,
    AsyncSession,
    async_sessionmaker,
    create_async_engine,
)
from sqlalchemy.pool import QueuePool, StaticPool

from storage import busy, sqlite_writer

MIGRATIONS_DIR = Path(__file__).parent / "migrations"
SQLITE_BUSY_TIMEOUT_MS = busy.BUSY_TIMEOUT_MS
PG_POOL_SIZE = 12  # KETNOI_DB_POOL_SIZE


def alembic_config(connection: Connection | None = None) -> Config:
    """An Alembic config without alembic.ini: the scripts ship inside the package."""
    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS_DIR))
    cfg.attributes["connection"] = connection
    return cfg


def _sqlite_pragmas(dbapi_conn: Any, _record: Any,
                   busy_timeout_ms: int = SQLITE_BUSY_TIMEOUT_MS) -> None:
    # The driver's own implicit BEGIN breaks SAVEPOINTs and transactional DDL; we emit BEGIN
    # ourselves (see _sqlite_begin), as the SQLAlchemy docs recommend for (aio)sqlite.
    dbapi_conn.isolation_level = None
    cur = dbapi_conn.cursor()
    # WAL lets the bot read while the CLI imports; foreign keys are off by default in SQLite.
    cur.execute("PRAGMA journal_mode=WAL")
    cur.execute("PRAGMA foreign_keys=ON")
    cur.execute(f"PRAGMA busy_timeout={busy_timeout_ms}")
    cur.execute("PRAGMA synchronous=NORMAL")
    cur.close()


def _writer_pragmas(dbapi_conn: Any, record: Any) -> None:
    _sqlite_pragmas(dbapi_conn, record, sqlite_writer.BUSY_TIMEOUT_MS)


def _sqlite_begin(conn: Connection) -> None:
    # Writes take the write lock up front (see storage.busy); reads stay deferred, never blocked.
    immediate = conn.get_execution_options().get(busy.WRITE)
    conn.exec_driver_sql("BEGIN IMMEDIATE" if immediate else "BEGIN")


class TaskLock:
    """An asyncio lock that the task holding it may take again."""

    def __init__(self) -> None:
        self._lock = asyncio.Lock()
        self._owner: asyncio.Task[Any] | None = None
        self._depth = 0

    @asynccontextmanager
    async def hold(self) -> AsyncIterator[None]:
        task = asyncio.current_task()
        if self._owner is task and task is not None:
            self._depth += 1
            try:
                yield
            finally:
                self._depth -= 1
            return
        async with self._lock:
            self._owner, self._depth = task, 1
            try:
                yield
            finally:
                self._owner, self._depth = None, 0


# The open transaction of the running task: (database, task, session). The task is kept because
# asyncio copies context variables into tasks created inside the block, which must not share it.
_AMBIENT: contextvars.ContextVar[tuple[Database, asyncio.Task[Any] | None, AsyncSession] | None] = (
    contextvars.ContextVar("ketnoi_ambient_transaction", default=None))


class Unit:
    """A unit of work: its transaction opens at the first `transaction()` of the task inside it."""

    def __init__(self, db: Database) -> None:
        self.db = db
        self.task = asyncio.current_task()
        self._stack: AsyncExitStack | None = None
        self.session: AsyncSession | None = None  # the open transaction's session, if any

    async def open(self) -> AsyncSession:
        if self.session is not None:
            return self.session
        stack = AsyncExitStack()
        try:
            if self.db.write_lock is not None:
                await stack.enter_async_context(self.db.write_lock.hold())
            s = await stack.enter_async_context(self.db._begin())  # also the ambient session
        except BaseException:
            await stack.aclose()
            raise
        self._stack, self.session = stack, s
        return s

    async def close(self, error: BaseException | None = None) -> None:
        """Commit (no error) or roll back the open transaction, if any."""
        stack, self._stack, self.session = self._stack, None, None
        if stack is None:
            return
        if error is None:
            await stack.aclose()
            return
        try:
            await stack.__aexit__(type(error), error, error.__traceback__)
        except BaseException as raised:
            if raised is not error:
                raise

    async def rollback(self) -> None:
        """Forget the effects written so far (a handler failed); the unit goes on."""
        await self.close(_RolledBack())


class _RolledBack(Exception):
    """Rolls a unit's transaction back without an error of its own."""


_UNIT: contextvars.ContextVar[Unit | None] = contextvars.ContextVar("ketnoi_unit", default=None)


class Database:
    """`Database(url)`; `async with db.session() as s`; `async with db.transaction() as s`.

    `schema` (PostgreSQL only) puts every table, including Alembic's, in that schema via the
    search_path: the tests use it to isolate themselves.
    """

    def __init__(self, url: str, *, schema: str | None = None, echo: bool = False,
                 pool_size: int | None = None, pool_timeout: float = 30.0) -> None:
        self.url = make_url(url)
        self.schema = schema
        kwargs: dict[str, Any] = {"echo": echo}
        if self.url.get_backend_name() == "sqlite":
            database = self.url.database
            if database and database != ":memory:" and not database.startswith("file:"):
                Path(database).expanduser().parent.mkdir(parents=True, exist_ok=True)
            else:  # one shared in-memory database for every session
                kwargs["poolclass"] = StaticPool
            kwargs["connect_args"] = {"timeout": SQLITE_BUSY_TIMEOUT_MS / 1000}
        else:
            if schema:
                kwargs["connect_args"] = {"server_settings": {"search_path": schema}}
            if pool_size is not None or not schema:
                # No ping before each use (a round trip per checkout, ~10% of a turn's CPU): a
                # connection broken by a database restart fails one statement, which
                # invalidates the pool, and the update stays in the inbox to be handled again.
                # Kept connections and no overflow: a connection opened and closed per turn
                # under load costs more than waiting a moment for a kept one (a process bounds
                # its turns to what the pool holds: `bot.ordering`).
                kwargs["pool_size"] = pool_size or PG_POOL_SIZE
                kwargs["max_overflow"] = 0
                kwargs["pool_timeout"] = pool_timeout
        self.engine = create_async_engine(self.url, **kwargs)
        # Write transactions: on a SQLite file, their own engine that runs each statement on
        # the event loop's thread (see storage.sqlite_writer); elsewhere the same engine.
        self.write_engine = self.engine
        if self.url.get_backend_name() == "sqlite":
            event.listen(self.engine.sync_engine, "connect", _sqlite_pragmas)
            event.listen(self.engine.sync_engine, "begin", _sqlite_begin)
            if "poolclass" not in kwargs:  # a file (one shared in-memory database has one engine)
                self.write_engine = create_async_engine(self.url, echo=echo, connect_args={
                    "async_creator_fn": sqlite_writer.connect})
                event.listen(self.write_engine.sync_engine, "connect", _writer_pragmas)
                event.listen(self.write_engine.sync_engine, "begin", _sqlite_begin)
        self.sessionmaker = async_sessionmaker(self.engine, expire_on_commit=False)
        # PostgreSQL: every statement its own transaction (see `reading`, `single`, `autocommit`).
        self.autocommit_engine = self.engine.execution_options(isolation_level="AUTOCOMMIT")
        self.autocommit_sessionmaker = async_sessionmaker(self.autocommit_engine,
                                                          expire_on_commit=False)
        self.write_sessionmaker = async_sessionmaker(self.write_engine, expire_on_commit=False)
        # One writer at a time on SQLite (see the module docstring); None elsewhere.
        self.write_lock: TaskLock | None = TaskLock() if self.dialect == "sqlite" else None

    @property
    def dialect(self) -> str:
        return self.url.get_backend_name()

    @property
    def connection_limit(self) -> int | None:
        """How many connections the pool lends at once (None: no bound, as on SQLite)."""
        pool = self.engine.sync_engine.pool
        if not isinstance(pool, QueuePool):
            return None
        overflow = pool._max_overflow  # noqa: SLF001 (the pool's own setting, no accessor)
        return None if overflow < 0 else pool.size() + overflow

    def _ambient(self) -> AsyncSession | None:
        found = _AMBIENT.get()
        if found is not None and found[0] is self and found[1] is asyncio.current_task():
            return found[2]
        return None

    @asynccontextmanager
    async def session(self) -> AsyncIterator[AsyncSession]:
        """A session for reading (inside a `transaction()` of this task: that one's session).

        Outside a transaction, commit explicitly (`await s.commit()`) or changes are rolled back;
        inside one, never commit: the transaction does.
        """
        ambient = self._ambient()
        if ambient is not None:
            yield ambient
            return
        async with self.sessionmaker() as s:
            yield s

    @asynccontextmanager
    async def transaction(self) -> AsyncIterator[AsyncSession]:
        """A session inside a transaction: committed on success, rolled back on any exception.

        Joins the transaction this task already has open on this database (see the module
        docstring); on SQLite it waits for the process-wide writer lock first.
        """
        ambient = self._ambient()
        if ambient is not None:
            yield ambient
            return
        unit = _UNIT.get()
        if unit is not None and unit.db is self and unit.task is asyncio.current_task():
            yield await unit.open()
            return
        if self.write_lock is None:
            async with self._begin() as s:
                yield s
            return
        async with self.write_lock.hold(), self._begin() as s:
            yield s

    @asynccontextmanager
    async def reading(self) -> AsyncIterator[AsyncSession]:
        """A session for reads: this task's open transaction, if any; otherwise, on PostgreSQL,
        one in autocommit (no BEGIN and ROLLBACK round trips: under READ COMMITTED a
        transaction around reads sees no more consistent data); elsewhere `session()`."""
        if self.dialect != "postgresql" or self._ambient() is not None:
            async with self.session() as s:
                yield s
            return
        async with self.autocommit_sessionmaker() as s:
            yield s

    @asynccontextmanager
    async def single(self) -> AsyncIterator[AsyncSession | AsyncConnection]:
        """A session (or connection) for one Core write statement, atomic by itself: this task's
        transaction (or unit) when there is one; otherwise, on PostgreSQL, a connection in
        autocommit (the statement is its own transaction: one round trip instead of three);
        elsewhere a `transaction()`. Never for several writes that must commit together."""
        unit = _UNIT.get()
        in_unit = unit is not None and unit.db is self and unit.task is asyncio.current_task()
        if self.dialect != "postgresql" or in_unit or self._ambient() is not None:
            async with self.transaction() as s:
                yield s
            return
        async with self.autocommit_engine.connect() as conn:  # Core: no ORM session needed
            yield conn

    @asynccontextmanager
    async def autocommit(self) -> AsyncIterator[AsyncConnection]:
        """PostgreSQL: a pooled connection in autocommit, for Core statements each atomic by
        itself, outside any transaction of the task (no ORM session to set up either)."""
        async with self.autocommit_engine.connect() as conn:
            yield conn

    @asynccontextmanager
    async def unit(self) -> AsyncIterator[Unit]:
        """A unit of work (see the module docstring): committed when the block ends normally,
        rolled back when it raises."""
        unit = Unit(self)
        token = _UNIT.set(unit)
        try:
            yield unit
        except BaseException as error:
            _UNIT.reset(token)
            await unit.close(error)
            raise
        _UNIT.reset(token)
        await unit.close()

    def in_transaction(self) -> bool:
        """Whether this task has a transaction open on this database."""
        return self._ambient() is not None

    @asynccontextmanager
    async def _begin(self) -> AsyncIterator[AsyncSession]:
        if self.dialect == "sqlite":
            async with self._begin_immediate() as s:
                yield s
            return
        async with self.sessionmaker() as s, s.begin():
            token = _AMBIENT.set((self, asyncio.current_task(), s))
            try:
                yield s
            finally:
                _AMBIENT.reset(token)

    @asynccontextmanager
    async def _begin_immediate(self) -> AsyncIterator[AsyncSession]:
        """SQLite: BEGIN IMMEDIATE, tried again while another process writes."""
        async with self.write_sessionmaker() as s:

            async def start() -> None:
                try:
                    await s.connection(execution_options={busy.WRITE: True})
                except Exception:
                    await s.rollback()  # the next attempt begins afresh
                    raise

            await busy.retry_when_locked(start)
            token = _AMBIENT.set((self, asyncio.current_task(), s))
            try:
                yield s
            except BaseException:
                await s.rollback()
                raise
            else:
                await s.commit()
            finally:
                _AMBIENT.reset(token)

    async def upgrade(self, revision: str = "head") -> None:
        """Bring the schema to `revision` (Alembic, run on this engine's connection).

        On SQLite as a write transaction (see storage.busy): two processes starting on a new
        file at once migrate one after the other instead of failing.
        """

        async def run() -> None:
            async with self.engine.connect() as conn:
                if self.dialect == "sqlite":
                    conn = await conn.execution_options(**{busy.WRITE: True})
                async with conn.begin():
                    await conn.run_sync(lambda c: command.upgrade(alembic_config(c), revision))

        await busy.retry_when_locked(run, "migration")

    async def downgrade(self, revision: str = "base") -> None:
        async with self.engine.begin() as conn:
            await conn.run_sync(lambda c: command.downgrade(alembic_config(c), revision))

    async def current_revision(self) -> str | None:
        from alembic.runtime.migration import MigrationContext

        async with self.engine.connect() as conn:
            return await conn.run_sync(
                lambda c: MigrationContext.configure(c).get_current_revision()
            )

    async def dispose(self) -> None:
        if self.write_engine is not self.engine:
            await self.write_engine.dispose()
        await self.engine.dispose()
