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
from dataclasses import replace
from typing import Any

from bot import metrics
from bot.chat_tasks import ChatTasks
from bot.chat_turns import ChannelTurns
from bot.intake import InboxCore, digest_id
from bot.reply_handover import ReplyHandover
from bot.types import Incoming, Outgoing, SendResult
from bot.zalo.client import ZaloBotClient, ZaloBotError
from bot.zalo.convert import (
    BOT_CHANNEL,
    NO_CHAT,
    Message,
    bot_update_id,
    bot_update_to_incoming,
    chat_key,
    numbered_messages,
    numbered_plan,
)
from bot.zalo.delivery import RetryPolicy, Sleep, deliver_plan, with_retries
from bot.zalo.reply_transport import HandsOverReplies, hand_over

log = logging.getLogger(__name__)

APOLOGY = (
    "Xin lỗi anh/chị, hệ thống đang gặp sự cố khi xử lý tin nhắn này. "
    "Anh/chị vui lòng thử lại sau ít phút ạ."
)


Core = InboxCore  # what the channel needs from the core (`bot.app.App`)


def result_of(error: ZaloBotError) -> SendResult:
    """What a refused Bot Platform call means for delivery."""
    reason = f"zalo-bot {error.code}: {error.description}".strip()
    if error.retryable:
        return SendResult("retry", reason=reason)
    if error.code == 403:
        return SendResult("blocked", reason=reason)
    return SendResult("failed", reason=reason)


class ZaloBotSender(HandsOverReplies):
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
                 max_concurrent: int = 256, handover: ReplyHandover | None = None) -> None:
        self.core = core
        self.handover = handover  # serve --workers: replies go out through the sender process
        self.client = client
        self.sender = ZaloBotSender(client)
        self.policy = policy or RetryPolicy()
        self._sleep = sleep
        self.typing_after = typing_after
        self.tasks = ChatTasks(max_concurrent)
        # Several processes: each chat's turns in order, what a dead process left taken over.
        self.turns = ChannelTurns(core, BOT_CHANNEL, self._send_to)
        self.bot_name = ""  # account_name from getMe: groups must mention it

    async def start(self) -> dict[str, Any]:
        """getMe: checks the token (raises ZaloBotError) and learns the bot's name."""
        me = await self.client.get_me()
        self.bot_name = str(me.get("account_name") or me.get("display_name") or "")
        return me

    async def stop(self) -> None:
        await self.turns.stop()
        await self.tasks.drain()
        await self.client.aclose()
        if self.handover is not None:
            await self.handover.aclose()

    async def resume(self) -> None:
        """At start: replies a previous run committed but did not send, then updates it stored
        but did not handle; then, with several processes, the sweep for what one that died
        leaves (`bot.chat_turns`)."""
        await self.turns.start(self.submit)

    async def accept(self, update: dict[str, Any]) -> None:
        """Store the update in the inbox (raises when it cannot: it must not be acknowledged),
        then queue it."""
        update_id = bot_update_id(update) or digest_id(update)
        chat = chat_key(update)
        await self.core.receive(BOT_CHANNEL, [(update_id, update)],
                                [None if chat == NO_CHAT else chat])
        self.submit(update, update_id)

    def submit(self, update: dict[str, Any], update_id: str | None = None) -> None:
        """Queue one stored update; the chat's earlier updates are handled first."""
        key = update_id or bot_update_id(update) or digest_id(update)
        self.tasks.submit(chat_key(update), lambda: self.handle_update(update, key))

    async def handle_update(self, update: dict[str, Any], update_id: str | None = None) -> None:
        """Answer one update exactly once; with several processes, while holding its chat and
        after the chat's unsent replies and earlier stored updates (`bot.chat_turns`)."""
        update_id = update_id or bot_update_id(update) or digest_id(update)
        chat = chat_key(update)
        await self.turns.handle(None if chat == NO_CHAT else chat, update_id,
                                lambda: self._handle_one(update, update_id), self._handle_stored)

    async def _handle_stored(self, update_id: str, raw: Any) -> None:
        if isinstance(raw, dict):
            await self._handle_one(raw, update_id)
        else:
            await self.core.ignored(BOT_CHANNEL, update_id)

    async def _handle_one(self, update: dict[str, Any], update_id: str) -> None:
        """Answer one update exactly once: committed with its replies, which are sent after."""
        incoming = bot_update_to_incoming(update, self.bot_name)
        if incoming is None:
            await self.core.ignored(BOT_CHANNEL, update_id)
            return
        incoming = replace(incoming, update_id=update_id)

        async def deliver(replies: list[Outgoing]) -> list[SendResult]:
            return await self.send_replies(incoming.chat_id, incoming.user_id, replies)

        task = asyncio.ensure_future(self.core.answer(incoming, deliver))
        done, _ = await asyncio.wait({task}, timeout=self.typing_after)
        if not done:  # a slow answer: show "typing" meanwhile
            try:
                await self.client.send_chat_action(incoming.chat_id, "typing")
            except ZaloBotError as error:
                log.debug("sendChatAction failed: %s", error)
        await task

    async def send_replies(self, chat: str, user_id: str,
                           replies: list[Outgoing]) -> list[SendResult]:
        """Send replies in order, one result per reply; a block marks the user inactive. Every
        reply of a turn, of a resend and of `deliver` leaves through here."""
        plan = numbered_plan(replies, photos=True)
        if self.handover is not None:
            results = await hand_over(self.handover, BOT_CHANNEL, chat, user_id, plan, replies,
                                      APOLOGY)
        else:
            results = await deliver_plan(plan, len(replies), lambda part: self._send(chat, part),
                                         Message(APOLOGY))
        if any(r.status == "blocked" for r in results):
            await self._mark_inactive(user_id)
        return results

    async def _send_to(self, chat: str, replies: list[Outgoing]) -> list[SendResult]:
        return await self.send_replies(chat, chat, replies)  # private chats: user = chat

    async def deliver(self, incoming: Incoming, replies: list[Outgoing]) -> SendResult:
        """Send replies outside a turn (one result for all of them)."""
        results = await self.send_replies(incoming.chat_id, incoming.user_id, replies)
        blocked = next((r for r in results if r.status == "blocked"), None)
        if blocked is not None:
            return blocked
        return SendResult("failed") if any(r.status != "sent" for r in results) else \
            SendResult("sent")

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
            await _store(channel, update, stop)


async def _store(channel: ZaloBotChannel, update: dict[str, Any], stop: asyncio.Event) -> None:
    """getUpdates has no offset: an update it returned counts as delivered, so it is stored
    before the next poll, and storing is tried again while the database refuses."""
    attempt = 0
    while True:
        try:
            await channel.accept(update)
            return
        except Exception:
            attempt += 1
            log.exception("zalo-bot: could not store update %s (attempt %d)",
                          bot_update_id(update), attempt)
        if stop.is_set():
            log.error("zalo-bot: stopping with update %s not stored", bot_update_id(update))
            return
        await _wait(stop, channel.policy.backoff(attempt))


async def _wait(stop: asyncio.Event, seconds: float) -> None:
    with contextlib.suppress(TimeoutError):
        await asyncio.wait_for(stop.wait(), seconds)
