"""The Zalo webhook endpoints of `ketnoi serve`: `POST /zalo-bot/webhook`, `POST /zalo-oa/webhook`.

Both answer at once and handle the event afterwards (per chat, in order), so a slow answer never
makes Zalo time out and deliver again; a redelivered event is answered once (the core dedupes).
"""

from __future__ import annotations

import hashlib
import hmac
import json
import logging
from typing import Any

from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import BaseRoute, Route

from bot.zalo.bot_platform import ZaloBotChannel
from bot.zalo.client import ZaloBotError
from bot.zalo.convert import unwrap
from bot.zalo.oa import ZaloOAChannel
from bot.zalo.setup import bot_error

log = logging.getLogger(__name__)

BOT_SECRET_HEADER = "X-Bot-Api-Secret-Token"
OA_SIGNATURE_HEADER = "X-ZEvent-Signature"
MAX_BODY = 1 << 20  # events are a few KiB; anything near this is not from Zalo


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


def _answer(status: int, error: str | None = None) -> JSONResponse:
    return JSONResponse({"ok": error is None, **({"error": error} if error else {})},
                        status_code=status)


def oa_signature(app_id: str, body: bytes, timestamp: str, secret_key: str) -> str:
    """`mac=` + SHA-256 hex of app_id + raw body + timestamp + OA secret key (Zalo's scheme)."""
    raw = app_id.encode() + body + timestamp.encode() + secret_key.encode()
    return "mac=" + hashlib.sha256(raw).hexdigest()


class ZaloBotWebhook:
    name = "zalo-bot"
    path = "/zalo-bot/webhook"

    def __init__(self, channel: ZaloBotChannel, secret: str) -> None:
        self.channel = channel
        self._secret = secret.encode("utf-8")
        self.started = False

    def routes(self) -> list[BaseRoute]:
        return [Route(self.path, self.receive, methods=["POST"])]

    async def start(self) -> None:
        """getMe: a refused token stops `ketnoi serve` with a clear message."""
        try:
            await self.channel.start()
        except ZaloBotError as error:
            raise bot_error(self.channel.client.api_url, error) from None
        self.started = True

    async def stop(self) -> None:
        if self.started:
            self.started = False
            await self.channel.stop()

    def status(self) -> str:
        return "running" if self.started else "stopped"

    async def receive(self, request: Request) -> Response:
        given = request.headers.get(BOT_SECRET_HEADER, "").encode("utf-8")
        if not hmac.compare_digest(given, self._secret):
            log.warning("zalo-bot webhook: wrong or missing secret from %s", request.client)
            return _answer(403, "forbidden")
        if not self.started:
            return _answer(503, "not ready")
        try:
            body = await read_body(request)
        except BodyTooLarge:
            log.warning("zalo-bot webhook: body over %d bytes refused", MAX_BODY)
            return _answer(413, "too large")
        try:
            update = unwrap(json.loads(body))
        except ValueError:
            log.warning("zalo-bot webhook: malformed JSON refused: %.200r", body)
            return _answer(400, "malformed JSON")
        if update is None:
            log.warning("zalo-bot webhook: not an update, ignored: %.200r", body)
            return _answer(400, "not an update")
        self.channel.submit(update)
        return _answer(200)


class ZaloOAWebhook:
    name = "zalo-oa"
    path = "/zalo-oa/webhook"

    def __init__(self, channel: ZaloOAChannel, app_id: str, secret_key: str) -> None:
        self.channel = channel
        self.app_id = app_id
        self._secret_key = secret_key
        self.started = False

    def routes(self) -> list[BaseRoute]:
        return [Route(self.path, self.receive, methods=["POST"])]

    async def start(self) -> None:
        self.started = True

    async def stop(self) -> None:
        if self.started:
            self.started = False
            await self.channel.stop()

    def status(self) -> str:
        return "running" if self.started else "stopped"

    def _signed(self, request: Request, body: bytes, event: dict[str, Any]) -> bool:
        given = request.headers.get(OA_SIGNATURE_HEADER, "").strip().encode("utf-8")
        timestamp = event.get("timestamp")
        if not given or not isinstance(timestamp, str | int) or isinstance(timestamp, bool):
            return False
        expected = oa_signature(self.app_id, body, str(timestamp), self._secret_key)
        return hmac.compare_digest(given, expected.encode("utf-8"))

    async def receive(self, request: Request) -> Response:
        if not request.headers.get(OA_SIGNATURE_HEADER):
            log.warning("zalo-oa webhook: unsigned request from %s refused", request.client)
            return _answer(401, "unsigned")
        try:
            body = await read_body(request)
        except BodyTooLarge:
            log.warning("zalo-oa webhook: body over %d bytes refused", MAX_BODY)
            return _answer(413, "too large")
        try:
            event = json.loads(body)
        except ValueError:
            log.warning("zalo-oa webhook: malformed JSON refused: %.200r", body)
            return _answer(400, "malformed JSON")
        if not isinstance(event, dict) or not self._signed(request, body, event):
            log.warning("zalo-oa webhook: wrong signature from %s refused", request.client)
            return _answer(401, "bad signature")
        if not self.started:
            return _answer(503, "not ready")
        self.channel.submit(event)
        return _answer(200)
