"""The Telegram webhook endpoint, mounted into the shared ASGI app of `bot.web`."""

from __future__ import annotations

import hmac
import json
import logging

from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import BaseRoute, Route

from bot.telegram.channel import TelegramChannel

log = logging.getLogger(__name__)

SECRET_HEADER = "X-Telegram-Bot-Api-Secret-Token"
MAX_BODY = 1 << 20  # updates are a few KiB; anything near this is not from Telegram


class TelegramWebhook:
    """POST /telegram/webhook: checks the secret, queues the update, answers 200 at once.

    Processing happens in PTB's update queue (the same path as polling), so a slow reply never
    makes Telegram time out and re-send the update. A body that is not a Telegram update is
    logged with its id and answered 400; a well-formed update the bot does not answer (an edit)
    is logged and answered 200.
    """

    name = "telegram"
    path = "/telegram/webhook"

    def __init__(self, channel: TelegramChannel, secret: str) -> None:
        self.channel = channel
        self._secret = secret.encode("utf-8")
        self.started = False

    def routes(self) -> list[BaseRoute]:
        return [Route(self.path, self.receive, methods=["POST"])]

    async def start(self) -> None:
        await self.channel.start()
        self.started = True

    async def stop(self) -> None:
        if self.started:
            self.started = False
            await self.channel.stop()

    def status(self) -> str:
        return "running" if self.started else "stopped"

    def _authorised(self, request: Request) -> bool:
        given = request.headers.get(SECRET_HEADER, "").encode("utf-8")
        return hmac.compare_digest(given, self._secret)

    async def receive(self, request: Request) -> Response:
        if not self._authorised(request):
            log.warning("telegram webhook: wrong or missing secret from %s", request.client)
            return JSONResponse({"ok": False, "error": "forbidden"}, status_code=403)
        if not self.started:
            return JSONResponse({"ok": False, "error": "not ready"}, status_code=503)
        body = await request.body()
        if len(body) > MAX_BODY:
            return JSONResponse({"ok": False, "error": "too large"}, status_code=413)
        try:
            data = json.loads(body)
        except ValueError as error:  # not JSON (nor UTF-8): not from Telegram
            log.warning("telegram webhook: body is not JSON (%s): %.200r", error, body)
            self.channel.count_skipped()
            return JSONResponse({"ok": False, "error": "malformed update"}, status_code=400)
        reading = await self.channel.feed(data)
        if not reading.fits:  # logged with its id by feed(); Telegram shows the 400 in getWebhookInfo
            return JSONResponse({"ok": False, "error": "malformed update"}, status_code=400)
        return JSONResponse({"ok": True})
