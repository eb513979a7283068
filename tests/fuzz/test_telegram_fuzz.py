"""Fuzz Telegram's two entry points through the real PTB path and the real core, against the fake
Bot API: long polling (any JSON in a getUpdates answer) and the webhook (any request body).

Each raw update ends handled or logged and skipped, never lost silently; every private text
message gets a reply; no handler crashes; the database stays consistent."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from hypothesis import given
from hypothesis import strategies as st

from bot.app import APOLOGY, App
from bot.telegram import APOLOGY as CHANNEL_APOLOGY
from bot.telegram import RetryPolicy, TelegramChannel
from bot.telegram.runner import start_polling, stop_polling
from bot.telegram.webhook import SECRET_HEADER, TelegramWebhook
from bot.web import create_web_app
from tests.bot.fake_telegram import TOKEN, FakeTelegram
from tests.bot.telegram.server import BackgroundServer
from tests.fuzz import strategies as fz
from tests.fuzz.conftest import ErrorLog
from tests.fuzz.consistency import problems
from tests.fuzz.tally import tried
from tests.handlers.chat import fresh_app

SECRET = "fuzz-secret"
# (raw update, chat id that must get a reply, or None when no reply is owed)
TAGGED = st.one_of(
    fz.text_update(),
    fz.other_update().map(lambda u: (u, None)),
    fz.broken_update().map(lambda u: (u, None)),
)
BATCHES = st.lists(TAGGED, min_size=1, max_size=4)


@pytest.fixture
async def fake() -> AsyncIterator[FakeTelegram]:
    api = FakeTelegram()
    server = BackgroundServer(api.app)
    api.url = await server.start()  # type: ignore[attr-defined]
    yield api
    await api.close()
    await server.stop()


@pytest.fixture
async def app(tmp_path: Path) -> AsyncIterator[App]:
    app = await fresh_app(tmp_path)
    yield app
    await app.close()


def make_channel(fake: FakeTelegram, app: App) -> TelegramChannel:
    async def no_wait(_seconds: float) -> None:
        return None

    return TelegramChannel(app, TOKEN, fake.url,  # type: ignore[attr-defined]
                           policy=RetryPolicy(max_attempts=3, base_delay=0.1), sleep=no_wait)


@pytest.fixture
async def polling(fake: FakeTelegram, app: App) -> AsyncIterator[TelegramChannel]:
    channel = make_channel(fake, app)
    await start_polling(channel, poll_timeout=2)
    yield channel
    await stop_polling(channel)


@pytest.fixture
async def webhook(fake: FakeTelegram, app: App) -> AsyncIterator[tuple[TelegramChannel, Any]]:
    channel = make_channel(fake, app)
    hook = TelegramWebhook(channel, SECRET)
    await hook.start()
    transport = httpx.ASGITransport(app=create_web_app([hook]))
    async with httpx.AsyncClient(transport=transport, base_url="http://ketnoi") as client:
        yield channel, client
    await hook.stop()


async def settle(fake: FakeTelegram, channel: TelegramChannel, taken_in: int,
                 owed: list[int]) -> None:
    """Wait until every raw update was handled or skipped; then every owed reply is out (the
    adapter counts an update as handled once its replies are sent)."""
    try:
        await fake.wait_for(lambda: channel.handled + channel.skipped >= taken_in, timeout=60)
    except TimeoutError:
        lost = taken_in - channel.handled - channel.skipped
        raise AssertionError(f"{lost} update(s) neither handled nor skipped") from None
    unanswered = [chat for chat in owed if not fake.sent(chat)]
    assert unanswered == [], f"no reply in chat(s) {unanswered}"


def check_outcome(fake: FakeTelegram, app_errors: ErrorLog, since: int) -> None:
    """Nothing went wrong in the calls made since `since` (this input's)."""
    sent = [c for c in fake.calls[since:] if c.method == "sendMessage"]
    apologies = [c.params for c in sent if c.params.get("text") in (APOLOGY, CHANNEL_APOLOGY)]
    assert apologies == [], app_errors.lines()
    assert app_errors.lines() == []
    assert all(c.status == 200 for c in sent), "Telegram refused a reply"


@given(batch=BATCHES)
async def test_polling_takes_any_updates_and_goes_on(
    fake: FakeTelegram, app: App, polling: TelegramChannel, errors: ErrorLog,
    batch: list[tuple[Any, int | None]],
) -> None:
    errors.records.clear()
    since = len(fake.calls)
    start = polling.handled + polling.skipped
    for update, _ in batch:
        await fake.push(update)
    tried("telegram polling update", len(batch))
    await settle(fake, polling, start + len(batch), [c for _, c in batch if c is not None])
    check_outcome(fake, errors, since)
    await app.flush()
    assert await problems(app.services.db) == []


def lone_surrogates(update: dict[str, Any]) -> bytes:
    """JSON escapes of a lone surrogate: valid JSON, not valid Unicode once decoded."""
    update["message"]["text"] = "\ud83d cần máy sấy \udfff"
    return json.dumps(update).encode()


BODIES = st.one_of(
    TAGGED.map(lambda pair: (json.dumps(pair[0]).encode(), pair[1])),
    fz.text_update().map(lambda pair: (lone_surrogates(pair[0]), pair[1])),
    st.binary(max_size=300).map(lambda body: (body, None)),
)


@given(bodies=st.lists(BODIES, min_size=1, max_size=4))
async def test_webhook_takes_any_body_and_never_drops_an_update_silently(
    fake: FakeTelegram, app: App, webhook: tuple[TelegramChannel, httpx.AsyncClient],
    errors: ErrorLog, bodies: list[tuple[bytes, int | None]],
) -> None:
    channel, client = webhook
    errors.records.clear()
    since = len(fake.calls)
    start = channel.handled + channel.skipped
    for body, owed in bodies:
        tried("telegram webhook body")
        response = await client.post("/telegram/webhook", content=body,
                                     headers={SECRET_HEADER: SECRET})
        assert response.status_code in (200, 400), (response.status_code, body[:200])
        if owed is not None:
            assert response.status_code == 200, body[:300]
    await settle(fake, channel, start + len(bodies), [c for _, c in bodies if c is not None])
    check_outcome(fake, errors, since)
    await app.flush()
    assert await problems(app.services.db) == []
