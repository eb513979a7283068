"""What the Telegram adapter needs from the core (`bot.app.App` provides it): answer an update
exactly once, store updates before they are acknowledged, resume what a previous run left."""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Sequence
from typing import Any, Protocol

from bot.types import Incoming, Outgoing, SendResult

Deliver = Callable[[list[Outgoing]], Awaitable[list[SendResult]]]


class Core(Protocol):
    """What the adapter needs from the dialogue core (`bot.app.App`)."""

    async def handle(self, incoming: Incoming) -> list[Outgoing]: ...

    async def answer(self, incoming: Incoming, deliver: Deliver | None = None
                     ) -> list[Outgoing]: ...

    async def receive(self, channel: str, updates: Sequence[tuple[str, Any]],
                      chats: Sequence[str | None] | None = None) -> None: ...

    async def unhandled(self, channel: str) -> list[tuple[str, Any]]: ...

    async def ignored(self, channel: str, update_id: str) -> None: ...

    async def resend_pending(
        self, channel: str, send: Callable[[str, list[Outgoing]], Awaitable[list[SendResult]]],
        *, stale_after: float | None = None,
    ) -> int: ...

    async def resend_pending_to(
        self, channel: str, chat_id: str,
        send: Callable[[str, list[Outgoing]], Awaitable[list[SendResult]]],
    ) -> int: ...

    async def mark_user_inactive(self, channel: str, user_id: str) -> None: ...
