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
from typing import Any, NamedTuple, Protocol

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncConnection

from storage.db import Database
from storage.keyed_locks import KeyedLocks
from storage.repos.outbox import PRIORITY

log = logging.getLogger(__name__)
REPLY_PRIORITY = PRIORITY["reply"]


def lock_key(channel: str, chat_id: str) -> int:
    """A signed 64-bit key (PostgreSQL's bigint) for the chat, the same in every process."""
    digest = hashlib.blake2b(f"{channel}\x00{chat_id}".encode(), digest_size=8).digest()
    return int.from_bytes(digest, "big", signed=True)


class Held(NamedTuple):
    """What the lock's own statement saw of the chat (True when it could not tell)."""

    waiting: bool  # other updates of the chat may wait in the inbox besides the one held for
    replies_pending: bool  # replies of the chat may be committed and not recorded as sent


UNKNOWN = Held(True, True)


class ChatLock(Protocol):
    name: str

    def hold(self, channel: str, chat_id: str, update_id: str | None = None
             ) -> contextlib.AbstractAsyncContextManager[Held]:
        """Hold the chat; yields what may wait for it (`Held`): False only when the lock's own
        query saw nothing."""
        ...

    async def close(self) -> None: ...


class NoChatLock:
    """One process: nothing to coordinate across processes."""

    name = "process"

    @asynccontextmanager
    async def hold(self, channel: str, chat_id: str, update_id: str | None = None
                   ) -> AsyncIterator[Held]:
        yield Held(False, False)

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
    its connections and with them every lock it held. Within the process, an asyncio lock per
    chat comes first (session locks are re-entrant for their session). The locks and unlocks
    asked for while a connection's statement runs go together in its next one (`_Shard`).
    """

    name = "postgresql"

    def __init__(self, db: Database, *, poll: float = 0.005, max_poll: float = 0.1,
                 connections: int = LOCK_CONNECTIONS) -> None:
        self.db = db
        self.poll = poll
        self.max_poll = max_poll
        self.connections = connections  # pooled, kept for good
        # A chat's lock and unlock always go to the same connection (`key % connections`).
        self._shards = [_Shard(db) for _ in range(connections)]
        self._local = KeyedLocks()

    @asynccontextmanager
    async def hold(self, channel: str, chat_id: str, update_id: str | None = None
                   ) -> AsyncIterator[Held]:
        key = lock_key(channel, chat_id)
        shard = self._shards[key % len(self._shards)]
        # The same round trip asks whether other updates of the chat wait in the inbox, and
        # whether replies of the chat wait to be sent.
        ask = (key, channel, chat_id, str(update_id))
        async with self._local.hold(key):
            pause = self.poll
            while not (answer := await shard.ask(ask))[0]:
                await asyncio.sleep(pause)
                pause = min(pause * 2, self.max_poll)
            try:
                yield answer[1]
            finally:
                with contextlib.suppress(Exception):
                    await asyncio.shield(shard.ask(key))

    async def close(self) -> None:
        for shard in self._shards:
            await shard.close()


# Locks asked for (with whether other updates of the chat wait in the inbox, and whether replies
# of the chat were committed and not recorded as sent: a turn commits its replies while holding
# the chat, so only a holder that died or could not send leaves them; one that commits and dies
# between this statement's snapshot and its lock, microseconds apart, leaves them to the sweep)
# and unlocks, in one statement. A batch never holds one key twice: a chat's next lock is asked for only after its
# unlock came back (the per-chat asyncio lock of `PostgresChatLock`).
_BATCH = text("""
SELECT t.i, pg_try_advisory_lock(t.k) AS locked, EXISTS (
    SELECT 1 FROM inbox WHERE inbox.channel = t.channel AND inbox.chat_id = t.chat
    AND inbox.status = 'new' AND inbox.update_id <> t.upd) AS waiting, EXISTS (
    SELECT 1 FROM outbox WHERE outbox.status = 'pending' AND outbox.channel = t.channel
    AND outbox.priority = :reply_priority AND outbox.kind = 'reply'
    AND outbox.recipient = t.chat) AS pending
FROM unnest(CAST(:i AS integer[]), CAST(:keys AS bigint[]), CAST(:channels AS text[]),
            CAST(:chats AS text[]), CAST(:updates AS text[])) AS t(i, k, channel, chat, upd)
