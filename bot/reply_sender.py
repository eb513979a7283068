"""The reply sender: the one process of `ketnoi serve --workers N` that sends chat replies.

Why a process of its own: between the platform taking a message and the outbox recording it
"sent", the process that talks to the platform must not die, or nobody can tell whether the
message arrived (the Bot API has no idempotency key) and it is sent again. Workers are killed
with the updates they handle; this process only sends. Workers hand it the replies of a
committed turn over a Unix socket (`bot.reply_frames`) and wait for its answer, holding the
chat's lock, so a chat's replies keep their order across workers.

For each request it sends a chat's parts in order (requests of one chat one after the other),
records each reply it sent in the database as soon as it is sent (`record`, the grouped sent
marks) and answers once all are recorded. It remembers by outbox row id what it sent recently: a
reply asked for again (a worker killed while waiting, then the resend of whoever handles the chat
next, the orphan sweep or the outbox sender) waits for the send under way, or gets the recorded
result, and is not sent a second time; in its first minutes after a start it also asks the
database (`lookup`) about ids it does not remember. A kill of this process itself during a send
leaves that one message in doubt: the restarted sender sends it again (at least once).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import time
from collections import OrderedDict
from collections.abc import Awaitable, Callable
from dataclasses import replace
from typing import Any, Protocol

from bot.reply_frames import BadRequest, FrameError, encode, read_frame, result_to_dict
from bot.types import SendResult
from storage.keyed_locks import KeyedLocks

log = logging.getLogger(__name__)

KEEP_SENT_S = 120.0  # longer than any path waits before asking again (the outbox: 30 s)
Mark = tuple[int, str | None]  # (outbox row id, the platform's message id)
Record = Callable[[list[Mark]], Awaitable[None]]
# Which of these rows are recorded sent ({id: message id}): asked only in the first KEEP_SENT_S
# after a start, for ids this process does not remember (a previous one may have sent them).
Lookup = Callable[[list[int]], Awaitable[dict[int, str | None]]]


class PartSender(Protocol):
    """One channel's transport: one rendered part to one chat, retried as the channel's rules
    say, never raising."""

    async def send_part(self, chat: str, part: dict[str, Any]) -> SendResult: ...


class ReplySender:
    """Sends requests in order per chat and once per reply id (see the module's text)."""

    def __init__(self, channels: dict[str, PartSender], record: Record, *,
                 lookup: Lookup | None = None, keep_sent: float = KEEP_SENT_S,
                 clock: Callable[[], float] = time.monotonic) -> None:
        self.channels = channels
        self.record = record
        self.lookup = lookup
        self.keep_sent = keep_sent
        self.clock = clock
        self.started = clock()
        self._sent: OrderedDict[int, tuple[float, SendResult]] = OrderedDict()
        self._chats = KeyedLocks()  # requests of one chat one after the other
        self._requests: set[asyncio.Task[None]] = set()  # under way, on any connection
        self.requests = 0
        self.parts_sent = 0

    async def answer(self, request: dict[str, Any]) -> dict[str, Any]:
        """The answer to one request (an error answer for one that cannot be read)."""
        self.requests += 1
        ident = request.get("id")
        try:
            channel, chat, replies, apology = _read_request(request)
            sender = self.channels.get(channel)
            if sender is None:
                raise BadRequest(f"no sender for channel {channel!r}")
        except BadRequest as error:
            log.warning("reply sender: request %r refused: %s", ident, error)
            return {"id": ident, "error": str(error)}
        async with self._chats.hold((channel, chat)):
            results = await self._send(sender, chat, replies, apology)
        return {"id": ident, "results": [result_to_dict(r) for r in results]}

    async def _send(self, sender: PartSender, chat: str, replies: list[tuple[int | None, list[
            dict[str, Any]]]], apology: str | None) -> list[SendResult]:
        self._forget_old()
        await self._recall([ref for ref, _ in replies if ref is not None])
        results: list[SendResult] = []
        # Each reply's record starts as soon as it is sent (a kill of this process during the
        # next send then repeats that one only); all are awaited before the answer.
        marks: list[tuple[int, int, asyncio.Future[None]]] = []  # (position, ref, record)
        for ref, parts in replies:
            known = self._sent.get(ref) if ref is not None else None
            if known is not None:
                results.append(known[1])
                continue
            if results and results[-1].status == "blocked":  # nothing more reaches this chat
                results.append(SendResult("blocked", reason="blocked"))
                continue
            result = await self._send_parts(sender, chat, parts)
            if result.status == "sent" and ref is not None:
                marks.append((len(results), ref, asyncio.ensure_future(
                    self.record([(ref, result.message_id)]))))
            results.append(result)
        if apology and any(r.status in ("failed", "retry") for r in results):
            await sender.send_part(chat, {"text": apology})
        await self._remember(results, marks)
        return results

    async def _recall(self, refs: list[int]) -> None:
        """Soon after a start: what a previous sender process recorded as sent."""
        unknown = [ref for ref in refs if ref not in self._sent]
        if self.lookup is None or not unknown or self.clock() - self.started > self.keep_sent:
            return
        try:
            found = await self.lookup(unknown)
        except Exception:
            log.exception("reply sender: could not look up %d replies", len(unknown))
            return
        now = self.clock()
        for ref, message_id in found.items():
            self._sent[ref] = (now, SendResult("sent", message_id=message_id, recorded=True))

    async def _send_parts(self, sender: PartSender, chat: str,
                          parts: list[dict[str, Any]]) -> SendResult:
        result = SendResult("sent")
        message_id = reason = None
        for part in parts:
            result = await sender.send_part(chat, part)
            if result.status != "sent":
                return result
            self.parts_sent += 1
            message_id = result.message_id or message_id
            reason = result.reason or reason  # what the channel says of how it went
        return SendResult("sent", message_id=message_id, reason=reason)

    async def _remember(self, results: list[SendResult],
                        marks: list[tuple[int, int, asyncio.Future[None]]]) -> None:
        """Wait for the records of what this request sent, then remember it: a second request
        for these replies gets this result whether its record worked or not (if not, the
        worker records it)."""
        done = await asyncio.gather(*(mark for _, _, mark in marks), return_exceptions=True)
        now = self.clock()
        for (at, ref, _), outcome in zip(marks, done, strict=True):
            if isinstance(outcome, BaseException):
                log.error("reply sender: could not record reply %s as sent: %r", ref, outcome)
            results[at] = replace(results[at], recorded=not isinstance(outcome, BaseException))
            self._sent[ref] = (now, results[at])

    def _forget_old(self) -> None:
        horizon = self.clock() - self.keep_sent
        while self._sent:
            ref, (when, _) = next(iter(self._sent.items()))
            if when >= horizon:
                break
            del self._sent[ref]

    # ------------------------------------------------------------ the socket

    async def serve(self, path: str) -> asyncio.AbstractServer:
        """Listen on the Unix socket `path` (a stale file of a killed sender is replaced)."""
        with contextlib.suppress(FileNotFoundError):
            os.unlink(path)
        return await asyncio.start_unix_server(self._connection, path=path)

    async def _connection(self, reader: asyncio.StreamReader,
                          writer: asyncio.StreamWriter) -> None:
        """One worker's connection: its requests run side by side (different chats), each
        answered when done."""
        tasks: set[asyncio.Task[None]] = set()
        try:
            while True:
                try:
                    request = await read_frame(reader)
                except BadRequest as error:
                    writer.write(encode({"id": None, "error": str(error)}))
                    continue
                if request is None:
                    break
                task = asyncio.create_task(self._reply(request, writer))
                for running in (tasks, self._requests):
                    running.add(task)
                    task.add_done_callback(running.discard)
        except (FrameError, ConnectionError) as error:
            log.warning("reply sender: dropping a worker connection: %s", error)
            with contextlib.suppress(Exception):
                writer.write(encode({"id": None, "error": str(error)}))
        finally:
            # Requests under way are finished (and recorded) even if their worker is gone.
            if tasks:
                await asyncio.gather(*tasks, return_exceptions=True)
            writer.close()
            with contextlib.suppress(Exception):
                await writer.wait_closed()

    async def drain(self) -> None:
        """Until the requests under way are sent, recorded and answered."""
        while self._requests:
            await asyncio.gather(*list(self._requests), return_exceptions=True)

    async def _reply(self, request: dict[str, Any], writer: asyncio.StreamWriter) -> None:
        try:
            answer = await self.answer(request)
        except Exception as error:  # a bug here must answer, not leave the worker waiting
            log.exception("reply sender: request %r failed", request.get("id"))
            answer = {"id": request.get("id"), "error": f"sender error: {error!r}"[:200]}
        if writer.is_closing():
            return
        with contextlib.suppress(ConnectionError):
            writer.write(encode(answer))
            await writer.drain()


def _read_request(request: dict[str, Any]) -> tuple[
        str, str, list[tuple[int | None, list[dict[str, Any]]]], str | None]:
    channel, chat = request.get("channel"), request.get("chat")
    replies = request.get("replies")
    if not isinstance(channel, str) or not isinstance(chat, str) or not chat:
        raise BadRequest("channel and chat must be strings")
    if not isinstance(replies, list):
        raise BadRequest("replies must be a list")
    read: list[tuple[int | None, list[dict[str, Any]]]] = []
    for reply in replies:
        ref = reply.get("ref") if isinstance(reply, dict) else None
        parts = reply.get("parts") if isinstance(reply, dict) else None
        if not isinstance(parts, list) or not all(isinstance(p, dict) for p in parts):
            raise BadRequest("each reply needs a list of parts")
        if ref is not None and (not isinstance(ref, int) or isinstance(ref, bool)):
            raise BadRequest("a reply's ref must be an outbox row id")
        read.append((ref, parts))
    apology = request.get("apology")
    return channel, chat, read, apology if isinstance(apology, str) else None
