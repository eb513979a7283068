"""The Telegram adapter: PTB updates in, the core's replies out, nothing else.

`TelegramChannel` owns a PTB `Application` (polling and webhook feed the same update queue),
turns each update into an `Incoming`, asks the core, and sends the replies (the outbound half,
`bot.telegram.outbound`). Dialogue decisions all live in the core.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Sequence
from typing import Any

from telegram import BotCommand, CallbackQuery, ChatMember, Update
from telegram.error import InvalidToken, NetworkError
from telegram.ext import Application, ContextTypes, TypeHandler

from bot.chat_turns import ChannelTurns
from bot.reply_handover import ReplyHandover
from bot.telegram.convert import CHANNEL, PayloadRegistry, addressed_to_bot, update_to_incoming
from bot.telegram.core import Core
from bot.telegram.inbound import Reading, log_skipped, read_update
from bot.telegram.ordering import PerChatUpdateProcessor, chat_key, raw_chat_key
from bot.telegram.outbound import APOLOGY as APOLOGY
from bot.telegram.outbound import TelegramOutbound
from bot.telegram.polling import Poller
from bot.telegram.reply_transport import TelegramPartSender
from bot.telegram.sender import ReliableSender, RetryPolicy, SendStatus, Sleep
from bot.telegram.setup import (
    SEND_CONNECTIONS,
    build_application,
    invalid_token_error,
    unreachable_error,
)
from bot.types import Incoming, Outgoing, SendResult

log = logging.getLogger(__name__)

COMMANDS = (
    ("start", "Bắt đầu và xem danh mục chức năng"),
    ("menu", "Danh mục chức năng"),
    ("help", "Hướng dẫn sử dụng"),
    ("huy", "Hủy thao tác đang làm"),
    ("dulieu", "Xem dữ liệu của tôi"),
    ("xoadulieu", "Xóa dữ liệu của tôi"),
    ("ketthuc", "Kết thúc trò chuyện với cán bộ"),
)


class TelegramChannel(TelegramOutbound):
    def __init__(
        self,
        core: Core,
        token: str,
        api_url: str = "https://api.telegram.org",
        *,
        policy: RetryPolicy | None = None,
        sleep: Sleep = asyncio.sleep,
        max_concurrent_updates: int = 256,
        group_chats: str = "ignore",
        handover: ReplyHandover | None = None,
    ) -> None:
        self.core = core
        self.handover = handover  # serve --workers: replies go out through the sender process
        self.api_url = api_url
        self.group_chats = group_chats  # "ignore" | "mention" (KETNOI_GROUP_CHATS)
        self.sender = ReliableSender(policy, sleep)
        # Text replies and button answers as plain JSON POSTs: PTB's request objects and the
        # `Message` built from each answer were a third of the CPU per message (one process).
        self.parts = TelegramPartSender(token, api_url, policy=self.sender.policy, sleep=sleep,
                                        connections=SEND_CONNECTIONS)
        self.registry = PayloadRegistry()
        self.processor = PerChatUpdateProcessor(max_concurrent_updates)
        self.application: Application[Any, Any, Any, Any, Any, Any] = build_application(
            token, api_url, self.processor
        )
        self.application.add_handler(TypeHandler(Update, self._on_update))
        self.application.add_error_handler(self._on_error)
        self._reply_labels: dict[str, dict[str, str]] = {}  # chat → labels of its reply keyboard
        self._keyboard_open: set[str] = set()  # chats showing the share-phone keyboard
        self.poller: Poller | None = None  # set while long polling
        # Several processes: each chat's turns in order, what a dead process left taken over.
        self.turns = ChannelTurns(core, CHANNEL, self._send_to)
        # Raw updates taken in: handled (answered or deliberately ignored) and skipped as unfit.
        self.handled = 0
        self.skipped = 0

    # ------------------------------------------------------------ lifecycle

    async def start(self) -> None:
        """getMe (checks the token), the Vietnamese command menu, then the update queue."""
        try:
            await self.application.initialize()
        except InvalidToken as error:
            raise invalid_token_error(self.api_url) from error
        except NetworkError as error:
            raise unreachable_error(self.api_url, error) from error
        await self.set_commands()
        await self.application.start()
        await self.resume()
        self.turns.start_sweep(self._queue_stored)

    async def resume(self) -> None:
        """What a previous run left: replies committed but not sent, then updates stored in the
        inbox but not handled (they go through the update queue like new ones)."""
        await self.turns.resume(self._queue_stored)

    async def _queue_stored(self, _update_id: str, data: Any) -> None:
        reading = read_update(data, self.application.bot)
        if reading.update is not None:
            await self.application.update_queue.put(reading.update)

    async def store(self, batch: Sequence[tuple[str, Any]]) -> None:
        """Keep updates in the inbox before Telegram is told they arrived (raises if it can't)."""
        await self.core.receive(CHANNEL, batch, [raw_chat_key(raw) for _, raw in batch])

    async def stop(self) -> None:
        await self.turns.stop()
        if self.application.running:
            await self.application.stop()
        await self.application.shutdown()
        await self.parts.aclose()
        if self.handover is not None:
            await self.handover.aclose()

    async def set_commands(self) -> None:
        commands = [BotCommand(name, description) for name, description in COMMANDS]
        outcome = await self.sender.call(
            "setMyCommands", lambda: self.application.bot.set_my_commands(commands)
        )
        if outcome.status is not SendStatus.SENT:
            log.warning("could not set the command menu: %r", outcome.error)

    async def feed(self, data: object) -> Reading:
        """Queue one webhook update for processing; one that does not fit is logged and skipped."""
        reading = read_update(data, self.application.bot)
        if reading.update is None:
            log_skipped(reading, "webhook")
            self.count_skipped()
        else:
            await self.store([(str(reading.update.update_id), data)])
            await self.application.update_queue.put(reading.update)
        return reading

    def count_skipped(self) -> None:
        self.skipped += 1

    # ------------------------------------------------------------ inbound

    async def _on_update(self, update: Update, _context: ContextTypes.DEFAULT_TYPE) -> None:
        try:
            await self.handle_update(update)
        except Exception:
            # One bad update must never stop polling or the webhook: log it and apologise.
            log.exception("failed to handle Telegram update %s", update.update_id)
            await self._apologise(update)
        finally:
            self.handled += 1

    async def _on_error(self, update: object, context: ContextTypes.DEFAULT_TYPE) -> None:
        log.error("error outside update handling: %r (update %r)", context.error, update)

    async def handle_update(self, update: Update) -> None:
        """Handle one update; with several processes, while holding its chat and after the chat's
        unsent replies and earlier stored updates (`bot.chat_turns`)."""
        await self.turns.handle(chat_key(update), str(update.update_id),
                                lambda: self._handle_one(update), self._handle_earlier)

    async def _handle_earlier(self, update_id: str, raw: Any) -> None:
        reading = read_update(raw, self.application.bot)
        if reading.update is None:
            await self.core.ignored(CHANNEL, update_id)
            return
        try:
            await self._handle_one(reading.update)
        except Exception:
            log.exception("failed to handle stored Telegram update %s", update_id)
            await self._apologise(reading.update)

    async def _handle_one(self, update: Update) -> None:
        incoming = await self._incoming(update)
        if incoming is None:
            await self.core.ignored(CHANNEL, str(update.update_id))
            return
        self.sender.unblock(incoming.chat_id)  # a user who writes to the bot can receive again
        query = update.callback_query

        async def deliver(replies: list[Outgoing]) -> list[SendResult]:
            if query is not None:
                await self._answer(query)
            return await self.send_replies(incoming.chat_id, incoming.user_id, replies)

        await self.core.answer(incoming, deliver)

    async def _incoming(self, update: Update) -> Incoming | None:
        """The core's view of the update; None for what the bot does not answer."""
        if update.my_chat_member is not None:
            await self._on_membership(update)
            return None
        if not self._may_answer(update):
            return None
        chat = str(update.effective_chat.id) if update.effective_chat else ""
        await self._learn_payload(update)
        incoming = update_to_incoming(update, self.registry, self._reply_labels.get(chat),
                                      bot_username=self._identity()[0])
        if incoming is None:
            log.info("telegram update %s: nothing the bot answers (edit, service message...)",
                     update.update_id)
        return incoming

    async def _learn_payload(self, update: Update) -> None:
        """A long button payload's short id sent by another process (or before a restart)."""
        data = update.callback_query.data if update.callback_query is not None else None
        lookup = getattr(self.core, "button_payload", None)
        if data is None or lookup is None or not self.registry.unknown(data):
            return
        payload = await lookup(data)
        if payload is not None:
            self.registry.learn(data, payload)

    def _may_answer(self, update: Update) -> bool:
        """Private chats always; groups only when KETNOI_GROUP_CHATS=mention and addressed."""
        chat = update.effective_chat
        if chat is None or chat.type == "private":
            return True
        username, bot_id = self._identity()
        if self.group_chats == "mention" and (
            update.callback_query is not None or addressed_to_bot(update, username, bot_id)
        ):
            return True
        log.info("telegram update %s in %s chat %s ignored (KETNOI_GROUP_CHATS=%s)",
                 update.update_id, chat.type, chat.id, self.group_chats)
        return False

    def _identity(self) -> tuple[str | None, int | None]:
        """The bot's @username and id (known once getMe answered at start)."""
        try:
            return self.application.bot.username, self.application.bot.id
        except RuntimeError:  # not initialised: no getMe yet
            return None, None

    async def _on_membership(self, update: Update) -> None:
        """In a private chat, "kicked" means the user blocked the bot; "member" means unblocked."""
        change = update.my_chat_member
        if change is None or change.chat.type != "private":
            return
        chat_id, user_id = str(change.chat.id), str(change.from_user.id)
        if change.new_chat_member.status == ChatMember.BANNED:
            self.sender.blocked.add(chat_id)
            await self._mark_inactive(user_id)
        elif change.new_chat_member.status == ChatMember.MEMBER:
            self.sender.unblock(chat_id)

    async def _answer(self, query: CallbackQuery) -> None:
        # Stops the button's spinner; a late or repeated answer fails harmlessly.
        if not await self.parts.texts.call("answerCallbackQuery",
                                           {"callback_query_id": query.id}):
            log.debug("answerCallbackQuery failed for %s", query.id)

    async def _apologise(self, update: Update) -> None:
        chat = update.effective_chat
        if chat is None:
            return
        if update.callback_query is not None:
            await self._answer(update.callback_query)
        await self._send_apology(str(chat.id))
