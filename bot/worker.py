"""The outbox sender: one loop per bot token, above the channels' `ChannelSender`s.

Everything about retries, pacing and reporting lives here once: a channel sender only says
sent / retry / blocked / failed for one message. Per token, one process sends at a time (a lease
in the database, renewed while it works); another started beside it stands by and takes over
when the lease runs out.

For each message (each part of a long one) the attempt is committed before the request and the
outcome after it, so a restart resumes exactly where the last sender stopped. Only a message
whose request was under way when the process died is in doubt: news and broadcasts are then
reported "unknown" and not sent again (a subscriber would rather miss one announcement, still
counted in the report, than get it twice); replies are sent again (at least once).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
import zlib
from collections import deque
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

from aiolimiter import AsyncLimiter

from bot.outbox_rules import Leases, Pacing, Stats, outcome_of, process_id
from bot.types import ChannelSender, Outgoing, SendResult, outgoing_from_dict
from storage.db import Database
from storage.repos import outbox, sender_leases
from storage.repos.outbox import Claimed, Outcome

__all__ = ["ChannelWorker", "Leases", "Pacing", "Stats"]

log = logging.getLogger(__name__)


@dataclass
class ChannelWorker:
    """Sends the outbox rows of one channel through `sender`, paced per bot token."""

    db: Database
    sender: ChannelSender
    lease_name: str  # one per bot token, e.g. "telegram:<bot id>"
    pacing: Pacing = field(default_factory=Pacing)
    leases: Leases = field(default_factory=Leases)
    owner: str = field(default_factory=process_id)
    lanes: int = 8  # messages in flight at once (each to different chats)
    clock: Callable[[], datetime] = field(default=lambda: datetime.now(UTC))
    stats: Stats = field(default_factory=Stats)

    def __post_init__(self) -> None:
        # Spread over the second in tenths (a message late by a few milliseconds is caught up
        # in its tenth instead of lost); the hard cap is the sliding window below.
        # A little above `rate`, so the window, not the limiter, is what holds the pace.
        tenth = max(1.0, self.pacing.rate / 10)
        self._limiter = AsyncLimiter(tenth, tenth / (self.pacing.rate * 1.05))
        # When the answer to each of the last `rate` requests came back (pending while in
        # flight; 0 for a turn given up without a request).
        self._window: deque[asyncio.Future[float]] = deque(maxlen=max(1, int(self.pacing.rate)))
        self._window_lock = asyncio.Lock()
        self._last_to_chat: dict[str, float] = {}
        self._paused_until = 0.0
        self._active = False
        self._outcomes: asyncio.Queue[tuple[Outcome, asyncio.Future[bool]] | None] = (
            asyncio.Queue())
        self._queued = 0  # claimed rows waiting in the lanes
        self._drained = asyncio.Event()  # set when that falls to half a batch: claim more
        self._parts_cache: dict[int, tuple[Outgoing, list[object]]] = {}

    @property
    def channel(self) -> str:
        return self.sender.channel

    @property
    def active(self) -> bool:
        return self._active

    async def run(self, stop: asyncio.Event) -> None:
        """Send until `stop` is set; finish the messages in flight, give the rest back."""
        await self._renew()
        renew = asyncio.create_task(self._keep_lease(stop))
        try:
            while not stop.is_set():
                if not self._active:
                    await _wait(stop, min(1.0, self.leases.sender_seconds / 3))
                    continue
                await self._send_while_active(stop)
        finally:
            renew.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await renew
            await self._stand_down()

    async def _send_while_active(self, stop: asyncio.Event) -> None:
        """Lanes by chat (one chat's messages stay in order, different chats go in parallel),
        fed with the next claimed rows before they run dry, so the pace has no gaps between
        batches; one recorder commits what they do, in order."""
        queues: list[asyncio.Queue[Claimed | None]] = [
            asyncio.Queue() for _ in range(max(1, self.lanes))]
        self._queued = 0
        recorder = asyncio.create_task(self._recorder())
        lanes = [asyncio.create_task(self._lane(queue, stop)) for queue in queues]
        try:
            await self._feed(queues, stop)
        finally:
            for queue in queues:
                queue.put_nowait(None)
            await asyncio.gather(*lanes, return_exceptions=True)
            await self._outcomes.put(None)
            await recorder
        if not stop.is_set():  # the lease was lost: what is still claimed is not ours to send
            with contextlib.suppress(Exception):
                await outbox.release_claims(self.db, self.owner)

    async def _feed(self, queues: list[asyncio.Queue[Claimed | None]],
                    stop: asyncio.Event) -> None:
        batch = max(1, self.leases.batch)
        while not stop.is_set() and self._active:
            if self._queued > batch // 2:  # enough to go on with: claim when it runs low
                self._drained.clear()
                await _wait_any(stop, self._drained, self.leases.idle_poll)
                continue
            try:
                rows = await outbox.claim(self.db, self.channel, self.owner, limit=batch,
                                          lease_seconds=self.leases.row_seconds,
                                          now=self.clock())
            except Exception:  # the database is away or not migrated yet: look again
                log.exception("could not claim outbox rows for %s", self.lease_name)
                await _wait(stop, 1.0)
                continue
            if not rows:
                await _wait(stop, self.leases.idle_poll)
                continue
            self._queued += len(rows)
            for row in rows:
                queues[zlib.crc32(row.recipient.encode()) % len(queues)].put_nowait(row)

    async def _lane(self, queue: asyncio.Queue[Claimed | None], stop: asyncio.Event) -> None:
        while (row := await queue.get()) is not None:
            self._queued -= 1
            if self._queued <= self.leases.batch // 2:
                self._drained.set()
            if stop.is_set() or not self._active:
                continue  # left claimed: given back by _stand_down, or reclaimed by the next owner
            try:
                await self.deliver(row)
            except Exception as error:  # a row that cannot be read must not stop its lane
                log.exception("could not send outbox row %s", row.id)
                self._outcome(Outcome(row.id, "failed", reason=f"error: {error!r}"[:200]))

    async def _keep_lease(self, stop: asyncio.Event) -> None:
        while not stop.is_set():
            await _wait(stop, self.leases.sender_seconds / 3)
            if not stop.is_set():
                await self._renew()

    async def _renew(self) -> None:
        try:
            lease = await sender_leases.acquire(self.db, self.lease_name, self.owner,
                                                seconds=self.leases.sender_seconds)
            # Claims of a sender that died (any token) go back once their own lease ran out;
            # those of the sender we take over from, at once.
            resumed = await outbox.reclaim_expired(self.db, self.channel, owner=lease.taken_from)
        except Exception:
            log.exception("could not renew the sender lease %s", self.lease_name)
            lease, resumed = sender_leases.Lease(False), 0
        if lease.held and not self._active:
            self.stats.takeovers += 1
            log.info("sending for %s (%s, after %s); resumed %d claimed message(s)",
                     self.lease_name, self.owner, lease.taken_from or "nobody", resumed)
        elif not lease.held and self._active:
            log.warning("lost the sender lease %s: standing by", self.lease_name)
        self._active = lease.held

    async def _stand_down(self) -> None:
        self._active = False
        with contextlib.suppress(Exception):
            await outbox.release_claims(self.db, self.owner)
            await sender_leases.release(self.db, self.lease_name, self.owner)

    async def _recorder(self) -> None:
        """Group commit, in the order things happened: an attempt is committed at once (its
        request waits for it) together with the outcomes queued before it; outcomes alone wait
        `outcome_hold` for the next attempt, so each message costs about one transaction."""
        done = False
        while not done:
            batch = [await self._outcomes.get()]
            if batch[0] is not None and batch[0][0].status != "sending":
                with contextlib.suppress(TimeoutError):
                    batch.append(await asyncio.wait_for(self._outcomes.get(),
                                                        self.leases.outcome_hold))
            while not self._outcomes.empty():
                batch.append(self._outcomes.get_nowait())
            done = None in batch
            items = [item for item in batch if item is not None]
            if not items:
                continue
            try:
                counted = await outbox.record(self.db, self.owner, [o for o, _ in items])
            except Exception:  # nothing is sent on an uncommitted attempt; rows come back later
                log.exception("could not record %d outbox outcome(s)", len(items))
                counted = [False] * len(items)
            for (_, committed), ok in zip(items, counted, strict=True):
                if not committed.done():
                    committed.set_result(ok)

    def _parts(self, row: Claimed) -> tuple[Outgoing, list[object]]:
        """The message and the parts the channel sends it in (a broadcast's rows share one)."""
        cached = self._parts_cache.get(row.broadcast_id) if row.broadcast_id else None
        if cached is not None:
            return cached
        message = outgoing_from_dict(row.payload)
        split = getattr(self.sender, "parts", None)
        parts: list[object] = list(split(message)) if split is not None else [message]
        if row.broadcast_id:
            if len(self._parts_cache) > 64:
                self._parts_cache.clear()
            self._parts_cache[row.broadcast_id] = (message, parts)
        return message, parts

    async def _send_part(self, recipient: str, part: object) -> SendResult:
        send_part = getattr(self.sender, "send_part", None)
        if send_part is None or not hasattr(self.sender, "parts"):
            assert isinstance(part, Outgoing)
            return await self.sender.send(recipient, part)
        result: SendResult = await send_part(recipient, part)
        return result

    async def deliver(self, row: Claimed) -> None:
        """Send the next part of one claimed row; its outcome goes to the next group commit."""
        _, parts = self._parts(row)
        if not parts:
            self._outcome(Outcome(row.id, "failed", reason="empty message"))
            return
        index = min(row.parts_sent, len(parts) - 1)
        wait = self._chat_wait(row.recipient)
        if wait > 0:  # this chat had a message less than a second ago: later, not now
            self._outcome(Outcome(row.id, "retry", not_before=self.clock() + timedelta(
                seconds=wait), count_attempt=False))
            return
        hand_over = getattr(self.sender, "hand_over_reply", None)
        if row.kind == "reply" and getattr(self.sender, "handover", None) is not None \
                and hand_over is not None:
            # The reply sender process sends its remaining parts, once whoever asks.
            message = outgoing_from_dict(row.payload)
            result = await self._paced(row, lambda: hand_over(row.id, row.recipient, message,
                                                              row.parts_sent))
            if result is not None:
                self._settle(row, result, 1, 1)
            return
        part = parts[index]
        result = await self._paced(row, lambda: self._send_part(row.recipient, part))
        if result is not None:
            self._settle(row, result, index + 1, len(parts))

    async def _paced(self, row: Claimed,
                     send: Callable[[], Awaitable[SendResult]]) -> SendResult | None:
        """One request in its turn: at most `rate` in any second (None: the row is no longer
        ours, nothing was sent)."""
        async with self._limiter:
            # Checked after waiting for the turn: a 429 that another lane got meanwhile pauses
            # this message too.
            while (pause := self._paused_until - time.monotonic()) > 0:
                await asyncio.sleep(pause)
            async with self._window_lock:
                # Committed before the request: a row cancelled, unsubscribed or reclaimed
                # since the claim is not ours any more and is not sent. The commit runs while
                # this turn waits for the window, so it does not slow the pace down; only the
                # next message to go is "sending" before its request is under way.
                committed = self._outcome(Outcome(row.id, "sending"))
                await self._sliding_window()
                answered: asyncio.Future[float] = asyncio.get_running_loop().create_future()
                self._window.append(answered)
            sent = False
            try:
                if not await committed:
                    return None
                sent = True
                self._last_to_chat[row.recipient] = time.monotonic()
                try:
                    return await send()
                except Exception as error:  # a sender bug must not stop the queue
                    log.exception("sender %s raised for outbox row %s", self.channel, row.id)
                    return SendResult("failed", reason=f"error: {error!r}"[:200])
            finally:
                answered.set_result(time.monotonic() if sent else 0.0)

    async def _sliding_window(self) -> None:
        if self.pacing.rate < 2 or len(self._window) < (self._window.maxlen or 1):
            return
        oldest = self._window[0]
        if not oldest.done():
            await asyncio.wait([oldest])  # that request is still in flight
        wait = oldest.result() + 1.0 + self.pacing.window_margin - time.monotonic()
        if wait > 0:
            await asyncio.sleep(wait)

    def _outcome(self, outcome: Outcome) -> asyncio.Future[bool]:
        committed: asyncio.Future[bool] = asyncio.get_running_loop().create_future()
        self._outcomes.put_nowait((outcome, committed))
        return committed

    def _chat_wait(self, recipient: str) -> float:
        last = self._last_to_chat.get(recipient)
        if last is None:
            return 0.0
        return max(0.0, last + self.pacing.chat_interval - time.monotonic())

    def _settle(self, row: Claimed, result: SendResult, done: int, parts: int) -> None:
        if result.status == "retry" and result.later is None and result.retry_after is not None:
            # A flood wait is for the whole token: every lane pauses, not just this message.
            self._paused_until = max(self._paused_until, time.monotonic() + result.retry_after)
        self._outcome(outcome_of(row, result, done, parts, channel=self.channel,
                                 pacing=self.pacing, now=self.clock(), stats=self.stats))


async def _wait(stop: asyncio.Event, seconds: float) -> None:
    with contextlib.suppress(TimeoutError):
        await asyncio.wait_for(stop.wait(), seconds)


async def _wait_any(stop: asyncio.Event, event: asyncio.Event, seconds: float) -> None:
    """Until either event is set, or `seconds` at most."""
    waits = [asyncio.create_task(stop.wait()), asyncio.create_task(event.wait())]
    try:
        await asyncio.wait(waits, timeout=seconds, return_when=asyncio.FIRST_COMPLETED)
    finally:
        for task in waits:
            task.cancel()
