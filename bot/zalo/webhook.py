"""The Zalo webhook endpoints of `ketnoi serve`: `POST /zalo-bot/webhook`, `POST /zalo-oa/webhook`.

Both store the event in the inbox, answer at once and handle it afterwards (per chat, in order),
so a slow answer never makes Zalo time out and deliver again, and an event Zalo was told arrived
is never only in this process's memory (see `bot.intake`); a redelivered event is answered once.
"""

from __future__ import annotations

import hashlib
import hmac
import logging
from typing import Any

from starlette.requests import Request
from starlette.responses import Response

from bot.intake import (
    MAX_BODY,
    BodyTooLarge,
    ChannelWebhook,
    Webhook,
    answer,
    read_body,
)
from bot.zalo.bot_platform import ZaloBotChannel
from bot.zalo.client import ZaloBotError
from bot.zalo.convert import unwrap
from bot.zalo.oa import ZaloOAChannel
from bot.zalo.setup import bot_error

log = logging.getLogger(__name__)

BOT_SECRET_HEADER = "X-Bot-Api-Secret-Token"
OA_SIGNATURE_HEADER = "X-ZEvent-Signature"
__all__ = ["BOT_SECRET_HEADER", "MAX_BODY", "OA_SIGNATURE_HEADER", "BodyTooLarge",
           "ZaloBotWebhook", "ZaloOAWebhook", "oa_signature", "read_body"]


def oa_signature(app_id: str, body: bytes, timestamp: str, secret_key: str) -> str:
    """`mac=` + SHA-256 hex of app_id + raw body + timestamp + OA secret key (Zalo's scheme)."""
    raw = app_id.encode() + body + timestamp.encode() + secret_key.encode()
    return "mac=" + hashlib.sha256(raw).hexdigest()


class ZaloBotWebhook(ChannelWebhook):
    name = "zalo-bot"
    path = "/zalo-bot/webhook"

    secret_header = BOT_SECRET_HEADER
    channel: ZaloBotChannel

    async def start(self) -> None:
        """getMe (a refused token stops `ketnoi serve` with a clear message), then what a
        previous run left in the inbox."""
        try:
            await self.channel.start()
        except ZaloBotError as error:
            raise bot_error(self.channel.client.api_url, error) from None
        await self.channel.resume()
        self.started = True

    async def take(self, data: Any) -> str | None:
        update = unwrap(data)
        if update is None:
            return "not an update"
        await self.channel.accept(update)
        return None


class ZaloOAWebhook(Webhook):
    name = "zalo-oa"
    path = "/zalo-oa/webhook"

    def __init__(self, channel: ZaloOAChannel, app_id: str, secret_key: str) -> None:
        self.channel = channel
        self.app_id = app_id
        self._secret_key = secret_key
        self.started = False

    async def start(self) -> None:
        await self.channel.resume()
        self.started = True

    async def stop(self) -> None:
        if self.started:
            self.started = False
            await self.channel.stop()

    def refuse_request(self, request: Request) -> Response | None:
        if request.headers.get(OA_SIGNATURE_HEADER):
            return None
        log.warning("zalo-oa webhook: unsigned request from %s refused", request.client)
        return answer(401, "unsigned")

    def refuse_body(self, request: Request, body: bytes, data: Any) -> Response | None:
        if isinstance(data, dict) and self._signed(request, body, data):
            return None
        log.warning("zalo-oa webhook: wrong signature from %s refused", request.client)
        return answer(401, "bad signature")

    def _signed(self, request: Request, body: bytes, event: dict[str, Any]) -> bool:
        given = request.headers.get(OA_SIGNATURE_HEADER, "").strip().encode("utf-8")
        timestamp = event.get("timestamp")
        if not given or not isinstance(timestamp, str | int) or isinstance(timestamp, bool):
            return False
        expected = oa_signature(self.app_id, body, str(timestamp), self._secret_key)
        return hmac.compare_digest(given, expected.encode("utf-8"))

    async def take(self, data: Any) -> str | None:
        await self.channel.accept(data)
        return None
