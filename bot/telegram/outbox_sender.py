"""Telegram's `ChannelSender`: one `Outgoing` to one chat, one attempt, a plain verdict.

The error rules are those of `bot.telegram.sender.ReliableSender` (429 → retry after the time
Telegram asks, network errors and 5xx → retry, 403 → blocked, other 4xx → failed); here it makes
a single attempt, because retries and pacing belong to the outbox sender (`bot.worker`). Text
messages go out through `bot.telegram.outbox_http` (one JSON POST, without PTB's objects);
photos and documents through PTB.

A button whose payload is longer than Telegram's 64 bytes of callback_data goes out under a
short id; `keep_payloads` stores the new pairs (in the shared `button_payloads` table) before
the first message carrying them leaves, so whichever bot process receives the press, also after
a restart, resolves it.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from typing import Any

from telegram import Bot
from telegram.error import BadRequest, NetworkError, RetryAfter, TelegramError
from telegram.request import HTTPXRequest

from bot.reply_handover import ReplyHandover
from bot.telegram.convert import CHANNEL, Chunk, PayloadRegistry, render
from bot.telegram.outbox_http import TextSender
from bot.telegram.reply_transport import chunk_to_part
from bot.telegram.sender import ReliableSender, RetryPolicy, SendStatus, retry_after_seconds
from bot.types import Outgoing, SendResult


def make_bot(token: str, api_url: str, *, connections: int = 8) -> Bot:
    """A PTB Bot for sending only, with room for several messages in flight."""
    api = api_url.rstrip("/")
    request = HTTPXRequest(connection_pool_size=connections)
    return Bot(token, base_url=f"{api}/bot", base_file_url=f"{api}/file/bot", request=request)


KeepPayloads = Callable[[dict[str, str]], Awaitable[None]]


class TelegramSender:
    channel = CHANNEL

    def __init__(self, bot: Bot, registry: PayloadRegistry | None = None, *,
                 keep_payloads: KeepPayloads | None = None, connections: int = 8,
                 handover: ReplyHandover | None = None) -> None:
        self.bot = bot
        # serve --workers N: chat replies go out through the reply sender process, which
        # sends each one once whoever asks (`hand_over_reply`); news and broadcasts go here.
        self.handover = handover
        self.registry = registry or PayloadRegistry()
        self.keep_payloads = keep_payloads
        self.texts = TextSender(bot.base_url, connections)
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
        if not await self._kept():
            return SendResult("retry", reason="could not keep the buttons' payloads")
        if chunk.attachment is None:
            return await self.texts.send(recipient, chunk.text, chunk.markup)
        box: dict[str, Any] = {}

        async def action() -> None:
            attachment = chunk.attachment
            assert attachment is not None
            if attachment.kind == "photo":
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

    async def hand_over_reply(self, row_id: int, recipient: str, message: Outgoing,
                              parts_sent: int) -> SendResult:
        """A chat reply's remaining parts through the reply sender process (the outbox sender
        calls this only when `handover` is set)."""
        if self.handover is None:
            raise RuntimeError("no reply sender process to hand the reply over to")
        if not await self._kept():
            return SendResult("retry", reason="could not keep the buttons' payloads")
        parts = [chunk_to_part(chunk) for chunk in self.parts(message)[parts_sent:]]
        try:
            results = await self.handover.send(CHANNEL, recipient, recipient,
                                               [(row_id, parts)])
        except Exception as error:
            return SendResult("retry", reason=f"reply sender: {error}"[:200])
        return results[0]

    async def aclose(self) -> None:
        await self.texts.aclose()
        await self.bot.shutdown()

    async def _kept(self) -> bool:
        """Long payloads rendered since the last send are stored (False: try again later)."""
        fresh = self.registry.take_fresh() if self.keep_payloads is not None else {}
        if not fresh or self.keep_payloads is None:
            return True
        try:
            await self.keep_payloads(fresh)
        except Exception:
            logging.getLogger(__name__).exception("could not keep %d button payload(s)",
                                                  len(fresh))
            self.registry.give_back(fresh)
            return False
        return True


def verdict(error: TelegramError | None) -> SendResult:
    """What a failed single attempt means for the outbox."""
    if isinstance(error, RetryAfter):
        return SendResult("retry", retry_after=retry_after_seconds(error),
                          reason="rate limited (429)")
    if isinstance(error, NetworkError) and not isinstance(error, BadRequest):
        return SendResult("retry", reason=f"network: {error}"[:200])
    return SendResult("failed", reason=str(error or "unknown error")[:200])
