"""The load test's users and Telegram: the fake Bot API, the webhook poster and the dialogues.

This process plays Telegram: it serves the fake Bot API (tests/bot/fake_telegram.py), recording
every reply with its time, and posts each user's updates to the bot's webhook (posting again, as
Telegram does, only while no process answers 200). Each user holds one dialogue and, at each step,
waits until the replies the same dialogue gave when run alone have all arrived (up to a patience),
so neither a slow reply nor a repeated one makes the dialogue drift. `killer` SIGKILLs a serving
worker every few seconds.
"""

from __future__ import annotations

import asyncio
import json
import os
import random
import re
import time
from collections import Counter
from dataclasses import dataclass, field
from typing import Any

from tests.bot.fake_telegram import Call, FakeTelegram
from tests.bot.telegram.server import BackgroundServer
from tests.bot.telegram.serving import ServeProcess, Webhook

# "text": type it; "@label": press the button so labelled on the last reply (the first button
# when there is none with that label); "+text": typed right after the previous line (no reading).
SCENARIOS = {
    "demand": ["cty minh o bac giang can cong nghe say vai thieu, kinh phi khoang 500 trieu",
               "Công ty TNHH Minh Phát", "+0912345678", "@Đồng ý", "@Xác nhận"],
    "events": ["xin chào", "co hoi thao nao ve che bien nong san khong", "@1", "cảm ơn em"],
    "subscription": ["dang ky nhan tin", "@Bảo quản sau thu hoạch", "@Toàn quốc",
                     "@Mọi loại sự kiện", "@Xác nhận"],
}


def steps_of(lines: list[str]) -> list[list[str]]:
    """Lines grouped into steps: a "+" line joins the step before it."""
    steps: list[list[str]] = []
    for line in lines:
        if line.startswith("+") and steps:
            steps[-1].append(line[1:])
        else:
            steps.append([line])
    return steps


def same(texts: list[str]) -> list[str]:
    """Replies compared without their numbers (demand numbers, dates differ between chats)."""
    return [re.sub(r"\d+", "#", t) for t in texts]


@dataclass
class ChatRecord:
    scenario: str
    windows: list[list[str]] = field(default_factory=list)  # replies per step
    latencies: list[float] = field(default_factory=list)  # ms, step → its first reply
    failed_posts: int = 0


