"""Per-chat locks across processes: one turn of a chat at a time, whichever process has it.

Several bot processes (`ketnoi serve --workers N`, or several servers behind a load balancer)
may receive updates of the same chat. A turn holds its chat's lock from reading the state to
recording its replies as sent, so turns of one chat never overlap and replies keep their order.

- `PostgresChatLock`: an advisory lock on a 64-bit hash of the channel and chat, taken with
  `pg_try_advisory_lock` on one connection per process. A process that dies drops its
  connection and PostgreSQL releases its locks at once.
- `RedisChatLock` (when KETNOI_REDIS_URL is set): a Redis lock with a short expiry renewed while
  the turn runs, so a killed holder blocks its chat for at most `ttl` seconds.
- `NoChatLock`: one process on SQLite, where the in-process locks are enough.
"""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any, Protocol

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncConnection

from storage.db import Database
from storage.models import InboxUpdate

log = logging.getLogger(__name__)


def lock_key(channel: str, chat_id: str) -> int:
    """A signed 64-bit key (PostgreSQL's bigint) for the chat, the same in every process."""
    digest = hashlib.blake2b(f"{channel}\x00{chat_id}".encode(), digest_size=8).digest()
    return int.from_bytes(digest, "big", signed=True)


class ChatLock(Protocol):
    name: str

    def hold(self, channel: str, chat_id: str, update_id: str | None = None
             ) -> contextlib.AbstractAsyncContextManager[bool]:
        """Hold the chat; yields whether other updates of the chat may wait in the inbox
        (False only when the lock's own query saw none besides `update_id`)."""
        ...

    async def close(self) -> None: ...


class NoChatLock:
    """One process: nothing to coordinate across processes."""

    name = "process"

    @asynccontextmanager
    async def hold(self, channel: str, chat_id: str, update_id: str | None = None
                   ) -> AsyncIterator[bool]:
        yield False

    async def close(self) -> None:
        return None


# Connections a process takes its chats' advisory locks on: every lock and unlock is a round
# trip on one of them, one at a time, so a single connection queued every turn of the process
# behind each other's (seconds at 200 chats on a busy machine).
LOCK_CONNECTIONS = 4


class PostgresChatLock:
    """Session-level advisory locks, taken on a few connections of this process.

    `pg_try_advisory_lock` never blocks its connection: a chat locked by another process is
    tried again after a short, growing pause (two processes rarely get the same chat at the
    same instant). So no pooled connection is held for a turn, and a process that dies drops
    its connections and with them every lock it held. Within the process, an asyncio lock per chat
    comes first (session locks are re-entrant for their session).
    """

    name = "postgresql"

    def __init__(self, db: Database, *, poll: float = 0.005, max_poll: float = 0.1,
                 connections: int = LOCK_CONNECTIONS) -> None:
        self.db = db
        self.poll = poll
        self.max_poll = max_poll
        # A chat's lock and unlock always go to the same connection (`key % connections`).
        self._conns: list[AsyncConnection | None] = [None] * connections
        self._io = [asyncio.Lock() for _ in range(connections)]  # one statement at a time each
        self._local: dict[int, tuple[asyncio.Lock, int]] = {}

    async def _ask(self, key: int, statement: Any) -> Any:
        shard = key % len(self._conns)
        async with self._io[shard]:
            conn = self._conns[shard]
            if conn is None or conn.closed:
                conn = await (await self.db.engine.connect()).execution_options(
                    isolation_level="AUTOCOMMIT")
                self._conns[shard] = conn
            try:
                return (await conn.execute(statement)).first()
            except Exception:
                # A lost connection has released the locks it held: say so, start afresh.
                log.warning("chat lock connection failed; its locks are released")
                with contextlib.suppress(Exception):
                    await conn.close()
                self._conns[shard] = None
                raise

    @asynccontextmanager
    async def hold(self, channel: str, chat_id: str, update_id: str | None = None
                   ) -> AsyncIterator[bool]:
        key = lock_key(channel, chat_id)
        # The same round trip asks whether other updates of the chat wait in the inbox.
        waiting = (select(InboxUpdate.id).where(
            InboxUpdate.channel == channel, InboxUpdate.chat_id == chat_id,
            InboxUpdate.status == "new", InboxUpdate.update_id != str(update_id))
            .exists())
        statement = select(func.pg_try_advisory_lock(key), waiting)
        async with self._in_process(key):
            pause = self.poll
            while not (row := await self._ask(key, statement))[0]:
                await asyncio.sleep(pause)
                pause = min(pause * 2, self.max_poll)
            try:
                yield bool(row[1])
            finally:
                with contextlib.suppress(Exception):
                    await asyncio.shield(self._ask(key, select(func.pg_advisory_unlock(key))))

    @asynccontextmanager
    async def _in_process(self, key: int) -> AsyncIterator[None]:
        lock, users = self._local.get(key, (asyncio.Lock(), 0))
        self._local[key] = (lock, users + 1)
        try:
            async with lock:
                yield
        finally:
            lock, users = self._local[key]
            if users <= 1:
                del self._local[key]
            else:
                self._local[key] = (lock, users - 1)

    async def close(self) -> None:
        for shard, conn in enumerate(self._conns):
            if conn is not None:
                with contextlib.suppress(Exception):
                    await conn.close()
                self._conns[shard] = None


class RedisChatLock:
    name = "redis"

    def __init__(self, url: str, *, prefix: str = "ketnoi", ttl: float = 10.0,
                 poll: float = 0.005) -> None:
        from redis.asyncio import Redis

        self.redis: Any = Redis.from_url(url)
        self.prefix = prefix
        self.ttl = ttl
        self.poll = poll

    @asynccontextmanager
    async def hold(self, channel: str, chat_id: str, update_id: str | None = None
                   ) -> AsyncIterator[bool]:
        lock = self.redis.lock(f"{self.prefix}:chat-lock:{channel}:{chat_id}", timeout=self.ttl,
                               sleep=self.poll)
        await lock.acquire()
        renew = asyncio.create_task(self._renew(lock))
        try:
            yield True
        finally:
            renew.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await renew
            try:
                await lock.release()
            except Exception as error:  # expired meanwhile (a very long turn): nothing to free
                log.warning("chat lock %s:%s was lost before release: %r", channel, chat_id,
                            error)

    async def _renew(self, lock: Any) -> None:
        while True:
            await asyncio.sleep(self.ttl / 3)
            await lock.reacquire()

    async def close(self) -> None:
        await self.redis.aclose()


def for_database(db: Database, redis_url: str | None = None,
                 redis_prefix: str = "ketnoi") -> ChatLock:
    """On PostgreSQL: Redis when configured, else an advisory lock. On SQLite nothing: it runs
    as one process (`ketnoi serve --workers` refuses more)."""
    if db.dialect == "sqlite":
        return NoChatLock()
    if redis_url:
        return RedisChatLock(redis_url, prefix=redis_prefix)
    if db.dialect == "postgresql":
        return PostgresChatLock(db)
    return NoChatLock()
