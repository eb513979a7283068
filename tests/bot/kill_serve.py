"""Kill runs through the webhooks: a real `ketnoi serve` process (Telegram and Zalo Bot webhooks)
SIGKILLed at random points of demand dialogues, on SQLite or PostgreSQL, restarted each time.

The platforms deliver as they do in production: an update is POSTed again until the webhook
answers 200 (a refused connection while the process is down, a 503, a cut connection). What the
process acknowledged and had not handled when it died is in its inbox, handled at the next start.
Used by tests/bot/test_kill_webhooks.py and, with a bigger budget, by benchmarks/kill_bench.py.
"""

from __future__ import annotations

import asyncio
import os
import random
import socket
import uuid
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
from sqlalchemy import func, make_url, select, text
from sqlalchemy.ext.asyncio import create_async_engine

from storage.db import Database
from storage.models import Demand, OutboxMessage, User
from storage.seed import seed
from tests.bot.fake_telegram import TOKEN, FakeTelegram
from tests.bot.fake_zalo import BOT_TOKEN, FakeZaloBot
from tests.bot.telegram.kill import CONFIRMED, DIALOGUE, BotProcess, Findings, _repeats

TELEGRAM_SECRET = "kill-Telegram_secret-1"
ZALO_SECRET = "kill-Zalo_secret-1"
__all__ = ["CONFIRMED", "DIALOGUE", "Findings", "ServeProcess", "run_served_dialogues",
           "seeded_postgres_database"]


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


class ServeProcess(BotProcess):
    """`ketnoi serve` with the Telegram and Zalo Bot webhooks, forked by the zygote."""

    def __init__(self, database_url: str, log_path: Path, telegram: FakeTelegram,
                 telegram_url: str, zalo: FakeZaloBot) -> None:
        self.api = telegram
        self.zalo = zalo
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.env = {**os.environ, "KETNOI_DATABASE_URL": database_url,
                    "KETNOI_TELEGRAM_TOKEN": TOKEN, "KETNOI_TELEGRAM_API_URL": telegram_url,
                    "KETNOI_TELEGRAM_WEBHOOK_SECRET": TELEGRAM_SECRET,
                    "KETNOI_ZALO_BOT_TOKEN": BOT_TOKEN, "KETNOI_ZALO_BOT_API_URL": zalo.url,
                    "KETNOI_ZALO_BOT_WEBHOOK_SECRET": ZALO_SECRET, "KETNOI_LOG_LEVEL": "WARNING"}
        self.log = open(log_path, "ab")  # noqa: SIM115 (kept for all runs)
        self.zygote = None
        self.pid = None

    async def start(self) -> None:
        """Fork `ketnoi serve` and wait until it accepts connections (its channels started)."""
        self.pid = int(await self._command(f"start serve {self.port}"))
        async with httpx.AsyncClient(base_url=self.url, timeout=2.0) as client:
            for _ in range(1200):
                try:
                    if (await client.get("/healthz")).status_code in (200, 503):
                        return
                except httpx.TransportError:
                    pass
                await asyncio.sleep(0.1)
        raise TimeoutError("ketnoi serve did not start")


class Deliveries:
    """The platforms' side: each update is POSTed until the webhook answers 200, in order."""

    def __init__(self, bot: ServeProcess) -> None:
        self.bot = bot
        self.client = httpx.AsyncClient(base_url=bot.url, timeout=10.0)
        self.tasks: list[asyncio.Task[None]] = []
        self.attempts = 0

    def push(self, path: str, header: str, secret: str, update: dict[str, Any]) -> None:
        self.tasks.append(asyncio.create_task(self._deliver(path, {header: secret}, update)))

    async def _deliver(self, path: str, headers: dict[str, str], update: dict[str, Any]) -> None:
        while True:
            self.attempts += 1
            try:
                response = await self.client.post(path, json=update, headers=headers)
                if response.status_code == 200:
                    return
            except httpx.TransportError:
                pass  # the process is down (or died mid-request): deliver again
            await asyncio.sleep(0.05)

    async def close(self) -> None:
        for task in self.tasks:
            task.cancel()
        await asyncio.gather(*self.tasks, return_exceptions=True)
        await self.client.aclose()


@dataclass
class Chat:
    channel: str  # "telegram" | "zalo-bot"
    id: str
    sent: Callable[[], list[str]] = field(repr=False)


def _chats(bot: ServeProcess, count: int) -> list[Chat]:
    chats = []
    for n in range(count):
        if n % 2 == 0:
            chat_id = str(800_000 + n)
            chats.append(Chat("telegram", chat_id, lambda c=chat_id: bot.api.texts(int(c))))
        else:
            chat_id = f"zk{n}"
            chats.append(Chat("zalo-bot", chat_id, lambda c=chat_id: bot.zalo.texts(c)))
    return chats


