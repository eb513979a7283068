"""Kill runs: a real `ketnoi run telegram` process SIGKILLed at random points of demand dialogues.

Used by the kill tests (tests/bot/telegram/test_*kill*.py: `killable_bot` starts the process on a
copy of the seeded database, `line_update` turns a dialogue line into an update, `kill_and_restart`
kills it a random instant after an update) and, with a bigger budget, by benchmarks/kill_bench.py. The fake Bot API behaves as Telegram does for polling: an update stays
pending until a later getUpdates confirms it by its offset, so an update the killed process had
not yet stored is delivered again to the restarted one.

A message whose sendMessage reached Telegram while its "sent" record was not yet committed cannot
be told apart from one that never left (the Bot API has no idempotency key), so a kill exactly
there sends it twice; every repeat must be explained by such a kill ("in flight").
"""

from __future__ import annotations

import asyncio
import os
import random
import re
import sqlite3
import sys
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from tests.bot.fake_telegram import TOKEN, FakeTelegram
from tests.bot.telegram.server import BackgroundServer
from tests.handlers.chat import copy_db

ROOT = Path(__file__).resolve().parents[3]
# A find-technology demand from the first message to "Xác nhận" ("@" presses a button).
DIALOGUE = ["cty minh o bac giang can cong nghe say vai thieu, kinh phi khoang 500 trieu",
            "Công ty TNHH Minh Phát", "0912345678", "@Đồng ý", "@Xác nhận"]
CONFIRMED = "nhu cầu số"


@dataclass
class Findings:
    kills: int = 0
    kill_points_ms: list[float] = field(default_factory=list)
    in_flight: int = 0  # replies delivered whose "sent" record the kill prevented
    repeats: int = 0  # a reply delivered twice in a row to one chat
    lost: list[str] = field(default_factory=list)  # dialogue steps never answered
    demands: dict[int, int] = field(default_factory=dict)  # chat → confirmed demands stored
    chats: int = 0
    deliveries: int = 0  # webhook POSTs, counting those repeated until answered 200

    def summary(self) -> str:
        points = sorted(self.kill_points_ms)
        spread = (f"{points[0]:.0f}-{points[-1]:.0f} ms after an update" if points else "none")
        twice = sum(1 for n in self.demands.values() if n != 1)
        return (f"{self.chats} dialogues, {self.kills} kills ({spread}); lost steps: "
                f"{len(self.lost)}; demands stored other than once: {twice}; replies repeated: "
                f"{self.repeats} (in flight at a kill: {self.in_flight})"
                + (f"; webhook deliveries: {self.deliveries}" if self.deliveries else ""))


class BotProcess:
    """`ketnoi run telegram` on one database against the fake API; killed and restarted.

    The processes are forked by `tests.bot.telegram.zygote`, which has imported the bot already,
    so a restart costs the bot's own start (database, NLU model, getMe), not the imports."""

    def __init__(self, db_path: Path, api_url: str, api: FakeTelegram) -> None:
        self.api = api
        self.env = {**os.environ, "KETNOI_DATABASE_URL": f"sqlite+aiosqlite:///{db_path}",
                    "KETNOI_TELEGRAM_TOKEN": TOKEN, "KETNOI_TELEGRAM_API_URL": api_url,
                    "KETNOI_LOG_LEVEL": "WARNING"}
        self.log = open(db_path.with_suffix(".log"), "ab")  # noqa: SIM115 (kept for all runs)
        self.zygote: asyncio.subprocess.Process | None = None
        self.pid: int | None = None

    async def _command(self, line: str) -> str:
        if self.zygote is None:
            self.zygote = await asyncio.create_subprocess_exec(
                sys.executable, "-m", "tests.bot.telegram.zygote", cwd=ROOT, env=self.env,
                stdin=asyncio.subprocess.PIPE, stdout=asyncio.subprocess.PIPE, stderr=self.log)
        assert self.zygote.stdin is not None and self.zygote.stdout is not None
        self.zygote.stdin.write(f"{line}\n".encode())
        await self.zygote.stdin.drain()
        return (await asyncio.wait_for(self.zygote.stdout.readline(), 120)).decode().strip()

    async def start(self) -> None:
        """Start a bot process and wait until it polls (its first getUpdates)."""
        polls = len(self.api.calls_to("getUpdates"))
        self.pid = int(await self._command("start"))
        await self.api.wait_for(lambda: len(self.api.calls_to("getUpdates")) > polls,
                                timeout=120)

    async def kill(self) -> None:
        if self.pid is not None:
            await self._command(f"kill {self.pid}")
            self.pid = None

    async def stop(self) -> None:
        if self.pid is not None:
            await self._command(f"stop {self.pid}")
            self.pid = None
        if self.zygote is not None:
            if self.zygote.stdin is not None:
                self.zygote.stdin.close()
            await asyncio.wait_for(self.zygote.wait(), 30)
        self.log.close()


