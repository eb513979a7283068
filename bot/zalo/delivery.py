"""Delivering an answer in a conversation: the few retries a user can wait for.

Senders make one attempt and say what came of it (`SendResult`); here a reply is tried again
after a rate limit or a network error while the wait stays short, then given up (the outbox of
broadcasts has its own, longer patience).
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass

from bot.types import SendResult
from bot.zalo.convert import Message

log = logging.getLogger(__name__)

Sleep = Callable[[float], Awaitable[None]]


@dataclass(frozen=True, slots=True)
class RetryPolicy:
    max_attempts: int = 4
    base_delay: float = 1.0  # before the 2nd attempt; doubles each time
    max_delay: float = 30.0  # a longer wait is not spent inside one reply

    def backoff(self, attempt: int) -> float:
        return float(min(self.max_delay, self.base_delay * (2 ** (attempt - 1))))


async def with_retries(attempt: Callable[[], Awaitable[SendResult]], policy: RetryPolicy,
                       sleep: Sleep = asyncio.sleep, what: str = "") -> SendResult:
    """Run `attempt` until it is sent, blocked, failed, or out of patience."""
    tries = 0
    while True:
        tries += 1
        result = await attempt()
        if result.status != "retry":
            return result
        wait = result.retry_after if result.retry_after is not None else policy.backoff(tries)
        if tries >= policy.max_attempts or wait > policy.max_delay:
            log.warning("giving up %s after %d attempt(s): %s", what, tries, result.reason)
            return SendResult("failed", reason=result.reason or "retries exhausted")
        log.info("retrying %s in %.2fs: %s", what, wait, result.reason)
        await sleep(wait)


async def deliver_plan(plan: Sequence[tuple[int, Message]], count: int,
                       send: Callable[[Message], Awaitable[SendResult]],
                       apology: Message) -> list[SendResult]:
    """Send an answer's parts in order; one result per reply (sent when all its parts were).

    At a block the rest is not tried (those replies are "blocked"); when a part failed, the
    user gets `apology` once at the end, so they know something is missing.
    """
    results = [SendResult("sent") for _ in range(count)]
    for index, part in plan:
        result = await send(part)
        if result.status == "blocked":
            results[index:] = [SendResult("blocked", reason=result.reason)
                               for _ in results[index:]]
            return results
        if result.status != "sent" or results[index].status == "sent" and result.message_id:
            results[index] = result
    if any(r.status != "sent" for r in results):
        await send(apology)
    return results
