"""Zalo in the reply sender process (`bot.reply_sender`): rendered parts in, Zalo calls out.

Under `ketnoi serve --workers N` a Zalo worker renders a turn's replies (numbered texts, OA
templates, photos) as it does alone, and hands each platform call over as a plain dict
(`message_to_part`); the reply sender sends it with the same retries a worker uses
(`bot.zalo.delivery.with_retries`), records it sent and answers. Neither Zalo API has an
idempotency key, so the process that talks to Zalo must not be one that dies with the updates it
handles: a worker killed at any instant then never makes a reply arrive twice.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable
from typing import Any, Protocol

from bot import metrics
from bot.reply_handover import ReplyHandover
from bot.types import Outgoing, SendResult
from bot.zalo.convert import Message
from bot.zalo.delivery import RetryPolicy, Sleep, with_retries

log = logging.getLogger(__name__)


def message_to_part(message: Message) -> dict[str, Any]:
    """One platform call as the frame carries it (`bot.reply_frames`)."""
    return {"text": message.text, "photo_url": message.photo_url,
            "buttons": [[title, payload] for title, payload in message.buttons]}


def part_message(part: dict[str, Any]) -> Message:
    """The call back from a frame; anything malformed in it is dropped, never raised."""
    buttons = part.get("buttons")
    if not isinstance(buttons, list):
        buttons = []
    pairs = tuple((str(b[0]), str(b[1])) for b in buttons
                  if isinstance(b, list | tuple) and len(b) == 2)
    photo = part.get("photo_url")
    return Message(str(part.get("text") or ""), photo if isinstance(photo, str) and photo
                   else None, pairs)


class MessageSender(Protocol):
    async def send_part(self, chat: str, part: Message, /) -> SendResult: ...


class ZaloPartSender:
    """The reply sender's transport for one Zalo channel: one attempt is the channel sender's
    (`ZaloBotSender`, `ZaloOASender`), retried as a worker would; never raises."""

    def __init__(self, channel: str, sender: MessageSender, policy: RetryPolicy | None = None,
                 sleep: Sleep = asyncio.sleep,
                 close: Callable[[], Awaitable[None]] | None = None) -> None:
        self.channel = channel
        self.sender = sender
        self.policy = policy or RetryPolicy()
        self._sleep = sleep
        self._close = close

    async def send_part(self, chat: str, part: dict[str, Any]) -> SendResult:
        message = part_message(part)

        def attempt() -> Awaitable[SendResult]:
            return self.sender.send_part(chat, message)

        try:
            result = await with_retries(attempt, self.policy, self._sleep,
                                        f"{self.channel} chat {chat}")
        except Exception as error:  # a transport bug must answer the worker, not hang it
            log.exception("%s: sending to %s failed", self.channel, chat)
            result = SendResult("failed", reason=f"{error!r}"[:200])
        if result.status != "sent":
            metrics.send_error(self.channel, result.status)
        return result

    async def aclose(self) -> None:
        if self._close is not None:
            await self._close()


async def hand_over(handover: ReplyHandover, channel: str, chat: str, user: str,
                    plan: list[tuple[int, Message]], replies: list[Outgoing],
                    apology: str) -> list[SendResult]:
    """A turn's planned calls through the reply sender, one result per reply; if it stays
    unreachable the replies stay pending for the resend paths (never sent from a worker)."""
    parts: list[list[dict[str, Any]]] = [[] for _ in replies]
    for index, message in plan:
        parts[index].append(message_to_part(message))
    try:
        return await handover.send(
            channel, chat, user,
            [(reply.ref, chunks) for reply, chunks in zip(replies, parts, strict=True)],
            apology=apology)
    except Exception as error:
        log.error("%s: replies to chat %s left pending: %s", channel, chat, error)
        return [SendResult("retry", reason="reply sender unreachable") for _ in replies]


class HandsOverReplies:
    """Mixed into the Zalo outbox senders: a chat reply's remaining calls go through the reply
    sender process when there is one (the outbox calls this only when `handover` is set)."""

    channel: str
    handover: ReplyHandover | None = None

    def parts(self, message: Outgoing) -> list[Message]:
        raise NotImplementedError

    async def hand_over_reply(self, row_id: int, recipient: str, message: Outgoing,
                              parts_sent: int) -> SendResult:
        if self.handover is None:
            raise RuntimeError("no reply sender process to hand the reply over to")
        parts = [message_to_part(m) for m in self.parts(message)[parts_sent:]]
        try:
            results = await self.handover.send(self.channel, recipient, recipient,
                                               [(row_id, parts)])
        except Exception as error:
            return SendResult("retry", reason=f"reply sender: {error}"[:200])
        return results[0]
