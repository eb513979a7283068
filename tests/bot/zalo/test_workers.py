"""Zalo Bot webhooks served by several `ketnoi serve` processes on one PostgreSQL database.

A Zalo chat's messages reach both processes; each reply must come once, in the order the user
wrote, also when a worker of `ketnoi serve --workers 2` is SIGKILLed in the middle of the run
(another process takes its stored updates and unsent replies over). The same with the chat locks
in Redis.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import random
import signal
from collections.abc import AsyncIterator, Sequence
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

import httpx
import pytest

from bot.chat_turns import SWEEP_EVERY_S
from bot.zalo.webhook import BOT_SECRET_HEADER
from storage.db import Database
from tests.bot.fake_zalo import BOT_TOKEN, FakeZaloBot
from tests.bot.telegram.server import BackgroundServer
from tests.bot.telegram.serving import (
    ServeProcess,
    create_database,
    demands_per_user,
    drop_database,
    free_port,
    same,
    settle,
)
from tests.bot.telegram.test_workers import CONFIRMED, DIALOGUE, REDIS
from tests.storage.conftest import PG_URL, _pg_reachable

SECRET = "zalo-workers-secret"


class ZaloWebhook:
    """Zalo's side of the webhook: post an event, and again (to the next process) until one
    answers 200; each post on a new connection, so the kernel picks a worker for each."""

    def __init__(self, urls: Sequence[str]) -> None:
        self.urls = list(urls)
        self.client = httpx.AsyncClient(timeout=httpx.Timeout(30, connect=10))

    async def post(self, update: dict[str, Any], first: int = 0) -> None:
        attempt = 0
        async with asyncio.timeout(120):
            while True:
                url = self.urls[(first + attempt) % len(self.urls)]
                try:
                    response = await self.client.post(
                        f"{url}/zalo-bot/webhook", json=update,
                        headers={BOT_SECRET_HEADER: SECRET, "Connection": "close"})
                    if response.status_code == 200:
                        return
                except httpx.HTTPError:
                    pass
                attempt += 1
                await asyncio.sleep(min(0.05 * attempt, 0.5))

    async def close(self) -> None:
        await self.client.aclose()


class ZaloCluster:
    def __init__(self, api: FakeZaloBot, processes: list[ServeProcess], db_url: str) -> None:
        self.api = api
        self.processes = processes
        self.db_url = db_url
        self.hook = ZaloWebhook([p.url for p in processes])

    async def reference(self, chat: str) -> list[str]:
        """The dialogue one message at a time, each answered before the next."""
        for step, line in enumerate(DIALOGUE):
            before = len(self.api.sent(chat))
            await self.hook.post(self.api.message(chat, line), first=step % len(self.urls))
            await self.api.wait_for(lambda b=before: len(self.api.sent(chat)) > b, 60)
            await settle(self.api, chat)
        return self.api.texts(chat)

    @property
    def urls(self) -> list[str]:
        return self.hook.urls

    async def write(self, chat: str, offset: int = 0) -> None:
        """The whole dialogue without waiting for replies, each line to the next process."""
        for step, line in enumerate(DIALOGUE):
            await self.hook.post(self.api.message(chat, line), first=(step + offset) % 2)

    async def demands(self) -> dict[str, int]:
        return await demands_per_user(self.db_url, "zalo-bot")



def lock_env(api: FakeZaloBot, extra: dict[str, str] | None) -> dict[str, str]:
    """Only the Zalo Bot webhook (no Telegram token), with the chat lock of `extra`."""
    return {"KETNOI_TELEGRAM_TOKEN": "", "KETNOI_ZALO_BOT_TOKEN": BOT_TOKEN,
            "KETNOI_ZALO_BOT_API_URL": api.url, "KETNOI_ZALO_BOT_WEBHOOK_SECRET": SECRET,
            **(extra or {})}


@asynccontextmanager
async def zalo_cluster(tmp_path: Path, count: int, workers: int,
                       extra: dict[str, str] | None = None) -> AsyncIterator[ZaloCluster]:
    """`count` `ketnoi serve` processes (of `workers` workers each) on a fresh database."""
    if not await _pg_reachable():
        if os.environ.get("KETNOI_REQUIRE_POSTGRES"):
            pytest.fail(f"PostgreSQL required but not reachable at {PG_URL}")
        pytest.skip("PostgreSQL not reachable")
    api = FakeZaloBot()
    server = BackgroundServer(api.app)
    api.url = await server.start()
    db_url = await create_database(PG_URL, "t_zalo_workers")
    db = Database(db_url)
    await db.upgrade()  # once, before the processes start on it
    await db.dispose()
    processes = [ServeProcess(db_url, "http://127.0.0.1:9", free_port(), workers=workers,
                              log=tmp_path / f"bot{n}.log", env=lock_env(api, extra))
                 for n in range(count)]
    cluster = ZaloCluster(api, processes, db_url)
    try:
        await asyncio.gather(*(p.start() for p in processes))
        yield cluster
    finally:
        await cluster.hook.close()
        await asyncio.gather(*(p.stop() for p in processes), return_exceptions=True)
        await api.close()
        await server.stop()
        await drop_database(PG_URL, db_url)


async def test_two_processes_answer_each_zalo_message_once_in_order_and_take_over_replies(
        tmp_path: Path) -> None:
    """Each line of six dialogues goes to the other process, without waiting for replies: the
    replies are those of the dialogue written one message at a time. Then process 0 commits a
    chat's last turn and is SIGKILLed while Zalo refuses its sends, and does not come back:
    process 1 finds the reply left unsent a few seconds later and sends it, once."""
    async with zalo_cluster(tmp_path, count=2, workers=1) as cluster:
        api = cluster.api
        reference = same(await cluster.reference("zw0"))
        assert any(CONFIRMED in t for t in reference)  # the dialogue reaches a stored demand
        chats = [f"zw{n}" for n in range(1, 7)]
        await asyncio.gather(*(cluster.write(chat, n) for n, chat in enumerate(chats)))
        with contextlib.suppress(TimeoutError):  # too few replies: the comparison says which
            await api.wait_for(lambda: all(len(api.sent(c)) >= len(reference) for c in chats),
                               60)
        for chat in chats:
            await settle(api, chat)
            assert same(api.texts(chat)) == reference, f"chat {chat}"
        assert await cluster.demands() == {c: 1 for c in ["zw0", *chats]}

        api.fail("sendMessage", 500, target="zw9", times=1000)
        await cluster.hook.post(api.message("zw9", "xin chào"), first=0)
        # the replies are sent after the commit: a send tried means the turn is committed
        await api.wait_for(lambda: any(c.chat_id == "zw9" for c in api.calls), 60)
        cluster.processes[0].kill()
        api.failures.clear()
        await api.wait_for(lambda: len(api.sent("zw9")) >= 1, 40)
        await asyncio.sleep(SWEEP_EVERY_S + 1)  # a second copy would have come by now
        texts = api.texts("zw9")
        assert len(texts) == 1 and "chào" in texts[0], texts


@pytest.mark.parametrize("lock", [None, REDIS], ids=["postgresql-lock", "redis-lock"])
async def test_serve_workers_a_worker_killed_mid_message_loses_nothing_and_keeps_order(
        tmp_path: Path, lock: dict[str, str] | None) -> None:
    """`ketnoi serve --workers 2`: chats write their dialogues as fast as Zalo delivers, and a
    worker is SIGKILLed 0-300 ms into each of two rounds, while both are handling messages;
    the supervisor starts a new one. Every chat gets its replies in order, each once: workers
    hand replies to the reply sender process, which sends each reply id once whoever asks."""
    rng = random.Random(5)
    async with zalo_cluster(tmp_path, count=1, workers=2, extra=lock) as cluster:
        api, bot = cluster.api, cluster.processes[0]
        reference = same(await cluster.reference("zk0"))
        rounds = [[f"zk{r}{n}" for n in range(1, 4)] for r in range(1, 3)]
        for chats in rounds:
            writing = asyncio.gather(*(cluster.write(chat) for chat in chats))
            await asyncio.sleep(rng.uniform(0, 0.3))
            os.kill(rng.choice(bot.worker_pids()), signal.SIGKILL)
            await writing
            await bot.wait_ready(120)
        chats = [chat for chats in rounds for chat in chats]
        with contextlib.suppress(TimeoutError):
            await api.wait_for(lambda: all(len(api.sent(c)) >= len(reference) for c in chats),
                               90)
        assert bot.sender_pid() is not None  # the Zalo replies went through it
        for chat in chats:
            await settle(api, chat)
            assert same(api.texts(chat)) == reference, f"chat {chat}"
        assert await cluster.demands() == {c: 1 for c in ["zk0", *chats]}