UNION ALL
SELECT -1, pg_advisory_unlock(u), FALSE, FALSE FROM unnest(CAST(:unlocks AS bigint[])) AS u""")
Ask = tuple[int, str, str, str] | int  # a lock (key, channel, chat, update id) or an unlock (key)


class _Shard:
    """One lock connection. Its statements run one at a time; whatever is asked meanwhile waits
    and goes in the next one, so a busy process sends one round trip for many turns instead of
    queueing each turn's lock and unlock behind all the others'."""

    def __init__(self, db: Database) -> None:
        self.db = db
        self.conn: AsyncConnection | None = None
        self.waiting: list[tuple[Ask, asyncio.Future[tuple[bool, Held]]]] = []
        self.runner: asyncio.Task[None] | None = None

    async def ask(self, what: Ask) -> tuple[bool, Held]:
        """(locked, what waits for the chat) for a lock; an unlock's answer means nothing."""
        done = asyncio.get_running_loop().create_future()
        self.waiting.append((what, done))
        if self.runner is None or self.runner.done():
            self.runner = asyncio.create_task(self._run())
        return await done

    async def _run(self) -> None:
        while self.waiting:
            batch, self.waiting = self.waiting, []
            locks = [(n, what) for n, (what, _) in enumerate(batch) if isinstance(what, tuple)]
            params = {"i": [n for n, _ in locks], "keys": [w[0] for _, w in locks],
                      "channels": [w[1] for _, w in locks], "chats": [w[2] for _, w in locks],
                      "updates": [w[3] for _, w in locks], "reply_priority": REPLY_PRIORITY,
                      "unlocks": [what for what, _ in batch if isinstance(what, int)]}
            try:
                rows = await self._execute(params)
            except Exception as error:
                for _, done in batch:
                    if not done.done():
                        done.set_exception(error)
                continue
            answers = {row.i: (bool(row.locked), Held(bool(row.waiting), bool(row.pending)))
                       for row in rows if row.i >= 0}
            for n, (what, done) in enumerate(batch):
                answer = answers.get(n, (True, UNKNOWN))
                if not done.done():
                    done.set_result(answer)
                elif isinstance(what, tuple) and answer[0]:  # its asker gave up: free the chat
                    self.waiting.append((what[0], asyncio.get_running_loop().create_future()))

    async def _execute(self, params: dict[str, Any]) -> list[Any]:
        if self.conn is None or self.conn.closed:
            self.conn = await (await self.db.engine.connect()).execution_options(
                isolation_level="AUTOCOMMIT")
        try:
            return list(await self.conn.execute(_BATCH, params))
        except Exception:
            # A lost connection has released the locks it held: say so, start afresh.
            log.warning("chat lock connection failed; its locks are released")
            await self.close()
            raise

    async def close(self) -> None:
        if self.conn is not None:
            with contextlib.suppress(Exception):
                await self.conn.close()
            self.conn = None


# Redis connections of one process: a chat waited for is asked about by one task of the process
# at a time (`KeyedLocks`), but hundreds of chats may be held or waited for at once; past this
# many commands in flight, a command waits for a connection (the pool's default raised instead),
# for at most REDIS_WAIT_S (then it fails like a lost connection: a leak must not hang a holder).
REDIS_CONNECTIONS = 32
REDIS_WAIT_S = 30.0


class RedisChatLock:
    """A Redis lock per chat (`SET NX` with an expiry, renewed every third of it while held).
    Within the process an asyncio lock per chat comes first, as for `PostgresChatLock`. A
    renewal that fails is tried again at the next one; a lock found lost (it expired: the event
    loop stalled longer than `ttl`) is logged, and the turn goes on."""

    name = "redis"

    def __init__(self, url: str, *, prefix: str = "ketnoi", ttl: float = 10.0,
                 poll: float = 0.005, max_poll: float = 0.1,
                 connections: int = REDIS_CONNECTIONS) -> None:
        from redis.asyncio import BlockingConnectionPool, Redis

        pool = BlockingConnectionPool.from_url(url, max_connections=connections,
                                              timeout=REDIS_WAIT_S)
        self.redis: Any = Redis(connection_pool=pool)
        self.prefix = prefix
        self.ttl = ttl
        self.poll = poll
        self.max_poll = max_poll
        self._local = KeyedLocks()

    @asynccontextmanager
    async def hold(self, channel: str, chat_id: str, update_id: str | None = None
                   ) -> AsyncIterator[Held]:
        name = f"{self.prefix}:chat-lock:{channel}:{chat_id}"
        async with self._local.hold(name):
            lock = self.redis.lock(name, timeout=self.ttl)
            # Tried again after a short, growing pause, as the advisory lock is: a killed
            # process's chats stay locked until the expiry, and asking for each of them every
            # 5 ms took a CPU's worth of the live processes' time (and the pool's connections
            # from the renewals of the chats they hold).
            pause = self.poll
            while not await lock.acquire(blocking=False):
                await asyncio.sleep(pause)
                pause = min(pause * 2, self.max_poll)
            released = asyncio.Event()
            renew = asyncio.create_task(self._renew(lock, name, released))
            try:
                yield UNKNOWN
            finally:
                # The renewals stop on the event, not on the cancel alone: a cancel that reaches
                # them inside a Redis command can be lost (seen under load), and awaiting them
                # then hung the holder while they went on renewing the chat forever.
                released.set()
                renew.cancel()
                await asyncio.wait({renew}, timeout=1.0)
                try:
                    await lock.release()
                except Exception as error:  # expired meanwhile: nothing to free
                    log.warning("chat lock %s was lost before release: %r", name, error)

    async def _renew(self, lock: Any, name: str, released: asyncio.Event) -> None:
        from redis.exceptions import LockNotOwnedError

        while not released.is_set():
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(released.wait(), self.ttl / 3)
            if released.is_set():
                return
            try:
                await lock.reacquire()
            except LockNotOwnedError:
                log.error("chat lock %s expired while held: another process may have the "
                          "chat", name)
                return
            except Exception as error:  # Redis busy or restarting: the next renewal may work
                log.warning("chat lock %s: renewal failed: %r", name, error)

    async def close(self) -> None:
        await self.redis.aclose()
        await self.redis.connection_pool.disconnect()


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
