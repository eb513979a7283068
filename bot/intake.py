"""Taking updates in without losing one: shared by every channel (Telegram, Zalo Bot, Zalo OA).

The rule (see `bot.app`): an update is stored in the inbox before the platform is told it
arrived (a webhook's 200, a poll's next offset); it is handled afterwards, its effects and
replies committed together, the replies sent after the commit; at start a channel first sends
the replies a previous run committed but did not record as sent, then handles what the inbox
kept unhandled. `InboxCore` is what a channel needs from the core for that; `Webhook` is the
endpoint shape every channel's webhook shares: check who sent it, read a bounded JSON body,
store, queue, answer.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import logging
from collections.abc import Awaitable, Callable, Sequence
from typing import Any, Protocol

from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import BaseRoute, Route

from bot.types import Incoming, Outgoing, SendResult

log = logging.getLogger(__name__)

MAX_BODY = 1 << 20  # updates are a few KiB; anything near this is not from the platform
Deliver = Callable[[list[Outgoing]], Awaitable[list[SendResult]]]
SendTo = Callable[[str, list[Outgoing]], Awaitable[list[SendResult]]]


class InboxCore(Protocol):
    """What a channel needs from the dialogue core (`bot.app.App`)."""

    async def answer(self, incoming: Incoming, deliver: Deliver | None = None
                     ) -> list[Outgoing]: ...

    async def receive(self, channel: str, updates: Sequence[tuple[str, Any]],
                      chats: Sequence[str | None] | None = None) -> None: ...

    async def unhandled(self, channel: str) -> list[tuple[str, Any]]: ...

    async def ignored(self, channel: str, update_id: str) -> None: ...

    async def resend_pending(self, channel: str, send: SendTo) -> int: ...

    async def mark_user_inactive(self, channel: str, user_id: str) -> None: ...


async def resume(core: InboxCore, channel: str, send: SendTo,
                 handle: Callable[[str, Any], Awaitable[None] | None]) -> tuple[int, int]:
    """What a previous run left: replies committed but not sent, then updates stored but not
    handled (given to `handle(update_id, raw)`). Returns (replies sent, updates handed back)."""
    sent = await core.resend_pending(channel, send)
    stored = await core.unhandled(channel)
    for update_id, raw in stored:
        queued = handle(update_id, raw)
        if queued is not None:
            await queued
    if sent or stored:
        log.info("%s: resumed %d unsent replies and %d stored updates", channel, sent,
                 len(stored))
    return sent, len(stored)


def digest_id(raw: Any) -> str:
    """An id for an update that carries none usable: the same body delivered again gets the
    same id (so it is stored and answered once)."""
    text = json.dumps(raw, sort_keys=True, ensure_ascii=False, default=str)
    return "sha1:" + hashlib.sha1(text.encode("utf-8", "replace")).hexdigest()


def same_secret(given: str, expected: bytes) -> bool:
    """Constant-time comparison of a header with the configured secret."""
    return hmac.compare_digest(given.encode("utf-8", "replace"), expected)


def answer(status: int, error: str | None = None) -> JSONResponse:
    return JSONResponse({"ok": error is None, **({"error": error} if error else {})},
                        status_code=status)


class BodyTooLarge(Exception):
    pass


async def read_body(request: Request, limit: int = MAX_BODY) -> bytes:
    """The body, refused past `limit` without reading it all into memory."""
    declared = request.headers.get("content-length", "")
    if declared.isdigit() and int(declared) > limit:
        raise BodyTooLarge
    chunks, size = [], 0
    async for chunk in request.stream():
        size += len(chunk)
        if size > limit:
            raise BodyTooLarge
        chunks.append(chunk)
    return b"".join(chunks)


class Webhook:
    """POST <path>: who sent it (`refuse_request`), ready (`started`), a bounded JSON body,
    its signature (`refuse_body`), then `take` stores and queues it; the platform gets 200 only
    once the update is in the inbox (503 when it could not be stored: it will send it again).

    Subclasses set `name` and `path` and implement `take`; `take` returns None (accepted) or
    the reason the body is not an update (400, logged with the body's start; "" when `take`
    logged it already).
    """

    name = ""
    path = ""
    started = False

    def routes(self) -> list[BaseRoute]:
        return [Route(self.path, self.receive, methods=["POST"])]

    def status(self) -> str:
        return "running" if self.started else "stopped"

    async def start(self) -> None:
        self.started = True

    async def stop(self) -> None:
        self.started = False

    def refuse_request(self, request: Request) -> Response | None:
        return None

    def refuse_body(self, request: Request, body: bytes, data: Any) -> Response | None:
        return None

    async def take(self, data: Any) -> str | None:
        raise NotImplementedError

    def skipped(self) -> None:
        """A body that is not an update was refused (channels count them)."""

    async def receive(self, request: Request) -> Response:
        refused = self.refuse_request(request)
        if refused is not None:
            return refused
        if not self.started:
            return answer(503, "not ready")
        try:
            body = await read_body(request)
        except BodyTooLarge:
            log.warning("%s webhook: body over %d bytes refused", self.name, MAX_BODY)
            return answer(413, "too large")
        try:
            data = json.loads(body)
        except ValueError as error:  # not JSON (nor UTF-8): not from the platform
            log.warning("%s webhook: body is not JSON (%s): %.200r", self.name, error, body)
            self.skipped()
            return answer(400, "malformed update")
        refused = self.refuse_body(request, body, data)
        if refused is not None:
            return refused
        try:
            problem = await self.take(data)
        except Exception:  # not stored in the inbox: the platform must send it again
            log.exception("%s webhook: could not store the update", self.name)
            return answer(503, "try again")
        if problem is not None:
            if problem:  # "" when `take` logged it itself
                log.warning("%s webhook: %s: %.200r", self.name, problem, body)
            return answer(400, "malformed update")
        return answer(200)


class ChannelWebhook(Webhook):
    """A webhook of a bot platform that sends a fixed secret in a header (`secret_header`), in
    front of a channel that is started and stopped with the endpoint."""

    secret_header = ""

    def __init__(self, channel: Any, secret: str) -> None:
        self.channel = channel
        self._secret = secret.encode("utf-8")
        self.started = False

    async def stop(self) -> None:
        if self.started:
            self.started = False
            await self.channel.stop()

    def refuse_request(self, request: Request) -> Response | None:
        if same_secret(request.headers.get(self.secret_header, ""), self._secret):
            return None
        log.warning("%s webhook: wrong or missing secret from %s", self.name, request.client)
        return answer(403, "forbidden")
