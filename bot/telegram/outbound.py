"""The Telegram adapter's outbound half: the core's replies rendered and sent, in order.

In one process the adapter sends them itself through PTB (`ReliableSender`'s retries). Under
`ketnoi serve --workers N` it hands them to the reply sender process (`bot.reply_handover`),
which sends and records them: a worker killed at any instant then never causes a reply to be
sent twice. Either way the rendering and the per-chat keyboard state (the share-phone
keyboard, the labels of a reply keyboard) stay here, beside the inbound side that reads them.
"""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING, Any

from telegram import ReplyKeyboardRemove

from bot.reply_handover import ReplyHandover
from bot.telegram.convert import (
    CHANNEL,
    Chunk,
    PayloadRegistry,
    render,
    reply_keyboard_labels,
)
from bot.telegram.reply_transport import TelegramPartSender, chunk_to_part
from bot.telegram.sender import ReliableSender, SendStatus
from bot.types import Attachment, Outgoing, SendResult

if TYPE_CHECKING:
    from telegram.ext import Application

    from bot.telegram.core import Core

log = logging.getLogger(__name__)

APOLOGY = (
    "Xin lỗi anh/chị, hệ thống đang gặp sự cố khi xử lý tin nhắn này. "
    "Anh/chị vui lòng thử lại sau ít phút."
)


class TelegramOutbound:
    """Mixed into `TelegramChannel`, which sets these attributes."""

    core: Core
    sender: ReliableSender
    parts: TelegramPartSender
    registry: PayloadRegistry
    application: Application[Any, Any, Any, Any, Any, Any]
    handover: ReplyHandover | None
    _reply_labels: dict[str, dict[str, str]]
    _keyboard_open: set[str]

    async def deliver(self, chat_id: str, user_id: str, replies: list[Outgoing]) -> SendStatus:
        """Send replies in order; stop at a block (and mark the user), apologise once on failure."""
        results = await self.send_replies(chat_id, user_id, replies)
        if any(r.status == "blocked" for r in results):
            return SendStatus.BLOCKED
        return SendStatus.FAILED if any(r.status != "sent" for r in results) else SendStatus.SENT

    async def send_replies(self, chat_id: str, user_id: str,
                           replies: list[Outgoing]) -> list[SendResult]:
        """Send replies in order, one result per reply (sent only when all its parts were);
        stop at a block (and mark the user), apologise once on failure."""
        plan = self._plan(chat_id, replies)
        await self._keep_payloads()
        if self.handover is not None:
            return await self._hand_over(chat_id, user_id, replies, plan)
        results = [SendResult("sent") for _ in replies]
        for index, chunk in plan:
            outcome = await self._send(chat_id, chunk)
            if outcome is SendStatus.BLOCKED:
                await self._mark_inactive(user_id)
                results[index:] = [SendResult("blocked", reason="blocked")
                                   for _ in results[index:]]
                return results
            if outcome is not SendStatus.SENT:
                results[index] = SendResult("failed", reason=str(outcome))
        if any(r.status != "sent" for r in results):
            await self._send(chat_id, Chunk(APOLOGY))
        return results

    async def _hand_over(self, chat_id: str, user_id: str, replies: list[Outgoing],
                         plan: list[tuple[int, Chunk]]) -> list[SendResult]:
        """The reply sender sends them (and records them sent); if it stays unreachable, they
        stay pending for the resend paths, never sent from here."""
        assert self.handover is not None
        parts: list[list[dict[str, Any]]] = [[] for _ in replies]
        for index, chunk in plan:
            parts[index].append(chunk_to_part(chunk))
        try:
            results = await self.handover.send(
                CHANNEL, chat_id, user_id,
                [(reply.ref, chunks) for reply, chunks in zip(replies, parts, strict=True)],
                apology=APOLOGY)
        except Exception as error:
            log.error("telegram: replies to chat %s left pending: %s", chat_id, error)
            return [SendResult("retry", reason="reply sender unreachable") for _ in replies]
        if any(r.status == "blocked" for r in results):
            await self._mark_inactive(user_id)
        return results

    async def _send_to(self, chat_id: str, replies: list[Outgoing]) -> list[SendResult]:
        return await self.send_replies(chat_id, chat_id, replies)  # private chats: user = chat

    async def _send_apology(self, chat_id: str) -> None:
        if self.handover is None:
            await self._send(chat_id, Chunk(APOLOGY))
            return
        try:
            await self.handover.send(CHANNEL, chat_id, chat_id,
                                     [(None, [chunk_to_part(Chunk(APOLOGY))])])
        except Exception as error:
            log.error("telegram: could not apologise to chat %s: %s", chat_id, error)

    async def _send(self, chat_id: str, chunk: Chunk) -> SendStatus:
        if chunk.attachment is not None:
            attachment = chunk.attachment
            outcome = await self.sender.call(chat_id, lambda: self._upload(chat_id, attachment))
            return outcome.status
        if chat_id in self.sender.blocked:
            return SendStatus.BLOCKED
        # the same retry rules as `ReliableSender`, on one JSON POST (`TelegramPartSender`)
        result = await self.parts.send_part(chat_id, chunk_to_part(chunk))
        if result.status == "sent":
            return SendStatus.SENT
        if result.status == "blocked":
            log.info("chat %s blocked the bot", chat_id)
            self.sender.blocked.add(chat_id)
            return SendStatus.BLOCKED
        log.warning("giving up on chat %s: %s", chat_id, result.reason)
        return SendStatus.FAILED

    async def _upload(self, chat_id: str, attachment: Attachment) -> object:
        """sendPhoto / sendDocument: the file's bytes, or its link when there are none."""
        bot = self.application.bot
        source: bytes | str = attachment.data or attachment.url or b""
        if attachment.kind == "photo":
            return await bot.send_photo(chat_id=chat_id, photo=source,
                                        filename=attachment.filename)
        return await bot.send_document(chat_id=chat_id, document=source,
                                       filename=attachment.filename)

    def _plan(self, chat_id: str, replies: list[Outgoing]) -> list[tuple[int, Chunk]]:
        """Render replies (each part with its reply's index); open or close the share-phone
        keyboard for this chat."""
        chunks = [(index, chunk) for index, reply in enumerate(replies)
                  for chunk in render(reply, self.registry)]
        asking = [reply for reply in replies if reply.request_contact]
        if asking:
            self._keyboard_open.add(chat_id)
            self._reply_labels[chat_id] = {
                k: v for reply in asking for k, v in reply_keyboard_labels(reply).items()
            }
        elif chat_id in self._keyboard_open:
            # The remove marker needs a message without an inline keyboard; wait if none.
            for position, (index, chunk) in enumerate(chunks):
                if chunk.markup is None and chunk.attachment is None:
                    chunks[position] = (index, Chunk(chunk.text, ReplyKeyboardRemove()))
                    self._keyboard_open.discard(chat_id)
                    self._reply_labels.pop(chat_id, None)
                    break
        return chunks

    async def _keep_payloads(self) -> None:
        """Keep new long payloads where every process finds them, before their buttons leave."""
        keep = getattr(self.core, "remember_payloads", None)
        fresh = self.registry.take_fresh()
        if keep is None or not fresh:
            return
        try:
            await keep(fresh)
        except Exception:
            self.registry.give_back(fresh)
            raise

    async def _mark_inactive(self, user_id: str) -> None:
        try:
            await self.core.mark_user_inactive(CHANNEL, user_id)
        except Exception:
            log.exception("could not mark telegram user %s inactive", user_id)
