"""The Telegram webhook endpoint, mounted into the shared ASGI app of `bot.web`."""

from __future__ import annotations

import logging
from typing import Any

from bot.intake import MAX_BODY, ChannelWebhook
from bot.telegram.channel import TelegramChannel

log = logging.getLogger(__name__)

SECRET_HEADER = "X-Telegram-Bot-Api-Secret-Token"
__all__ = ["MAX_BODY", "SECRET_HEADER", "TelegramWebhook"]


class TelegramWebhook(ChannelWebhook):
    """POST /telegram/webhook: checks the secret, stores the update in the inbox, queues it and
    answers 200 (503 when it could not be stored, so Telegram sends it again; see
    `bot.intake.Webhook`).

    Processing happens in PTB's update queue (the same path as polling), so a slow reply never
    makes Telegram time out and re-send the update. A body that is not a Telegram update is
    logged with its id and answered 400; a well-formed update the bot does not answer (an edit)
    is logged and answered 200.
    """

    name = "telegram"
    path = "/telegram/webhook"

    secret_header = SECRET_HEADER
    channel: TelegramChannel

    async def start(self) -> None:
        await self.channel.start()
        self.started = True

    def skipped(self) -> None:
        self.channel.count_skipped()

    async def take(self, data: Any) -> str | None:
        reading = await self.channel.feed(data)  # logged with its id by feed() when unfit
        return None if reading.fits else ""
