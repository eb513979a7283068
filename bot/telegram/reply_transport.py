"""Telegram in the reply sender process (`bot.reply_sender`): rendered parts in, Bot API calls out.

A worker renders a reply (`bot.telegram.convert.render`, its keyboard planning and button
payloads stay there) and hands over each part as a plain dict (`chunk_to_part`). Here a text
part goes out as one sendMessage JSON POST over httpx (`bot.telegram.outbox_http`, no PTB
objects: the sender's CPU per message is the point of this process) and a file through PTB.
The rules are those of `bot.telegram.sender.ReliableSender`: 429 waits the time Telegram asks,
network errors, timeouts (20 s: a send that timed out may have arrived, so a busy moment must not
turn into a repeat) and 5xx are retried with backoff, 403 means blocked, other errors fail.
"""

from __future__ import annotations

import asyncio
import base64
from typing import Any

import httpx
from telegram import Bot

from bot import metrics
from bot.telegram.convert import CHANNEL, Chunk
from bot.telegram.outbox_http import TextSender
from bot.telegram.sender import ReliableSender, RetryPolicy, SendStatus, Sleep
from bot.types import Attachment, SendResult

TIMEOUT = httpx.Timeout(20.0)


def chunk_to_part(chunk: Chunk) -> dict[str, Any]:
    """One rendered part as the frame carries it (`bot.reply_frames`)."""
    part: dict[str, Any] = {"text": chunk.text,
                            "markup": chunk.markup.to_dict() if chunk.markup else None}
    if chunk.attachment is not None:
        a = chunk.attachment
        part["file"] = {"kind": a.kind, "filename": a.filename, "url": a.url,
                        "data": base64.b64encode(a.data).decode("ascii")}
    return part


def part_attachment(part: dict[str, Any]) -> Attachment | None:
    file = part.get("file")
    if not isinstance(file, dict):
        return None
    return Attachment(kind="photo" if file.get("kind") == "photo" else "document", filename=str(file.get("filename") or "file"),
                      url=file.get("url") or None,
                      data=base64.b64decode(file.get("data") or ""))


class TelegramPartSender:
    """Sends parts to Telegram with the retry rules above; never raises."""

    def __init__(self, token: str, api_url: str, *, policy: RetryPolicy | None = None,
                 sleep: Sleep = asyncio.sleep, connections: int = 32) -> None:
        api = api_url.rstrip("/")
        self.policy = policy or RetryPolicy()
        self._sleep = sleep
        self.texts = TextSender(f"{api}/bot{token}", connections, timeout=TIMEOUT)
        self._files = ReliableSender(self.policy, sleep)
        self._token, self._api = token, api
        self._bot: Bot | None = None

    async def send_part(self, chat: str, part: dict[str, Any]) -> SendResult:
        attachment = part_attachment(part)
        if attachment is not None:
            result = await self._send_file(chat, attachment)
        else:
            result = await self._send_text(chat, str(part.get("text") or ""), part.get("markup"))
        if result.status != "sent":
            metrics.send_error(CHANNEL, result.status)
        return result

    async def _send_text(self, chat: str, text: str, markup: Any) -> SendResult:
        attempt = 0
        while True:
            attempt += 1
            result = await self.texts.send(chat, text, markup if isinstance(markup, dict)
                                           else None)
            if result.status != "retry":
                return result
            delay = self._delay(result, attempt)
            if delay is None:
                return SendResult("failed", reason=result.reason)
            await self._sleep(delay)

    def _delay(self, result: SendResult, attempt: int) -> float | None:
        if attempt >= self.policy.max_attempts:
            return None
        if result.retry_after is not None:
            return result.retry_after if result.retry_after <= self.policy.max_retry_after \
                else None
        return self.policy.backoff(attempt)

    async def _send_file(self, chat: str, attachment: Attachment) -> SendResult:
        from bot.telegram.outbox_sender import make_bot

        bot = self._bot or make_bot(self._token, self._api)
        self._bot = bot
        box: dict[str, str] = {}
        source: bytes | str = attachment.data or attachment.url or b""

        async def action() -> None:
            if attachment.kind == "photo":
                sent = await bot.send_photo(chat_id=chat, photo=source,
                                            filename=attachment.filename)
            else:
                sent = await bot.send_document(chat_id=chat, document=source,
                                               filename=attachment.filename)
            box["id"] = str(sent.message_id)

        outcome = await self._files.call(chat, action)
        self._files.unblock(chat)  # the worker learns of the block and marks the user
        if outcome.status is SendStatus.SENT:
            return SendResult("sent", message_id=box.get("id"))
        if outcome.status is SendStatus.BLOCKED:
            return SendResult("blocked", reason="blocked")
        return SendResult("failed", reason=str(outcome.error or "failed")[:200])

    async def aclose(self) -> None:
        await self.texts.aclose()
        if self._bot is not None:
            await self._bot.shutdown()
