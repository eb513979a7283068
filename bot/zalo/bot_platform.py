"""The Zalo Bot Platform channel: updates in (polling or webhook), the core's answers out.

`ZaloBotSender` is the channel's `ChannelSender` (one attempt, a `SendResult`); `ZaloBotChannel`
turns one update into an `Incoming`, asks the core, shows "typing" when the answer is slow and
delivers it with a few retries; `poll` is `ketnoi run zalo-bot`'s loop.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Awaitable
from typing import Any, Protocol

from bot import metrics
from bot.chat_tasks import ChatTasks
from bot.types import Incoming, Outgoing, SendResult
from bot.zalo.client import ZaloBotClient, ZaloBotError
from bot.zalo.convert import (
    BOT_CHANNEL,
    Message,
    bot_update_to_incoming,
    chat_key,
    numbered_messages,
)
from bot.zalo.delivery import RetryPolicy, Sleep, with_retries

log = logging.getLogger(__name__)

APOLOGY = (
    "Xin lỗi anh/chị, hệ thống đang gặp sự cố khi xử lý tin nhắn này. "
    "Anh/chị vui lòng thử lại sau ít phút ạ."
)


class Core(Protocol):
    async def handle(self, incoming: Incoming) -> list[Outgoing]: ...

    async def mark_user_inactive(self, channel: str, user_id: str) -> None: ...


def result_of(error: ZaloBotError) -> SendResult:
    """What a refused Bot Platform call means for delivery."""
    reason = f"zalo-bot {error.code}: {error.description}".strip()
    if error.retryable:
        return SendResult("retry", reason=reason)
    if error.code == 403:
        return SendResult("blocked", reason=reason)
    return SendResult("failed", reason=reason)


class ZaloBotSender:
    """Sends an `Outgoing` to a chat: numbered choices, 2000-character parts, photos by URL."""

    channel = BOT_CHANNEL

    def __init__(self, client: ZaloBotClient) -> None:
        self.client = client

    def parts(self, message: Outgoing) -> list[Message]:
        """The platform calls `message` goes out as (the outbox records each one's arrival)."""
        return numbered_messages([message], photos=True)

    async def send(self, recipient: str, message: Outgoing) -> SendResult:
        return await self.send_answer(recipient, [message])

    async def send_answer(self, recipient: str, replies: list[Outgoing]) -> SendResult:
        result = SendResult("sent")
        for part in numbered_messages(replies, photos=True):
            result = await self.send_part(recipient, part)
            if result.status != "sent":
                return result
        return result

    async def send_part(self, chat_id: str, part: Message) -> SendResult:
        try:
            if part.photo_url:
                sent = await self.client.send_photo(chat_id, part.photo_url, part.text)
            else:
                sent = await self.client.send_message(chat_id, part.text)
        except ZaloBotError as error:
            return result_of(error)
        return SendResult("sent", message_id=str(sent.get("message_id") or "") or None)


class ZaloBotChannel:
    def __init__(self, core: Core, client: ZaloBotClient, *, policy: RetryPolicy | None = None,
                 sleep: Sleep = asyncio.sleep, typing_after: float = 1.0,
                 max_concurrent: int = 256) -> None:
        self.core = core
        self.client = client
        self.sender = ZaloBotSender(client)
        self.policy = policy or RetryPolicy()
        self._sleep = sleep
        self.typing_after = typing_after
        self.tasks = ChatTasks(max_concurrent)
        self.bot_name = ""  # account_name from getMe: groups must mention it

    async def start(self) -> dict[str, Any]:
        """getMe: checks the token (raises ZaloBotError) and learns the bot's name."""
        me = await self.client.get_me()
        self.bot_name = str(me.get("account_name") or me.get("display_name") or "")
        return me

    async def stop(self) -> None:
        await self.tasks.drain()
        await self.client.aclose()

    def submit(self, update: dict[str, Any]) -> None:
        """Queue one update; the chat's earlier updates are handled first."""
        key = chat_key(update)
        self.tasks.submit(key, lambda: self.handle_update(update))

    async def handle_update(self, update: dict[str, Any]) -> None:
        incoming = bot_update_to_incoming(update, self.bot_name)
        if incoming is None:
            return
        replies = await self._answer(incoming)
        if replies:
            await self.deliver(incoming, replies)

    async def _answer(self, incoming: Incoming) -> list[Outgoing]:
        """The core's answer; "typing" is shown when it takes longer than `typing_after`."""
        task = asyncio.ensure_future(self.core.handle(incoming))
        done, _ = await asyncio.wait({task}, timeout=self.typing_after)
        if not done:
            try:
                await self.client.send_chat_action(incoming.chat_id, "typing")
            except ZaloBotError as error:
                log.debug("sendChatAction failed: %s", error)
        return await task

    async def deliver(self, incoming: Incoming, replies: list[Outgoing]) -> SendResult:
        chat = incoming.chat_id
        parts = numbered_messages(replies, photos=True)
        failed = False
        for part in parts:
            result = await self._send(chat, part)
            if result.status == "blocked":
                await self._mark_inactive(incoming.user_id)
                return result
            failed = failed or result.status != "sent"
        if failed:
            await self._send(chat, Message(APOLOGY))
            return SendResult("failed")
        return SendResult("sent")

    async def _send(self, chat: str, part: Message) -> SendResult:
        def attempt() -> Awaitable[SendResult]:
            return self.sender.send_part(chat, part)

        result = await with_retries(attempt, self.policy, self._sleep, f"zalo-bot chat {chat}")
        if result.status != "sent":
            metrics.send_error(BOT_CHANNEL, result.status)
        return result

    async def _mark_inactive(self, user_id: str) -> None:
        try:
            await self.core.mark_user_inactive(BOT_CHANNEL, user_id)
        except Exception:
            log.exception("could not mark zalo-bot user %s inactive", user_id)


async def poll(channel: ZaloBotChannel, stop: asyncio.Event, timeout: int = 30) -> None:
    """getUpdates until `stop`: one update per call; 408 (nothing new) polls again at once;
    any other error backs off and polls again, never ending the loop."""
    failures = 0
    while not stop.is_set():
        try:
            updates = await channel.client.get_updates(timeout)
        except ZaloBotError as error:
            failures += 1
            delay = channel.policy.backoff(failures)
            log.warning("zalo-bot getUpdates failed (%s), polling again in %.1fs", error, delay)
            await _wait(stop, delay)
            continue
        failures = 0
        for update in updates:
            channel.submit(update)


async def _wait(stop: asyncio.Event, seconds: float) -> None:
    with contextlib.suppress(TimeoutError):
        await asyncio.wait_for(stop.wait(), seconds)
