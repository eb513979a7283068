"""What the fake Bot API saw: every call recorded, Telegram's flood control, and the queries
tests make on them (messages sent to a chat, waiting until something arrived)."""

from __future__ import annotations

import asyncio
import contextlib
import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any


@dataclass
class Call:
    method: str
    params: dict[str, Any]
    status: int = 200
    at: float = field(default_factory=time.perf_counter)

    @property
    def chat_id(self) -> str:
        return str(self.params.get("chat_id", ""))


@dataclass
class RateLimits:
    """Telegram's flood control as the fake enforces it on sendMessage: at most `overall`
    messages in any second and one message per `chat_interval` seconds to a chat; beyond that
    the answer is 429 with retry_after, and the message is not delivered."""

    overall: int = 30
    chat_interval: float = 1.0
    retry_after: int = 1
    accepted: deque[float] = field(default_factory=deque)
    last_to_chat: dict[str, float] = field(default_factory=dict)
    refused: int = 0

    def refuse(self, chat_id: str) -> bool:
        now = time.monotonic()
        while self.accepted and self.accepted[0] <= now - 1.0:
            self.accepted.popleft()
        last = self.last_to_chat.get(chat_id)
        if len(self.accepted) >= self.overall or (
                last is not None and now - last < self.chat_interval):
            self.refused += 1
            return True
        self.accepted.append(now)
        self.last_to_chat[chat_id] = now
        return False


class Recording:
    """The calls the fake answered, and the test-side questions about them."""

    def __init__(self) -> None:
        self.calls: list[Call] = []
        self._changed: asyncio.Condition | None = None

    @property
    def changed(self) -> asyncio.Condition:
        if self._changed is None:
            self._changed = asyncio.Condition()
        return self._changed

    async def _notify(self) -> None:
        async with self.changed:
            self.changed.notify_all()

    def calls_to(self, method: str) -> list[Call]:
        return [c for c in self.calls if c.method == method]

    def sent(self, chat_id: int | str | None = None) -> list[Call]:
        """Successful sendMessage calls (to one chat when given)."""
        return [
            c
            for c in self.calls_to("sendMessage")
            if c.status == 200 and (chat_id is None or c.chat_id == str(chat_id))
        ]

    def files(self, method: str, chat_id: int | str | None = None) -> list[Call]:
        """Successful sendPhoto / sendDocument calls; `params[field]` is an `Upload`."""
        return [c for c in self.calls_to(method)
                if c.status == 200 and (chat_id is None or c.chat_id == str(chat_id))]

    def texts(self, chat_id: int | str) -> list[str]:
        return [c.params["text"] for c in self.sent(chat_id)]

    def delivered(self) -> dict[str, int]:
        """How many messages each chat received (successful sendMessage calls)."""
        out: dict[str, int] = {}
        for call in self.sent():
            out[call.chat_id] = out.get(call.chat_id, 0) + 1
        return out

    async def wait_for(self, predicate: Callable[[], bool], timeout: float = 15.0) -> None:
        """Wait until `predicate()` holds (a safety bound, not a speed assertion).

        Woken by every API call, and re-checked every 20 ms for state outside the fake
        (what the core recorded, for instance).
        """
        loop = asyncio.get_running_loop()
        deadline = loop.time() + timeout
        async with self.changed:
            while not predicate():
                if loop.time() > deadline:
                    raise TimeoutError("condition not reached")
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(self.changed.wait(), 0.02)

    async def wait_sent(self, chat_id: int, count: int = 1) -> list[str]:
        await self.wait_for(lambda: len(self.sent(chat_id)) >= count)
        return self.texts(chat_id)