def _update(bot: ServeProcess, chat: Chat, text: str) -> tuple[str, str, str, dict[str, Any]]:
    """(path, secret header, secret, update) for one dialogue step of `chat`."""
    if chat.channel == "telegram":
        chat_id = int(chat.id)
        update = (bot.api.callback(chat_id, text[1:]) if text.startswith("@")
                  else bot.api.message(chat_id, text))
        return ("/telegram/webhook", "X-Telegram-Bot-Api-Secret-Token", TELEGRAM_SECRET, update)
    # Zalo shows buttons as numbered choices; typing a choice's label answers it.
    return ("/zalo-bot/webhook", "X-Bot-Api-Secret-Token", ZALO_SECRET,
            bot.zalo.message(chat.id, text.removeprefix("@"), name="Lan"))


async def run_served_dialogues(bot: ServeProcess, database_url: str, chats: int, kills: int,
                               rng: random.Random, max_delay_ms: float = 80.0,
                               report: Callable[[str], None] = lambda _: None) -> Findings:
    """`chats` dialogues, half on Telegram and half on Zalo, one step at a time; the process is
    SIGKILLed `kills` times, at a random delay after a random step's delivery began."""
    people = _chats(bot, chats)
    steps = [(n, step) for n in range(chats) for step in range(len(DIALOGUE))]
    doomed = set(rng.sample(range(len(steps)), min(kills, len(steps))))
    found = Findings(chats=chats)
    deliveries = Deliveries(bot)
    db = Database(database_url)
    try:
        for index, (n, step) in enumerate(steps):
            chat = people[n]
            before = len(chat.sent())
            deliveries.push(*_update(bot, chat, DIALOGUE[step]))
            if index in doomed:
                delay = rng.uniform(0, max_delay_ms)
                await asyncio.sleep(delay / 1000)
                await bot.kill()
                found.kills += 1
                found.kill_points_ms.append(delay)
                found.in_flight += await _unsent_but_delivered(db, chat)
                await bot.start()
                report(f"kill {found.kills}: {chat.channel} chat {n} step {step} at {delay:.0f} ms")
            try:
                await _wait(lambda c=chat, b=before: len(c.sent()) > b, 60)
                await _settle(chat)
            except TimeoutError:
                found.lost.append(f"{chat.channel} chat {n} step {step}")
        found.repeats = sum(_repeats(chat.sent()) for chat in people)
        found.demands = await _demands(db, people)
    finally:
        found.deliveries = deliveries.attempts
        await deliveries.close()
        await db.dispose()
    return found


@asynccontextmanager
async def seeded_postgres_database(server_url: str) -> AsyncIterator[str]:
    """A database of its own (the bot process opens it by URL alone), migrated and seeded with
    the demo catalog, dropped afterwards."""
    name = f"ketnoi_kill_{uuid.uuid4().hex[:10]}"
    admin = create_async_engine(server_url, isolation_level="AUTOCOMMIT")
    async with admin.connect() as conn:
        await conn.execute(text(f'CREATE DATABASE "{name}"'))
    url = make_url(server_url).set(database=name).render_as_string(hide_password=False)
    db = Database(url)
    try:
        await db.upgrade()
        async with db.session() as s:
            await seed(s)
            await s.commit()
        await db.dispose()
        yield url
    finally:
        await db.dispose()
        async with admin.connect() as conn:
            await conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        await admin.dispose()


async def _wait(predicate: Callable[[], bool], timeout: float) -> None:
    async with asyncio.timeout(timeout):
        while not predicate():
            await asyncio.sleep(0.02)


async def _settle(chat: Chat) -> None:
    """Wait until the chat got nothing new for a moment (a step may have several replies)."""
    seen = -1
    while len(chat.sent()) != seen:
        seen = len(chat.sent())
        await asyncio.sleep(0.15)


async def _unsent_but_delivered(db: Database, chat: Chat) -> int:
    """Replies to the chat still not recorded as sent although the fake received them."""
    async with db.session() as s:
        rows = (await s.scalars(select(OutboxMessage.payload).where(
            OutboxMessage.kind == "reply", OutboxMessage.channel == chat.channel,
            OutboxMessage.recipient == chat.id, OutboxMessage.status == "pending"))).all()
    delivered = "\n".join(chat.sent())
    texts = [str((payload or {}).get("text") or "").strip()[:60] for payload in rows]
    return sum(1 for text in texts if text and text in delivered)


async def _demands(db: Database, people: list[Chat]) -> dict[int, int]:
    async with db.session() as s:
        rows = (await s.execute(
            select(User.channel, User.external_id, func.count(Demand.id))
            .join(Demand, Demand.user_id == User.id, isouter=True)
            .group_by(User.channel, User.external_id))).all()
    counts = {(channel, external): n for channel, external, n in rows}
    return {n: counts.get((chat.channel, chat.id), 0) for n, chat in enumerate(people)}