class Telegram:
    """The fake Bot API plus the webhook poster; replies recorded per chat with their time."""

    def __init__(self) -> None:
        self.api = FakeTelegram()
        self.server = BackgroundServer(self.api.app)
        self.replies: dict[str, list[tuple[float, str]]] = {}
        # every reply as sent (text and buttons): the same bytes twice is the same reply sent
        # twice, whatever the dialogue did meanwhile
        self.seen: dict[str, Counter[str]] = {}
        self.first_sent: dict[tuple[str, str], float] = {}
        self.repeats: list[tuple[float, float]] = []  # (first, second) time of each repeat
        self.arrived: dict[str, asyncio.Event] = {}
        self.api.on_call = self._seen
        self.hook: Webhook | None = None

    async def start(self) -> str:
        return await self.server.start()

    def _seen(self, call: Call) -> None:
        if call.method in ("sendMessage", "sendPhoto", "sendDocument"):
            self.replies.setdefault(call.chat_id, []).append(
                (call.at, str(call.params.get("text") or call.params.get("caption") or "")))
            sent = json.dumps({k: v for k, v in call.params.items() if not k.startswith("_")},
                              sort_keys=True, ensure_ascii=False, default=str)
            seen = self.seen.setdefault(call.chat_id, Counter())
            if seen[sent]:
                self.repeats.append((self.first_sent[(call.chat_id, sent)], call.at))
            else:
                self.first_sent[(call.chat_id, sent)] = call.at
            seen[sent] += 1
            event = self.arrived.get(call.chat_id)
            if event is not None:
                event.set()

    def update_for(self, chat_id: int, line: str) -> dict[str, Any]:
        if not line.startswith("@"):
            return self.api.message(chat_id, line)
        label = line[1:]
        for call in reversed(self.api.sent(chat_id)):
            rows = (call.params.get("reply_markup") or {}).get("inline_keyboard", [])
            buttons = [b for row in rows for b in row]
            if buttons:
                chosen = next((b for b in buttons if b["text"] == label), buttons[0])
                return self.api._callback(chat_id, call, chosen["callback_data"])
        return self.api.message(chat_id, label)

    async def step(self, chat_id: int, lines: list[str], record: ChatRecord,
                   timeout: float, expect: list[str] | None = None) -> None:
        """Post the step's lines, then wait for its first reply (timed) and for the replies
        `expect`ed (the user reads the question before answering it; without `expect`, one)."""
        assert self.hook is not None
        key = str(chat_id)
        event = self.arrived.setdefault(key, asyncio.Event())
        before = len(self.replies.get(key, []))
        event.clear()
        started = time.perf_counter()
        for line in lines:
            try:  # posted again only while no process answers 200 (a worker is down)
                await self.hook.post(self.update_for(chat_id, line), deadline=timeout)
            except TimeoutError:
                record.failed_posts += 1
        try:
            async with asyncio.timeout(timeout):
                while not self._complete(key, before, expect):
                    await event.wait()
                    event.clear()
        except TimeoutError:
            pass
        if len(self.replies.get(key, [])) > before:
            record.latencies.append((self.replies[key][before][0] - started) * 1000)

    def _complete(self, key: str, before: int, expect: list[str] | None) -> bool:
        got = [t for _, t in self.replies.get(key, [])[before:]]
        if not expect:
            return bool(got)
        # a repeated reply of an earlier step does not stand for one of this step's
        return not Counter(same(expect)) - Counter(same(got))

    def window(self, chat_id: int, since: int) -> list[str]:
        return [t for _, t in self.replies.get(str(chat_id), [])[since:]]

    async def close(self) -> None:
        if self.hook is not None:
            await self.hook.close()
        await self.api.close()
        await self.server.stop()


async def dialogue(tg: Telegram, chat_id: int, scenario: str, think: tuple[float, float],
                   rng: random.Random, timeout: float, quiet: float = 0.0,
                   reference: list[list[str]] | None = None) -> ChatRecord:
    record = ChatRecord(scenario)
    steps = steps_of(SCENARIOS[scenario])
    for n, lines in enumerate(steps):
        since = len(tg.replies.get(str(chat_id), []))
        await tg.step(chat_id, lines, record, timeout, reference[n] if reference else None)
        # reading the reply (the rest of a step's replies arrive meanwhile)
        await asyncio.sleep(quiet or rng.uniform(*think))
        if n == len(steps) - 1 and not quiet:
            await asyncio.sleep(2.0)  # the last step's later replies
        record.windows.append(tg.window(chat_id, since))
    return record


async def killer(bot: ServeProcess, every: float, rng: random.Random, stop: asyncio.Event,
                 kills: list[float], target: str = "worker") -> None:
    """SIGKILL a random worker (`target` "sender": the reply sender process) every `every`
    seconds, once every worker serves again (a worker killed while still starting would test
    the start, not a crash during the load)."""
    while not stop.is_set():
        if await _within(stop.wait(), every):
            return
        ready = asyncio.ensure_future(bot.wait_ready(timeout=600))
        stopped = asyncio.ensure_future(stop.wait())
        await asyncio.wait({ready, stopped}, return_when=asyncio.FIRST_COMPLETED)
        for task in (ready, stopped):
            task.cancel()
        if stop.is_set():
            return
        sender = bot.sender_pid() if target == "sender" else None
        pids = bot.worker_pids() if target == "worker" else [sender] if sender else []
        if pids:
            victim = rng.choice(pids)
            try:
                os.kill(victim, 9)
                kills.append(time.perf_counter())
            except ProcessLookupError:
                pass


async def _within(waiting: Any, seconds: float) -> bool:
    try:
        await asyncio.wait_for(waiting, seconds)
        return True
    except TimeoutError:
        return False
