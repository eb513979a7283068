"""Outbound reliability: every Bot API call the adapter makes goes through `ReliableSender`.

429 → wait `retry_after` and retry; network errors and 5xx → bounded retries with exponential
backoff; 403 → the chat is marked blocked and nothing more is sent to it; other 4xx → no retry.
"""

from __future__ import annotations

import asyncio
import logging
import warnings
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import timedelta
from enum import StrEnum
from typing import TypeVar

from telegram.error import BadRequest, Forbidden, NetworkError, RetryAfter, TelegramError

log = logging.getLogger(__name__)

T = TypeVar("T")
Sleep = Callable[[float], Awaitable[None]]


class SendStatus(StrEnum):
    SENT = "sent"
    BLOCKED = "blocked"  # 403: the user blocked the bot (or left the chat)
    FAILED = "failed"  # gave up: retries exhausted or a request Telegram refuses (400)


@dataclass(frozen=True, slots=True)
class RetryPolicy:
    max_attempts: int = 5
    base_delay: float = 0.5  # seconds before the 2nd attempt; doubles each time
    max_delay: float = 8.0
    max_retry_after: float = 120.0  # a longer flood wait is not waited out inside one reply

    def backoff(self, attempt: int) -> float:
        return float(min(self.max_delay, self.base_delay * (2 ** (attempt - 1))))


def retry_after_seconds(error: RetryAfter) -> float:
    with warnings.catch_warnings():  # PTB 22 warns that the type will become timedelta
        warnings.simplefilter("ignore")
        value = error.retry_after
    return value.total_seconds() if isinstance(value, timedelta) else float(value)


@dataclass(slots=True)
class Outcome:
    status: SendStatus
    attempts: int
    error: TelegramError | None = None


class ReliableSender:
    """Runs one Bot API call with the retry rules above; never raises TelegramError."""

    def __init__(self, policy: RetryPolicy | None = None, sleep: Sleep = asyncio.sleep,
                 give_up_level: int = logging.WARNING) -> None:
        self.policy = policy or RetryPolicy()
        self._sleep = sleep
        self._give_up_level = give_up_level  # the outbox retries above it: INFO there
        self.blocked: set[str] = set()  # chat ids that answered 403

    def unblock(self, chat_id: str) -> None:
        self.blocked.discard(chat_id)

    async def call(self, chat_id: str, action: Callable[[], Awaitable[object]]) -> Outcome:
        if chat_id in self.blocked:
            return Outcome(SendStatus.BLOCKED, 0)
        attempt = 0
        while True:
            attempt += 1
            try:
                await action()
                return Outcome(SendStatus.SENT, attempt)
            except Forbidden as error:
                log.info("chat %s blocked the bot: %s", chat_id, error)
                self.blocked.add(chat_id)
                return Outcome(SendStatus.BLOCKED, attempt, error)
            except TelegramError as error:
                delay = self._delay_for(error, attempt)
                if delay is None:
                    log.log(self._give_up_level,
                            "giving up on chat %s after %d attempt(s): %r", chat_id, attempt,
                            error)
                    return Outcome(SendStatus.FAILED, attempt, error)
                log.info("retrying chat %s in %.2fs after %r", chat_id, delay, error)
                await self._sleep(delay)

    def _delay_for(self, error: TelegramError, attempt: int) -> float | None:
        """Seconds to wait before retrying, or None when the call must not be retried."""
        if attempt >= self.policy.max_attempts:
            return None
        if isinstance(error, RetryAfter):
            wait = retry_after_seconds(error)
            return wait if wait <= self.policy.max_retry_after else None
        if isinstance(error, BadRequest):  # BadRequest subclasses NetworkError but never heals
            return None
        if isinstance(error, NetworkError):  # connection errors, timeouts and 5xx
            return self.policy.backoff(attempt)
        return None
