"""A worker's side of the reply sender (`bot.reply_sender`): hand replies over, wait for the answer.

One Unix connection per worker carries the requests of all its chats (answers come back by
request id, in any order). When the sender process is down (killed, restarting) a request waits
for it: the connection is made again with backoff, up to `patience` seconds, and the same request
is handed over again, which is safe because the sender sends a reply id once. A worker never
sends a reply itself when the sender cannot be reached: its rows stay pending and the resend
paths hand them over later. Nor does it wait for an answer forever (it holds the chat's lock
meanwhile): past `answer_within` the replies are left pending the same way.
"""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import logging
import os
from typing import Any

from bot.reply_frames import FrameError, encode, read_frame, result_from_dict
from bot.types import SendResult

log = logging.getLogger(__name__)

SOCKET_ENV = "KETNOI_REPLY_SENDER_SOCKET"  # set by `ketnoi serve --workers N` for its workers
PATIENCE_S = 30.0
BACKOFF_S = (0.02, 1.0)  # the first wait, the longest one
# Longer than the sender can take for one request (a part's retries, or one flood wait of up to
# two minutes): past it the sender is taken to have lost the request.
ANSWER_WITHIN_S = 180.0


class SenderUnavailable(Exception):
    """The reply sender could not be reached within the patience, or did not answer."""


class ReplyHandover:
    def __init__(self, path: str, *, patience: float = PATIENCE_S,
                 answer_within: float = ANSWER_WITHIN_S) -> None:
        self.path = path
        self.patience = patience
        self.answer_within = answer_within
        self._ids = itertools.count(1)
        self._writer: asyncio.StreamWriter | None = None
        self._reader_task: asyncio.Task[None] | None = None
        self._waiting: dict[int, asyncio.Future[dict[str, Any]]] = {}
        self._connecting = asyncio.Lock()

    @classmethod
    def from_environment(cls) -> ReplyHandover | None:
        path = os.environ.get(SOCKET_ENV)
        return cls(path) if path else None

    async def send(self, channel: str, chat: str, user: str,
                   replies: list[tuple[int | None, list[dict[str, Any]]]],
                   apology: str | None = None) -> list[SendResult]:
        """Hand a chat's replies over ((outbox row id, parts) each, in order); one result per
        reply. Raises SenderUnavailable after `patience` without the sender, or when it does not
        answer within `answer_within`."""
        request = {"channel": channel, "chat": chat, "user": user, "apology": apology,
                   "replies": [{"ref": ref, "parts": parts} for ref, parts in replies]}
        loop = asyncio.get_running_loop()
        deadline = loop.time() + self.patience
        delay = BACKOFF_S[0]
        while True:
            try:
                answer = await self._exchange(request)
                break
            except (OSError, ConnectionError, FrameError) as error:
                if loop.time() + delay > deadline:
                    raise SenderUnavailable(f"reply sender unreachable: {error!r}") from error
                log.info("reply sender unreachable (%r): handing over again in %.2fs", error,
                         delay)
                await asyncio.sleep(delay)
                delay = min(BACKOFF_S[1], delay * 2)
        if "error" in answer:
            raise ValueError(f"reply sender refused the request: {answer['error']}")
        results = [result_from_dict(r) for r in answer.get("results") or []
                   if isinstance(r, dict)]
        if len(results) != len(replies):
            raise ValueError("reply sender answered with the wrong number of results")
        return results

    async def _exchange(self, request: dict[str, Any]) -> dict[str, Any]:
        writer = await self._connection()
        ident = next(self._ids)
        answered: asyncio.Future[dict[str, Any]] = asyncio.get_running_loop().create_future()
        self._waiting[ident] = answered
        try:
            writer.write(encode({**request, "id": ident}))
            await writer.drain()
            try:
                return await asyncio.wait_for(answered, self.answer_within)
            except TimeoutError:  # an OSError: it must not be taken for a lost connection
                log.warning("reply sender did not answer request %d (chat %s) within %.0fs: "
                            "its replies stay pending", ident, request.get("chat"),
                            self.answer_within)
                raise SenderUnavailable("the reply sender did not answer") from None
        finally:
            self._waiting.pop(ident, None)

    async def _connection(self) -> asyncio.StreamWriter:
        async with self._connecting:
            if self._writer is not None and not self._writer.is_closing():
                return self._writer
            reader, writer = await asyncio.open_unix_connection(self.path)
            self._writer = writer
            self._reader_task = asyncio.create_task(self._read_answers(reader, writer))
            return writer

    async def _read_answers(self, reader: asyncio.StreamReader,
                            writer: asyncio.StreamWriter) -> None:
        error: Exception = ConnectionError("the reply sender closed the connection")
        try:
            while (answer := await read_frame(reader)) is not None:
                if answer.get("id") is None:  # a frame of ours it could not read: whose?
                    raise FrameError(f"reply sender could not read a request: "
                                     f"{answer.get('error')}")
                waiting = self._waiting.get(answer.get("id"))  # type: ignore[arg-type]
                if waiting is not None and not waiting.done():
                    waiting.set_result(answer)
        except (FrameError, OSError) as failure:
            error = ConnectionError(f"reply sender connection: {failure!r}")
        finally:
            if self._writer is writer:
                self._writer = None
            writer.close()
            # Every request on this connection is handed over again on the next one.
            for waiting in list(self._waiting.values()):
                if not waiting.done():
                    waiting.set_exception(error)

    async def aclose(self) -> None:
        if self._writer is not None:
            self._writer.close()
            self._writer = None
        if self._reader_task is not None:
            self._reader_task.cancel()
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await self._reader_task
