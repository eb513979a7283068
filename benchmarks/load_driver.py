"""The load test's users and Telegram: the fake Bot API, the webhook poster and the dialogues.

The fake Bot API runs in a process of its own (`load_bot_api`) and streams every call it answers
to this one, with its time; this process posts each user's updates to the bot's webhook
(`load_webhook`: posting again, as Telegram does, only while no process answers 200). Each user
holds one dialogue and, at each step, waits until the replies the same dialogue gave when run
alone have all arrived (up to a patience), so neither a slow reply nor a repeated one makes the
dialogue drift. `killer` SIGKILLs a serving worker every few seconds.
"""

from __future__ import annotations

import asyncio
import json
import os
import random
import re
import sys
import time
from collections import Counter
from dataclasses import dataclass, field
from typing import Any

from benchmarks.load_dialogues import SCRIPTS, fill, steps_of
from benchmarks.load_webhook import LeanWebhook
from tests.bot.fake_telegram import Call, FakeTelegram
from tests.bot.telegram.serving import ROOT, ServeProcess


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
    """The fake Bot API (its own process: `load_bot_api`) and the webhook poster; the replies
    streamed from the fake, recorded per chat with their time."""

    def __init__(self, keep_calls: bool = False, profile: str | None = None) -> None:
        self.updates = FakeTelegram()  # only to build updates as Telegram would post them
        self.process: asyncio.subprocess.Process | None = None
        self.replies: dict[str, list[tuple[float, str]]] = {}
        self.normalised: dict[str, list[str]] = {}  # the replies' texts as `same` gives them
        # every reply as sent (text and buttons): the same bytes twice is the same reply sent
        # twice, whatever the dialogue did meanwhile
        self.seen: dict[str, Counter[str]] = {}
        self.first_sent: dict[tuple[str, str], float] = {}
        self.repeats: list[tuple[float, float]] = []  # (first, second) time of each repeat
        self.keyboards: dict[str, Call] = {}  # each chat's latest message with buttons
        self.arrived: dict[str, asyncio.Event] = {}
        self.calls: list[list[Any]] | None = [] if keep_calls else None  # for `--logs`
        self.profile = profile
        self.hook: LeanWebhook | None = None
        self._reading: asyncio.Task[None] | None = None

    async def start(self) -> str:
        """Start the fake Bot API process; returns its URL."""
        command = [sys.executable, "-m", "benchmarks.load_bot_api"]
        if self.profile:
            command += ["--profile", self.profile]
        self.process = await asyncio.create_subprocess_exec(
            *command, cwd=ROOT, stdin=asyncio.subprocess.PIPE, stdout=asyncio.subprocess.PIPE,
            limit=1 << 20)
        assert self.process.stdout is not None
        first = await asyncio.wait_for(self.process.stdout.readline(), 60)
        if not first:
            raise RuntimeError("the fake Bot API did not start")
        self._reading = asyncio.create_task(self._read(self.process.stdout))
        return f"http://127.0.0.1:{json.loads(first)['port']}"

    @property
    def pid(self) -> int:
        assert self.process is not None
        return self.process.pid

    async def _read(self, stream: asyncio.StreamReader) -> None:
        rest = b""
        while chunk := await stream.read(1 << 16):
            *lines, rest = (rest + chunk).split(b"\n")
            for line in lines:
                self._seen(json.loads(line))

    def _seen(self, call: list[Any]) -> None:
        at, method, chat, status, message_id, text, markup, key = call
        if self.calls is not None:
            self.calls.append(call)
        if key is None:  # not a reply
            return
        self.replies.setdefault(chat, []).append((at, text))
        self.normalised.setdefault(chat, []).append(same([text])[0])
        seen = self.seen.setdefault(chat, Counter())
        if seen[key]:
            self.repeats.append((self.first_sent[(chat, key)], at))
        else:
            self.first_sent[(chat, key)] = at
        seen[key] += 1
        if (markup or {}).get("inline_keyboard"):
            self.keyboards[chat] = Call(method, {"_message_id": message_id, "text": text,
                                                 "reply_markup": markup}, status, at)
        event = self.arrived.get(chat)
        if event is not None:
            event.set()

    def update_for(self, chat_id: int, line: str) -> dict[str, Any]:
        if not line.startswith("@"):
            return self.updates.message(chat_id, line)
        label = line[1:]
        call = self.keyboards.get(str(chat_id))
        if call is None:
            return self.updates.message(chat_id, label)
        buttons = [b for row in call.params["reply_markup"]["inline_keyboard"] for b in row]
        chosen = next((b for b in buttons if b["text"] == label), buttons[0])
        return self.updates._callback(chat_id, call, chosen["callback_data"])

    async def step(self, chat_id: int, lines: list[str], record: ChatRecord,
                   timeout: float, expect: list[str] | None = None) -> None:
        """Post the step's lines, then wait for its first reply (timed) and for the replies
        `expect`ed (the user reads the question before answering it; without `expect`, one)."""
        assert self.hook is not None
        key = str(chat_id)
        event = self.arrived.setdefault(key, asyncio.Event())
        before = len(self.replies.get(key, []))
        wanted = Counter(same(expect)) if expect else None
        event.clear()
        started = time.monotonic()
        for line in lines:
            try:  # posted again only while no process answers 200 (a worker is down)
                await self.hook.post(self.update_for(chat_id, line), deadline=timeout)
            except TimeoutError:
                record.failed_posts += 1
        try:
            async with asyncio.timeout(timeout):
                while not self._complete(key, before, wanted):
                    await event.wait()
                    event.clear()
        except TimeoutError:
            pass
        if len(self.replies.get(key, [])) > before:
            record.latencies.append((self.replies[key][before][0] - started) * 1000)

    def _complete(self, key: str, before: int, wanted: Counter[str] | None) -> bool:
        got = self.normalised.get(key, [])[before:]
        if not wanted:
            return bool(got)
        # a repeated reply of an earlier step does not stand for one of this step's
        return not wanted - Counter(got)

    def window(self, chat_id: int, since: int) -> list[str]:
        return [t for _, t in self.replies.get(str(chat_id), [])[since:]]

    async def close(self) -> None:
        if self.hook is not None:
            await self.hook.close()
        if self.process is not None:
            assert self.process.stdin is not None
            self.process.stdin.close()  # the fake ends when its stdin closes
            await asyncio.wait_for(self.process.wait(), 30)
        if self._reading is not None:
            await self._reading


async def dialogue(tg: Telegram, chat_id: int, scenario: str, think: tuple[float, float],
                   rng: random.Random, timeout: float, quiet: float = 0.0,
                   reference: list[list[str]] | None = None) -> ChatRecord:
    record = ChatRecord(scenario)
    steps = steps_of(fill(SCRIPTS[scenario], random.Random(chat_id)))
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
                kills.append(time.monotonic())
            except ProcessLookupError:
                pass


async def _within(waiting: Any, seconds: float) -> bool:
    try:
        await asyncio.wait_for(waiting, seconds)
        return True
    except TimeoutError:
        return False
