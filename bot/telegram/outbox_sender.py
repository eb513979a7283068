"""Telegram's `ChannelSender`: one `Outgoing` to one chat, one attempt, a plain verdict.

The error rules are those of `bot.telegram.sender.ReliableSender` (429 → retry after the time
Telegram asks, network errors and 5xx → retry, 403 → blocked, other 4xx → failed); here it makes
a single attempt, because retries and pacing belong to the outbox sender (`bot.worker`).
"""

from __future__ import annotations

import logging
from typing import Any

from telegram import Bot
from telegram.error import BadRequest, NetworkError, RetryAfter, TelegramError
from telegram.request import HTTPXRequest

from bot.telegram.convert import CHANNEL, Chunk, PayloadRegistry, render
from bot.telegram.sender import ReliableSender, RetryPolicy, SendStatus, retry_after_seconds
from bot.types import Outgoing, SendResult


def make_bot(token: str, api_url: str, *, connections: int = 8) -> Bot:
    """A PTB Bot for sending only, with room for several messages in flight."""
    api = api_url.rstrip("/")
    request = HTTPXRequest(connection_pool_size=connections)
    return Bot(token, base_url=f"{api}/bot", base_file_url=f"{api}/file/bot", request=request)


class TelegramSender:
    channel = CHANNEL

    def __init__(self, bot: Bot, registry: PayloadRegistry | None = None) -> None:
        self.bot = bot
        self.registry = registry or PayloadRegistry()
        self._once = ReliableSender(RetryPolicy(max_attempts=1), give_up_level=logging.INFO)

    def parts(self, message: Outgoing) -> list[Chunk]:
        """The messages `message` goes out as (texts within 4,096 characters, then files)."""
        return render(message, self.registry)

    async def send(self, recipient: str, message: Outgoing) -> SendResult:
        chunks = self.parts(message)
        if not chunks:
            return SendResult("failed", reason="empty message")
        result = SendResult("sent")
        for chunk in chunks:
            result = await self.send_part(recipient, chunk)
            if result.status != "sent":
                return result
        return result

    async def send_part(self, recipient: str, chunk: Chunk) -> SendResult:
        """One Bot API call for one part; the outbox records each part's arrival."""
        box: dict[str, Any] = {}

        async def action() -> None:
            attachment = chunk.attachment
            if attachment is None:
                sent = await self.bot.send_message(chat_id=recipient, text=chunk.text,
                                                   reply_markup=chunk.markup)
            elif attachment.kind == "photo":
                sent = await self.bot.send_photo(chat_id=recipient, filename=attachment.filename,
                                                 photo=attachment.data or attachment.url or b"")
            else:
                sent = await self.bot.send_document(
                    chat_id=recipient, filename=attachment.filename,
                    document=attachment.data or attachment.url or b"")
            box["id"] = str(sent.message_id)

        outcome = await self._once.call(recipient, action)
        if outcome.status is SendStatus.BLOCKED:
            self._once.unblock(recipient)  # the database remembers; they may come back
            return SendResult("blocked", reason="blocked")
        if outcome.status is not SendStatus.SENT:
            return verdict(outcome.error)
        return SendResult("sent", message_id=box.get("id"))


def verdict(error: TelegramError | None) -> SendResult:
    """What a failed single attempt means for the outbox."""
    if isinstance(error, RetryAfter):
        return SendResult("retry", retry_after=retry_after_seconds(error),
                          reason="rate limited (429)")
    if isinstance(error, NetworkError) and not isinstance(error, BadRequest):
        return SendResult("retry", reason=f"network: {error}"[:200])
    return SendResult("failed", reason=str(error or "unknown error")[:200])
