"""Fixtures for the Telegram channel: the fake Bot API, a scripted core double, a polling bot."""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable, Sequence
from typing import Any

import pytest

from bot.telegram import RetryPolicy, TelegramChannel
from bot.telegram.runner import start_polling, stop_polling
from bot.types import Button, ContentKind, Incoming, Outgoing, SendResult
from tests.bot.fake_telegram import TOKEN, FakeTelegram
from tests.bot.telegram.server import serving

MENU = (
    Button("Tìm công nghệ", "menu:find_technology"),
    Button("Tìm chuyên gia", "menu:find_expert"),
    Button("Sự kiện sắp tới", "menu:events"),
)


class ScriptedCore:
    """Test double of `bot.app.App` (same `answer` / inbox / `mark_user_inactive` signatures).

    Like the real core it answers each (channel, update_id) once and does nothing for a repeat;
    its inbox is a dict (update id → raw JSON, and whether it was handled).
    """

    def __init__(self) -> None:
        self.seen: set[tuple[str, str]] = set()
        self.received: list[Incoming] = []
        self.inactive: list[tuple[str, str]] = []
        self.script: Callable[[Incoming], list[Outgoing]] = self.default_script
        self.inbox: dict[str, Any] = {}
        self.done: set[str] = set()

    async def handle(self, incoming: Incoming) -> list[Outgoing]:
        if incoming.update_id is not None:
            key = (incoming.channel, str(incoming.update_id))
            if key in self.seen:
                return []
            self.seen.add(key)
            self.done.add(str(incoming.update_id))
        self.received.append(incoming)
        return self.script(incoming)

    async def answer(self, incoming: Incoming,
                     deliver: Callable[[list[Outgoing]], Awaitable[list[SendResult]]] | None = None
                     ) -> list[Outgoing]:
        replies = await self.handle(incoming)  # tests may replace `handle`
        if deliver is not None and replies:
            await deliver(replies)
        return replies

    async def receive(self, channel: str, updates: Sequence[tuple[str, Any]],
                      chats: Sequence[str | None] | None = None) -> None:
        for update_id, raw in updates:
            self.inbox.setdefault(update_id, raw)

    async def unhandled(self, channel: str) -> list[tuple[str, Any]]:
        return [(k, v) for k, v in self.inbox.items() if k not in self.done]

    async def ignored(self, channel: str, update_id: str) -> None:
        self.done.add(update_id)

    async def resend_pending(self, channel: str, send: Any) -> int:
        return 0

    async def mark_user_inactive(self, channel: str, user_id: str) -> None:
        self.inactive.append((channel, user_id))

    @staticmethod
    def default_script(incoming: Incoming) -> list[Outgoing]:
        if incoming.kind is ContentKind.BUTTON:
            return [Outgoing(f"Anh/chị đã chọn {incoming.payload}.")]
        if incoming.kind is ContentKind.CONTACT:
            return [Outgoing(f"Cảm ơn anh/chị, số điện thoại {incoming.text} đã được ghi nhận.")]
        if incoming.text.startswith("/start event_"):
            code = incoming.text.removeprefix("/start event_")
            return [
                Outgoing(
                    f"Đăng ký sự kiện {code}: anh/chị vui lòng chia sẻ số điện thoại.",
                    request_contact=True,
                )
            ]
        if incoming.kind is ContentKind.STICKER:
            return [Outgoing("Cảm ơn sticker của anh/chị! Anh/chị cần hỗ trợ gì ạ?")]
        return [Outgoing("Xin chào anh/chị! Tôi có thể giúp gì ạ?", buttons=MENU)]


@pytest.fixture
async def fake() -> AsyncIterator[FakeTelegram]:
    async with serving(api := FakeTelegram()):
        yield api


@pytest.fixture
def core() -> ScriptedCore:
    return ScriptedCore()


@pytest.fixture
def sleeps() -> list[float]:
    """Delays the sender asked for; the test sleeps do not actually wait."""
    return []


@pytest.fixture
def make_channel(fake: FakeTelegram, sleeps: list[float]) -> Callable[..., TelegramChannel]:
    async def no_wait(seconds: float) -> None:
        sleeps.append(seconds)

    def make(core: object, **options: Any) -> TelegramChannel:
        return TelegramChannel(
            core,  # type: ignore[arg-type]
            TOKEN,
            fake.url,  # type: ignore[attr-defined]
            policy=RetryPolicy(max_attempts=4, base_delay=0.5),
            sleep=no_wait,
            **options,
        )

    return make


@pytest.fixture
async def bot(
    make_channel: Callable[..., TelegramChannel], core: ScriptedCore
) -> AsyncIterator[TelegramChannel]:
    """A polling bot (the real PTB Application) talking to the fake API."""
    channel = make_channel(core)
    await start_polling(channel, poll_timeout=5)
    yield channel
    await stop_polling(channel)
