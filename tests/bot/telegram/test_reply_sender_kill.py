"""`ketnoi serve --workers 2` on PostgreSQL with its reply sender process: the workers are
SIGKILLed while their replies are on their way to Telegram, and every reply still arrives exactly
once (the restarted workers hand the pending replies over again; the sender, still alive, sends
each reply id once). Then the sender itself is SIGKILLed mid-send: nothing is lost, and only the
message it was sending may arrive twice."""

from __future__ import annotations

import asyncio
import json
import os
import signal
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest

from tests.bot.fake_telegram import FakeTelegram
from tests.bot.telegram.server import BackgroundServer
from tests.bot.telegram.serving import (
    ServeProcess,
    Webhook,
    create_database,
    drop_database,
    free_port,
    same,
    settle,
)
from tests.bot.telegram.test_workers import DIALOGUE
from tests.storage.conftest import PG_URL, _pg_reachable

SEND_TAKES_S = 0.4  # each sendMessage: long enough to kill the workers in the middle of one


class SlowTelegram:
    """The fake Bot API, answering each sendMessage after a pause; counts requests begun."""

    def __init__(self) -> None:
        self.api = FakeTelegram()
        self.begun: dict[str, int] = {}  # chat → sendMessage requests received
        self.slow = False

    async def app(self, scope: Any, receive: Any, send: Any) -> None:
        if self.slow and scope["type"] == "http" and scope["path"].endswith("/sendMessage"):
            body = b""
            more = True
            while more:
                message = await receive()
                body += message.get("body", b"")
                more = message.get("more_body", False)
            chat = str(json.loads(body or b"{}").get("chat_id"))
            self.begun[chat] = self.begun.get(chat, 0) + 1
            await asyncio.sleep(SEND_TAKES_S)
            replay = [{"type": "http.request", "body": body, "more_body": False}]

            async def again() -> Any:
                return replay.pop() if replay else await receive()

            await self.api.app(scope, again, send)
            return
        await self.api.app(scope, receive, send)


@pytest.fixture
async def slow_serve(tmp_path: Path) -> AsyncIterator[tuple[SlowTelegram, ServeProcess]]:
    if not await _pg_reachable():
        if os.environ.get("KETNOI_REQUIRE_POSTGRES"):
            pytest.fail(f"PostgreSQL required but not reachable at {PG_URL}")
        pytest.skip("PostgreSQL not reachable")
    fake = SlowTelegram()

    async def app(scope: Any, receive: Any, send: Any) -> None:  # uvicorn wants a function
        await fake.app(scope, receive, send)

    server = BackgroundServer(app)
    api_url = await server.start()
    db_url = await create_database(PG_URL, prefix="t_replies")
    bot = ServeProcess(db_url, api_url, free_port(), workers=2, log=tmp_path / "serve.log")
    try:
        await bot.start()
        yield fake, bot
    finally:
        await bot.stop()
        await fake.api.close()
        await server.stop()
        await drop_database(PG_URL, db_url)


async def test_workers_killed_while_their_replies_are_sent_repeat_none(
        slow_serve: tuple[SlowTelegram, ServeProcess]) -> None:
    fake, bot = slow_serve
    api, hook = fake.api, Webhook([bot.url])
    sender = bot.sender_pid()
    assert sender is not None and sender not in bot.worker_pids()
    steps = []  # the replies of each step as they come without kills
    for line in DIALOGUE[:3]:
        before = len(api.sent(800_000))
        await hook.post(api.message(800_000, line))
        await api.wait_for(lambda b=before: len(api.sent(800_000)) > b, 60)
        await settle(api, 800_000)
        steps.append(len(api.sent(800_000)))
    everything = same(api.texts(800_000))
    reference = everything[:steps[1]]

    fake.slow = True
    chats = [800_001, 800_002, 800_003]
    await asyncio.gather(*(hook.post(api.message(c, DIALOGUE[0])) for c in chats))
    await api.wait_for(lambda: all(fake.begun.get(str(c)) for c in chats), 60)
    doomed = bot.worker_pids()
    for pid in doomed:  # every worker: whichever holds the replies in flight dies
        os.kill(pid, signal.SIGKILL)
    await api.wait_for(lambda: len(bot.worker_pids()) == 2
                       and not set(bot.worker_pids()) & set(doomed), 60)
    await bot.wait_ready(120)
    fake.slow = False
    for chat in chats:
        await api.wait_for(lambda c=chat: len(api.sent(c)) >= 1, 60)
        await hook.post(api.message(chat, DIALOGUE[1]))
    await api.wait_for(lambda: all(len(api.sent(c)) >= len(reference) for c in chats), 60)
    for chat in chats:
        await settle(api, chat, quiet=1.0)
        assert same(api.texts(chat)) == reference, f"chat {chat}"
    assert bot.sender_pid() == sender  # the sender was not restarted: no repeat is excused

    # The reply sender itself killed mid-send: nothing lost, the one message under way may come
    # twice (at least once), the rest once and in order.
    fake.slow = True
    begun = {chat: fake.begun.get(str(chat), 0) for chat in chats}
    await asyncio.gather(*(hook.post(api.message(c, DIALOGUE[2])) for c in chats))
    await api.wait_for(lambda: all(fake.begun.get(str(c), 0) > begun[c] for c in chats), 60)
    os.kill(sender, signal.SIGKILL)
    await api.wait_for(lambda: bot.sender_pid() not in (None, sender), 60)
    fake.slow = False
    await api.wait_for(lambda: all(len(api.sent(c)) >= len(everything) for c in chats), 60)
    for chat in chats:
        await settle(api, chat, quiet=1.0)
        texts = same(api.texts(chat))
        assert [t for n, t in enumerate(texts) if n == 0 or t != texts[n - 1]] == everything
        assert len(texts) - len(everything) <= 1, f"chat {chat}: {texts}"
    await hook.close()
