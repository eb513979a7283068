"""Per-chat locks across processes: one turn of a chat at a time, whichever process has it.

Several bot processes (`ketnoi serve --workers N`, or several servers behind a load balancer)
may receive updates of the same chat. A turn holds its chat's lock from reading the state to
recording its replies as sent, so turns of one chat never overlap and replies keep their order.

- `PostgresChatLock`: a transaction-scoped advisory lock (`pg_advisory_xact_lock`) on a 64-bit
  hash of the channel and chat, on a connection of its own held for the turn. A process that dies
  drops its connection and PostgreSQL releases the lock at once.
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

from storage.db import Database

log = logging.getLogger(__name__)


def lock_key(channel: str, chat_id: str) -> int:
    """A signed 64-bit key (PostgreSQL's bigint) for the chat, the same in every process."""
    digest = hashlib.blake2b(f"{channel}\x00{chat_id}".encode(), digest_size=8).digest()
    return int.from_bytes(digest, "big", signed=True)


class ChatLock(Protocol):
    name: str

    def hold(self, channel: str, chat_id: str) -> contextlib.AbstractAsyncContextManager[None]:
        ...

    async def close(self) -> None: ...


class NoChatLock:
    """One process: nothing to coordinate across processes."""

    name = "process"

    @asynccontextmanager
    async def hold(self, channel: str, chat_id: str) -> AsyncIterator[None]:
        yield

    async def close(self) -> None:
        return None


class PostgresChatLock:
    name = "postgresql"

    def __init__(self, db: Database) -> None:
        self.db = db

    @asynccontextmanager
    async def hold(self, channel: str, chat_id: str) -> AsyncIterator[None]:
        key = lock_key(channel, chat_id)
        async with self.db.engine.connect() as conn, conn.begin():
            await conn.execute(select(func.pg_advisory_xact_lock(key)))
            yield  # the transaction ends (and the lock with it) when the turn is over

    async def close(self) -> None:
        return None


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
    async def hold(self, channel: str, chat_id: str) -> AsyncIterator[None]:
        lock = self.redis.lock(f"{self.prefix}:chat-lock:{channel}:{chat_id}", timeout=self.ttl,
                               sleep=self.poll)
        await lock.acquire()
        renew = asyncio.create_task(self._renew(lock))
        try:
            yield
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
