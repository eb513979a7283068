"""One channel's turns in each chat's order across processes (Telegram, Zalo Bot, Zalo OA alike).

With several bot processes (`ketnoi serve --workers N`, or several servers) on PostgreSQL, two
updates of one chat may reach two processes, and a process may die between storing an update,
committing its turn and sending the turn's replies. `ChannelTurns` is what every channel adapter
runs an update through:

- `handle`: hold the chat across processes (`bot.ordering.ChatOrder`), send the chat's replies
  another process committed but never sent, handle the chat's earlier stored updates nobody
  handled yet, then the update itself; so replies come in the order the chat's updates were
  written (Telegram's update ids) or stored (Zalo's ids carry no order), each once (exactly-once
  turns make a second attempt a duplicate);
- `start_sweep`: every few seconds, send the replies of chats that went quiet after their
  process died, and take over updates stored but not handled in time (the chat's last ones);
- `resume`: at start, what a previous run left (`bot.intake.resume`).

One process (SQLite, or no cross-process lock) keeps the fast path: no lock, no sweep.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Awaitable, Callable
from typing import Any

from bot.intake import SendTo, resume
from bot.ordering import ChatOrder

log = logging.getLogger(__name__)

# How often to look for what a dead process left, how old it must be (its process had that long
# to finish it), and when an update queued here but still not handled is queued again.
SWEEP_EVERY_S = 5.0
STALE_AFTER_S = 10.0
REQUEUE_AFTER_S = 60.0

# A stored update (id, raw JSON) handed back to the adapter: handled now, or queued.
Stored = Callable[[str, Any], Awaitable[None] | None]


class ChannelTurns:
    """`core`: `bot.app.App` (or a test double: without `order`, everything is the fast path);
    `send_to(chat, replies)`: the adapter's one way of sending a chat's replies."""

    def __init__(self, core: Any, channel: str, send_to: SendTo) -> None:
        self.core = core
        self.channel = channel
        self.send_to = send_to
        self._sweeper: asyncio.Task[None] | None = None

    @property
    def order(self) -> ChatOrder | None:
        order = getattr(self.core, "order", None)
        return order if order is not None and order.across_processes else None

    async def handle(self, chat: str | None, update_id: str,
                     handle_one: Callable[[], Awaitable[None]], handle_stored: Stored) -> None:
        """Run `handle_one` for update `update_id` of `chat`; with several processes while
        holding the chat, after its unsent replies and its earlier stored updates (each given to
        `handle_stored(update_id, raw)`, which handles it before returning)."""
        order = self.order
        if order is None or not chat:
            await handle_one()
            return
        async with order.hold(self.channel, chat, update_id) as earlier:
            await self.core.resend_pending_to(self.channel, chat, self.send_to)
            for stored_id, raw in earlier:
                await _quietly(handle_stored(stored_id, raw), self.channel, stored_id)
            await handle_one()

    async def resume(self, queue: Stored) -> tuple[int, int]:
        """At start: replies a previous run committed but did not send, then the updates it
        stored but did not handle (given to `queue`)."""
        return await resume(self.core, self.channel, self.send_to, queue)

    async def start(self, submit: Callable[[dict[str, Any], str], None]) -> None:
        """A channel's start: `resume`, then `start_sweep`; each stored update that is a JSON
        object is given to `submit(update, update_id)`."""
        def queue(update_id: str, raw: Any) -> None:
            if isinstance(raw, dict):
                submit(raw, update_id)

        await self.resume(queue)
        self.start_sweep(queue)

    def start_sweep(self, queue: Stored) -> None:
        """With several processes, sweep every few seconds until `stop` (see `sweep`)."""
        order = self.order
        if order is not None and self._sweeper is None:
            self._sweeper = asyncio.create_task(self._sweep_forever(order, queue))

    async def stop(self) -> None:
        if self._sweeper is not None:
            self._sweeper.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._sweeper
            self._sweeper = None

    async def _sweep_forever(self, order: ChatOrder, queue: Stored) -> None:
        queued: dict[str, float] = {}  # update id → when this process queued it
        while True:
            await asyncio.sleep(SWEEP_EVERY_S)
            await self.sweep(order, queue, queued)

    async def sweep(self, order: ChatOrder, queue: Stored, queued: dict[str, float]) -> None:
        """Take over what a process that died left and the chat's next update would take, if
        the chat wrote again: replies committed but not recorded as sent, then updates stored
        but not handled (given to `queue`, once per `REQUEUE_AFTER_S`)."""
        try:
            resent = await self.core.resend_pending(self.channel, self.send_to,
                                                    stale_after=STALE_AFTER_S)
        except Exception:
            log.exception("%s: could not resend replies left unsent", self.channel)
        else:
            if resent:
                log.info("%s: sent %d replies another process left unsent", self.channel, resent)
        if order.backlogged():
            # Its own queued updates look like a dead process's; a dead one's are taken by its
            # restart, by the chat's next update, or by the next sweep once this one keeps up.
            return
        try:
            stale = await order.orphans(self.channel, STALE_AFTER_S)
        except Exception:
            log.exception("%s: could not look for orphaned updates", self.channel)
            return
        now = asyncio.get_running_loop().time()
        for update_id in [k for k, t in queued.items() if now - t >= REQUEUE_AFTER_S]:
            del queued[update_id]
        taken = 0
        for update_id, raw in stale:
            if update_id in queued:
                continue
            queued[update_id] = now
            taken += 1
            await _quietly(queue(update_id, raw), self.channel, update_id)
        if taken:
            log.info("%s: took over %d stored updates not handled in time", self.channel, taken)


async def _quietly(step: Awaitable[None] | None, channel: str, update_id: str) -> None:
    """One stored update's failure must not keep the chat's next ones from being handled."""
    if step is None:
        return
    try:
        await step
    except Exception:
        log.exception("%s: failed to handle stored update %s", channel, update_id)
