"""The channel-agnostic core: `App.answer(Incoming, deliver)` and `App.handle(Incoming)`.

One update: lock the chat (messages of one chat are handled in order, different chats
concurrently) → drop it if it was processed (re-sending its unsent replies) → load the state →
dispatch to the handlers → commit, in one transaction, their effects, the update as processed
(and done in the inbox), the state, the log of both directions and the replies as outbox rows →
send the replies at once and record each one sent. Channels store updates in the inbox
(`receive`) before acknowledging them, and hand back at start what a previous run left
(`unhandled`, `resend_pending`). Never raises: an unexpected error is answered with an apology,
the handlers' effects are rolled back and the chat's state is left as it was.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, Any

from bot import metrics
from bot.config import Settings, get_settings
from bot.incoming_text import clean
from bot.ordering import ChatOrder
from bot.types import (
    ContentKind,
    Incoming,
    Outgoing,
    SendResult,
    outgoing_from_dict,
    outgoing_to_dict,
)
from handlers import routers
from handlers.base import Context, Services
from handlers.dispatch import Dispatcher
from storage import state as state_stores
from storage.db import Database
from storage.keyed_locks import KeyedLocks
from storage.repos import inbox, outbox, payloads, users
from storage.repos.outbox import QueuedReply
from storage.sent_marks import SentMarks
from storage.state import DialogueState, LogLine, StateStore
from storage.state.base import TurnOutcome, TurnResult

if TYPE_CHECKING:
    from nlu.api import NluBackend

log = logging.getLogger(__name__)

# Sends a turn's replies in order, one result per reply (the channel adapter's job).
Deliver = Callable[[list[Outgoing]], Awaitable[list[SendResult]]]
# The same for replies left from an earlier run: (recipient, replies).
SendTo = Callable[[str, list[Outgoing]], Awaitable[list[SendResult]]]

MAX_TEXT = 2000  # longer messages are cut (and answered); nobody types a 10,000-char demand
APOLOGY = (
    "Xin lỗi anh/chị, hệ thống đang gặp sự cố nên em chưa xử lý được tin nhắn này. "
    "Anh/chị vui lòng thử lại sau ít phút, hoặc gõ /menu để bắt đầu lại ạ."
)
TOO_LONG = "Dạ, tin nhắn khá dài nên em chỉ đọc phần đầu (khoảng 2.000 ký tự) ạ."


class App:
    def __init__(self, services: Services, dispatcher: Dispatcher) -> None:
        self.services = services
        self.dispatcher = dispatcher
        self.locks = KeyedLocks()  # a chat's turns within this process, in order
        # Across processes (PostgreSQL, Redis): which process may run a chat's turn now.
        self.order: ChatOrder | None = None
        # Users who blocked the bot (loaded at start): when they write again, they are back.
        self.inactive: set[tuple[str, str]] = set()
        # PostgreSQL: replies recorded as sent, and updates stored for the inbox, each on a
        # connection of their own, batched.
        self.marks: SentMarks | None = None
        self.intake: inbox.InboxWrites | None = None

    @classmethod
    async def create(
        cls,
        settings: Settings | None = None,
        *,
        db: Database | None = None,
        nlu: NluBackend | None = None,
        states: StateStore | None = None,
        search: Any = None,
        upgrade: bool = True,
    ) -> App:
        """Build the app from settings: migrate the database, load (or train) the NLU model."""
        settings = settings or get_settings()
        db = db or Database(settings.database_url, pool_size=settings.db_pool_size)
        if upgrade:
            await db.upgrade()
        if nlu is None:
            from nlu.api import make_backend

            nlu = make_backend(settings)
            await _warm_up(nlu)
        if search is None:
            search = _make_search(db)
        services = Services(
            db=db, nlu=metrics.TimedNlu(nlu), states=states or state_stores.for_database(db),
            search=metrics.TimedSearch(search) if search else search, settings=settings
        )
        app = cls(services, Dispatcher(routers()))
        app.order = ChatOrder.for_database(db, settings.redis_url, settings.redis_prefix)
        if db.dialect == "postgresql":
            app.marks, app.intake = SentMarks(db), inbox.InboxWrites(db)
        app.inactive = await users.inactive_accounts(db)
        return app

    async def handle(self, incoming: Incoming) -> list[Outgoing]:
        """Answer one message and return the replies for the caller to show (the console,
        tools, tests); nothing is queued. Never raises; [] for an already processed update."""
        return await self.answer(incoming)

    async def answer(self, incoming: Incoming, deliver: Deliver | None = None) -> list[Outgoing]:
        """Handle one update exactly once; with `deliver`, send its replies after the commit.

        The turn's effects, the update id as processed and its replies (outbox rows) commit
        together; then `deliver` sends them at once and each one sent is recorded. A redelivered
        update that was committed re-sends only its replies not recorded as sent. Never raises.
        """
        incoming = clean(incoming)
        started = time.perf_counter()
        duplicate = [False]
        try:
            replies = await self._answer(incoming, deliver, duplicate)
        except Exception:
            log.exception("failed to handle a message from %s:%s", incoming.channel,
                          incoming.chat_id)
            if deliver is not None:  # nothing committed: the inbox keeps the update for later
                await _quietly(deliver([Outgoing(APOLOGY)]))
            replies = [Outgoing(APOLOGY)]
        outcome = ("duplicate" if duplicate[0] else "relayed" if not replies  # to a person
                   else "error" if any(r.text == APOLOGY for r in replies) else "replied")
        metrics.update_handled(incoming.channel, outcome, time.perf_counter() - started)
        return replies

    async def _answer(self, incoming: Incoming, deliver: Deliver | None,
                      duplicate: list[bool]) -> list[Outgoing]:
        async with self.locks.hold((incoming.channel, str(incoming.chat_id))):
            result, shown = await self._turn(incoming, queue=deliver is not None)
            duplicate[0] = result.duplicate
            if deliver is None:
                return [] if result.duplicate else shown
            queued = result.unsent if result.duplicate else result.queued
            await self._deliver(queued, deliver)
            if result.outcome is not None and result.outcome.erased:
                await outbox.anonymise(self.services.db, [q.id for q in queued])
            return [outgoing_from_dict(q.payload) for q in queued]

    async def _deliver(self, queued: list[QueuedReply], deliver: Deliver) -> None:
        if not queued:
            return
        results = await deliver([replace(outgoing_from_dict(q.payload), ref=q.id)
                                 for q in queued])
        # A reply sender process records what it sends before answering (`recorded`).
        sent = [(q.id, r.message_id) for q, r in zip(queued, results, strict=False)
                if r.status == "sent" and not r.recorded]
        if not sent:
            return
        # Until this record, a crash sends them again: it waits for no pooled connection.
        if self.marks is not None and not self.services.db.in_transaction():
            await self.marks.mark(sent)
        else:
            await self.services.states.mark_sent(sent)

    async def resend_pending(self, channel: str, send: SendTo, *,
                             stale_after: float | None = None) -> int:
        """Send the replies a previous run committed but did not record as sent (it died in
        between); returns how many were sent. Called at start, before new updates, and (with
        `stale_after`: only replies committed that many seconds ago) every few seconds with
        several processes: a process that died after committing a turn leaves its replies to
        nobody else when the chat sends nothing more. Each chat under its lock."""
        count = 0
        db = self.services.db
        before = (None if stale_after is None
                  else datetime.now(UTC) - timedelta(seconds=stale_after))
        for recipient, queued in await outbox.pending_replies(db, channel,
                                                              committed_before=before):
            async def to_recipient(replies: list[Outgoing], to: str = recipient
                                   ) -> list[SendResult]:
                return await send(to, replies)

            async with self._cross_process(channel, recipient), \
                    self.locks.hold((channel, recipient)):
                if self.order is not None and self.order.across_processes:
                    # another process may have sent them while this one waited for the chat
                    queued = await outbox.pending_replies_to(db, channel, recipient)
                await self._deliver(queued, to_recipient)
            count += len(queued)
        return count

    async def resend_pending_to(self, channel: str, chat_id: str, send: SendTo) -> int:
        """Send one chat's replies that another process committed but did not record as sent (it
        died in between), before the chat's next update: they come before newer replies, not
        after that process restarts. The caller holds the chat across processes."""
        if self.order is not None and self.order.nothing_unsent(channel, chat_id):
            return 0  # the chat lock's own statement saw none
        async with self.locks.hold((channel, chat_id)):
            queued = await outbox.pending_replies_to(self.services.db, channel, chat_id)

            async def to_chat(replies: list[Outgoing]) -> list[SendResult]:
                return await send(chat_id, replies)

            await self._deliver(queued, to_chat)
        return len(queued)

    def _cross_process(self, channel: str, chat_id: str) -> Any:
        if self.order is None:
            return contextlib.nullcontext()
        return self.order.hold(channel, chat_id)

    async def receive(self, channel: str, updates: Sequence[tuple[str, Any]],
                      chats: Sequence[str | None] | None = None) -> None:
        """Store delivered updates (id, raw JSON; `chats`: each one's chat when known) before the
        channel is told they arrived."""
        if self.intake is not None:
            await self.intake.store(channel, updates, chats)
            return
        store = getattr(self.services.states, "store_updates", None)  # a SQLite file's fast path
        if store is not None:
            await store(channel, updates, chats)
        else:
            await inbox.store(self.services.db, channel, updates, chats)

    async def remember_payloads(self, pairs: dict[str, str]) -> None:
        """Long button payloads under the short ids a channel sends instead."""
        await payloads.remember(self.services.db, pairs)

    async def button_payload(self, short: str) -> str | None:
        return await payloads.lookup(self.services.db, short)

    async def unhandled(self, channel: str) -> list[tuple[str, Any]]:
        """Stored updates not handled yet (a previous run stopped first), oldest first."""
        return await inbox.unhandled(self.services.db, channel)

    async def ignored(self, channel: str, update_id: str) -> None:
        """An update the adapter deliberately does not answer: done in the inbox."""
        await inbox.mark_done(self.services.db, channel, update_id)

    async def _turn(self, incoming: Incoming, *,
                    queue: bool) -> tuple[TurnResult, list[Outgoing]]:
        channel, chat_id = incoming.channel, str(incoming.chat_id)
        update_id = str(incoming.update_id) if incoming.update_id is not None else None
        if (channel, str(incoming.user_id)) in self.inactive:
            await self._set_active(channel, str(incoming.user_id), True)

        shown: list[Outgoing] = []

        async def body(state: DialogueState) -> TurnOutcome:
            replies, ctx, failed = await self._dispatch(incoming, state)
            shown[:] = replies
            queued = [outgoing_to_dict(r) for r in replies] if queue else []
            if ctx.erased and not failed:  # erase means erased: this turn keeps nothing either
                return TurnOutcome(DialogueState(), [], queued, None, erased=True)
            lines = [LogLine("in", incoming.payload or ctx.text or f"[{incoming.kind}]",
                             str(incoming.user_id), ctx.intent,
                             ctx.confidence if ctx.nlu else None)]
            lines += [LogLine("out", r.text) for r in replies]
            user_id, sender = None, None
            if queue and not failed:
                if ctx.loaded_user is None and self.services.states.finds_sender:
                    sender = (str(incoming.user_id), incoming.user_name)  # found by the commit
                else:
                    user_id = (await ctx.user()).id
            return TurnOutcome(None if failed else ctx.state, lines, queued, user_id, failed,
                               sender=sender)

        sender = str(incoming.user_id) if incoming.user_id is not None else None
        return await self.services.states.run_turn(channel, chat_id, update_id, body,
                                                   sender), shown

    async def _dispatch(self, incoming: Incoming,
                        state: DialogueState) -> tuple[list[Outgoing], Context, bool]:
        """The handlers' replies; `failed` when one raised (its effects are then rolled back and
        the chat's state is left as it was before the message)."""
        text = (incoming.text or "").strip()
        replies: list[Outgoing] = []
        if len(text) > MAX_TEXT and incoming.kind in (ContentKind.TEXT, ContentKind.COMMAND):
            text = text[:MAX_TEXT]
            replies.append(Outgoing(TOO_LONG))
        ctx = Context(incoming, self.services, state, self.dispatcher, text)
        try:
            await self.dispatcher.dispatch(ctx)
        except Exception:
            log.exception("handler error for %s:%s", incoming.channel, incoming.chat_id)
            return [*replies, Outgoing(APOLOGY)], ctx, True
        if not ctx.replies and not ctx.quiet:
            ctx.replies = [Outgoing("Dạ, anh/chị cần em hỗ trợ gì thêm ạ?")]
        return [*replies, *ctx.replies], ctx, False

    async def mark_user_inactive(self, channel: str, user_id: str) -> None:
        """The user blocked the bot (or left): stop sending them anything proactive."""
        await self._set_active(channel, str(user_id), False)

    async def _set_active(self, channel: str, user_id: str, active: bool) -> None:
        try:
            known = await users.set_account_active(self.services.db, channel, user_id, active)
        except Exception:
            log.exception("could not mark %s:%s active=%s", channel, user_id, active)
            return
        if active:
            self.inactive.discard((channel, user_id))
        elif known:
            self.inactive.add((channel, user_id))

    async def flush(self) -> None:
        """Wait until the states and message log of handled messages are stored."""
        await self.services.states.flush()

    async def close(self) -> None:
        await self.services.states.close()
        for batches in (self.marks, self.intake):
            if batches is not None:
                await batches.close()
        if self.order is not None:
            await self.order.close()
        closer = getattr(self.services.nlu, "aclose", None)
        if closer is not None:
            await closer()
        await self.services.db.dispose()


async def _quietly(action: Awaitable[object]) -> None:
    try:
        await action
    except Exception:
        log.exception("could not send the apology")


async def _warm_up(nlu: NluBackend) -> None:
    """Load (training on first run) the embedded model now, off the event loop."""
    target = getattr(nlu, "embedded", nlu)
    if hasattr(target, "engine"):
        await asyncio.to_thread(lambda: target.engine)


def _make_search(db: Database) -> Any:
    from storage.search import CatalogSearch

    return CatalogSearch()
