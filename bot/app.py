"""The channel-agnostic core: `App.handle(Incoming) -> list[Outgoing]`.

One message: drop duplicates (channel, update_id) → lock the chat (messages of one chat are
handled in order, different chats concurrently) → load its state → dispatch to the handlers →
save the state and log both directions. `handle` never raises: an unexpected error is logged and
answered with an apology, and the chat's state is left as it was before the message.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import TYPE_CHECKING, Any

from bot import metrics
from bot.config import Settings, get_settings
from bot.incoming_text import clean
from bot.types import ContentKind, Incoming, Outgoing
from handlers import routers
from handlers.base import Context, Services
from handlers.dispatch import Dispatcher
from storage import state as state_stores
from storage.db import Database
from storage.repos import users
from storage.state import DialogueState, LogLine, StateStore

if TYPE_CHECKING:
    from nlu.api import NluBackend

log = logging.getLogger(__name__)

MAX_TEXT = 2000  # longer messages are cut (and answered); nobody types a 10,000-char demand
APOLOGY = (
    "Xin lỗi anh/chị, hệ thống đang gặp sự cố nên em chưa xử lý được tin nhắn này. "
    "Anh/chị vui lòng thử lại sau ít phút, hoặc gõ /menu để bắt đầu lại ạ."
)
TOO_LONG = "Dạ, tin nhắn khá dài nên em chỉ đọc phần đầu (khoảng 2.000 ký tự) ạ."


class ChatLocks:
    """One asyncio.Lock per chat, dropped when nobody holds or waits for it."""

    def __init__(self) -> None:
        self._locks: dict[tuple[str, str], tuple[asyncio.Lock, int]] = {}

    @asynccontextmanager
    async def hold(self, key: tuple[str, str]) -> AsyncIterator[None]:
        lock, users_ = self._locks.get(key, (asyncio.Lock(), 0))
        self._locks[key] = (lock, users_ + 1)
        try:
            async with lock:
                yield
        finally:
            lock, users_ = self._locks[key]
            if users_ <= 1:
                del self._locks[key]
            else:
                self._locks[key] = (lock, users_ - 1)

    def __len__(self) -> int:
        return len(self._locks)


class App:
    def __init__(self, services: Services, dispatcher: Dispatcher) -> None:
        self.services = services
        self.dispatcher = dispatcher
        self.locks = ChatLocks()
        # Users who blocked the bot (loaded at start): when they write again, they are back.
        self.inactive: set[tuple[str, str]] = set()

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
        db = db or Database(settings.database_url)
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
        app.inactive = await users.inactive_accounts(db)
        return app

    async def handle(self, incoming: Incoming) -> list[Outgoing]:
        """Answer one message (never raises; [] only for an already processed update)."""
        incoming = clean(incoming)
        started = time.perf_counter()
        try:
            async with self.locks.hold((incoming.channel, str(incoming.chat_id))):
                replies = await self._turn(incoming)
        except Exception:
            log.exception("failed to handle a message from %s:%s", incoming.channel,
                          incoming.chat_id)
            replies = [Outgoing(APOLOGY)]
        outcome = ("duplicate" if not replies
                   else "error" if any(r.text == APOLOGY for r in replies) else "replied")
        metrics.update_handled(incoming.channel, outcome, time.perf_counter() - started)
        return replies

    async def _turn(self, incoming: Incoming) -> list[Outgoing]:
        channel, chat_id = incoming.channel, str(incoming.chat_id)
        update_id = str(incoming.update_id) if incoming.update_id is not None else None
        state = await self.services.states.begin_turn(channel, chat_id, update_id)
        if state is None:
            return []
        if (channel, str(incoming.user_id)) in self.inactive:
            await self._set_active(channel, str(incoming.user_id), True)
        text = (incoming.text or "").strip()
        replies: list[Outgoing] = []
        if len(text) > MAX_TEXT and incoming.kind in (ContentKind.TEXT, ContentKind.COMMAND):
            text = text[:MAX_TEXT]
            replies.append(Outgoing(TOO_LONG))
        ctx = Context(incoming, self.services, state, self.dispatcher, text)
        try:
            await self.dispatcher.dispatch(ctx)
            replies.extend(ctx.replies or [Outgoing("Dạ, anh/chị cần em hỗ trợ gì thêm ạ?")])
            new_state: DialogueState | None = ctx.state
        except Exception:
            log.exception("handler error for %s:%s", channel, chat_id)
            replies.append(Outgoing(APOLOGY))
            new_state = None  # keep the state from before this message
        lines = [LogLine("in", incoming.payload or ctx.text or f"[{incoming.kind}]",
                         str(incoming.user_id), ctx.intent,
                         ctx.confidence if ctx.nlu else None)]
        lines += [LogLine("out", r.text) for r in replies]
        try:
            await self.services.states.end_turn(channel, chat_id, new_state, lines)
        except Exception:  # the handlers' work is done; an unsaved step beats a lost answer
            log.exception("could not save the state of %s:%s", channel, chat_id)
        return replies

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
        closer = getattr(self.services.nlu, "aclose", None)
        if closer is not None:
            await closer()
        await self.services.db.dispose()


async def _warm_up(nlu: NluBackend) -> None:
    """Load (training on first run) the embedded model now, off the event loop."""
    target = getattr(nlu, "embedded", nlu)
    if hasattr(target, "engine"):
        await asyncio.to_thread(lambda: target.engine)


def _make_search(db: Database) -> Any:
    from storage.search import CatalogSearch

    return CatalogSearch()