@asynccontextmanager
async def killable_bot(tmp_path: Path,
                       prepare: Callable[[str], Awaitable[None]] | None = None
                       ) -> AsyncIterator[tuple[BotProcess, Path]]:
    """A started bot process on a copy of the seeded database (given to `prepare(url)` first),
    against a fake Bot API that, as Telegram, redelivers updates getUpdates did not confirm."""
    api = FakeTelegram()
    api.confirm_by_offset = True
    server = BackgroundServer(api.app)
    url = await server.start()
    db_path = tmp_path / "ketnoi.db"
    db_url = copy_db(db_path)
    process = BotProcess(db_path, url, api)
    try:
        if prepare is not None:
            await prepare(db_url)
        await process.start()
        yield process, db_path
    finally:
        await process.stop()
        await api.close()
        await server.stop()


def line_update(api: FakeTelegram, chat_id: int, line: str) -> dict[str, Any]:
    """A dialogue line as an update: "@label" presses the button so labelled."""
    return api.callback(chat_id, line[1:]) if line.startswith("@") else api.message(chat_id, line)


async def kill_and_restart(bot: BotProcess, rng: random.Random, max_delay_ms: float = 80.0,
                           while_down: Callable[[], None] = lambda: None) -> float:
    """SIGKILL the bot 0-`max_delay_ms` ms from now (an update was just pushed), call
    `while_down()`, start it again; returns the delay in ms."""
    delay = rng.uniform(0, max_delay_ms)
    await asyncio.sleep(delay / 1000)
    await bot.kill()
    while_down()
    await bot.start()
    return delay


def _same(text: str) -> str:
    return re.sub(r"\d+", "#", text)  # demand numbers differ from chat to chat


def _unsent_but_delivered(db_path: Path, chat_id: int, delivered: list[str]) -> int:
    """Replies to the chat still not recorded as sent although the fake received them."""
    with sqlite3.connect(db_path) as conn:
        rows = conn.execute("SELECT payload FROM outbox WHERE kind = 'reply' AND recipient = ? "
                            "AND status = 'pending'", (str(chat_id),)).fetchall()
    import json

    texts = set(delivered)
    return sum(1 for (payload,) in rows if json.loads(payload).get("text") in texts)


async def run_dialogues(bot: BotProcess, db_path: Path, chats: int, kills: int,
                        rng: random.Random, max_delay_ms: float = 80.0,
                        report: Callable[[str], None] = lambda _: None) -> Findings:
    """Run `chats` dialogues one after another, killing the bot after `kills` random steps."""
    api = bot.api
    steps = [(chat, step) for chat in range(chats) for step in range(len(DIALOGUE))]
    doomed = set(rng.sample(range(len(steps)), min(kills, len(steps))))
    found = Findings(chats=chats)
    for index, (chat, step) in enumerate(steps):
        chat_id = 700_000 + chat
        before = len(api.sent(chat_id))
        await api.push(line_update(api, chat_id, DIALOGUE[step]))
        if index in doomed:
            def count_in_flight(c: int = chat_id) -> None:  # before the restart resends them
                found.in_flight += _unsent_but_delivered(db_path, c, api.texts(c))

            delay = await kill_and_restart(bot, rng, max_delay_ms, count_in_flight)
            found.kills += 1
            found.kill_points_ms.append(delay)
            report(f"kill {found.kills}: chat {chat} step {step} at {delay:.0f} ms")
        try:
            await api.wait_for(lambda c=chat_id, b=before: len(api.sent(c)) > b, timeout=60)
            await _settle(api, chat_id)
        except TimeoutError:
            found.lost.append(f"chat {chat} step {step}")
    found.repeats = sum(_repeats(api.texts(700_000 + chat)) for chat in range(chats))
    found.demands = _demands(db_path, chats)
    return found


async def _settle(api: FakeTelegram, chat_id: int) -> None:
    """Wait until the chat got nothing new for a moment (a step may have several replies)."""
    seen = -1
    while len(api.sent(chat_id)) != seen:
        seen = len(api.sent(chat_id))
        await asyncio.sleep(0.15)


def _repeats(texts: list[str]) -> int:
    return sum(1 for a, b in zip(texts, texts[1:], strict=False) if _same(a) == _same(b))


def _demands(db_path: Path, chats: int) -> dict[int, int]:
    with sqlite3.connect(db_path) as conn:
        rows = conn.execute(
            "SELECT u.external_id, count(d.id) FROM users u LEFT JOIN demands d "
            "ON d.user_id = u.id WHERE u.channel = 'telegram' GROUP BY u.external_id").fetchall()
    counts = {int(external): n for external, n in rows}
    return {chat: counts.get(700_000 + chat, 0) for chat in range(chats)}
