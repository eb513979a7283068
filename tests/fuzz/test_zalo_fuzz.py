"""Fuzz the Zalo entry points through the real adapters and the real core, against the fake
Zalo APIs: the Bot Platform's webhook (any request body) and polling (any update getUpdates
brings), and the OA's webhook (any signed event).

Each event ends answered, or deliberately ignored (its inbox row done), or refused with a 4xx,
never lost silently; every private text message gets a reply; no handler crashes; the database
stays consistent."""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest
from hypothesis import given
from hypothesis import strategies as st
from sqlalchemy import select

from bot.app import APOLOGY, App
from bot.web import create_web_app
from bot.zalo.bot_platform import APOLOGY as CHANNEL_APOLOGY
from bot.zalo.bot_platform import ZaloBotChannel, poll
from bot.zalo.client import ZaloBotClient
from bot.zalo.delivery import RetryPolicy
from bot.zalo.oa import ZaloOAChannel, ZaloOAClient, ZaloOASender
from bot.zalo.tokens import TokenPair
from bot.zalo.webhook import BOT_SECRET_HEADER, ZaloBotWebhook, ZaloOAWebhook
from storage.models import InboxUpdate
from tests.bot.fake_zalo import BOT_TOKEN, FakeZaloBot
from tests.bot.fake_zalo_oa import OA_APP_ID, OA_SECRET_KEY, FakeZaloOA
from tests.bot.telegram.server import serving
from tests.bot.zalo.conftest import Followers, make_keeper
from tests.fuzz import strategies as fz
from tests.fuzz.conftest import ErrorLog
from tests.fuzz.consistency import problems
from tests.fuzz.tally import tried
from tests.handlers.chat import fresh_app

SECRET = "fuzz-zalo-secret"
POLICY = RetryPolicy(max_attempts=2, base_delay=0.01, max_delay=0.05)
BOT_EVENTS = ("message.text.received", "message.image.received", "message.sticker.received",
              "message.voice.received", "message.unsupported.received", "message.link.received",
              "bot.added", "", "x" * 300)
OA_EVENTS = ("user_send_text", "user_send_image", "user_send_sticker", "user_send_location",
             "user_send_business_card", "user_submit_info", "follow", "unfollow",
             "user_click_chatnow", "user_reacted_message", "oa_send_text", "", "x" * 300)


# --- what Zalo sends (and what a careless or hostile sender makes up) -------------------------
def bot_message(chat: str, event: str = "message.text.received", **content: Any) -> dict[str, Any]:
    message = {"message_id": f"m{fz.next_id()}", "date": 1_764_000_000_000,
               "from": {"id": chat, "display_name": "Lan", "is_bot": False},
               "chat": {"id": chat, "chat_type": "PRIVATE"}, **content}
    return {"event_name": event, "message": message}


@st.composite
def bot_text(draw: st.DrawFn) -> tuple[dict[str, Any], str]:
    """A private text message: the bot must answer it. (update, chat id)"""
    chat = f"zf{fz.next_id()}"
    return bot_message(chat, text=draw(fz.texts)), chat


@st.composite
def bot_other(draw: st.DrawFn) -> dict[str, Any]:
    """Other events, group messages, messages from bots: answered or deliberately ignored."""
    chat = f"zf{fz.next_id()}"
    update = bot_message(chat, draw(st.sampled_from(BOT_EVENTS)), text=draw(fz.texts),
                         photo_url="https://example.vn/a.jpg")
    if draw(st.booleans()):
        update["message"]["chat"]["chat_type"] = draw(st.sampled_from(["GROUP", "group", 7]))
    if draw(st.booleans()):
        update["message"]["from"]["is_bot"] = True
    return update


@st.composite
def broken(draw: st.DrawFn, real: Any) -> Any:
    """A real event with one part deleted or of the wrong type, or JSON that is no event."""
    how = draw(st.sampled_from(["delete", "replace", "extra", "junk"]))
    if how == "junk":
        return draw(st.recursive(fz.json_leaf, lambda inner: st.one_of(
            st.lists(inner, max_size=3), st.dictionaries(fz.any_text, inner, max_size=3)),
            max_leaves=8))
    event = draw(real)
    path = draw(st.sampled_from(list(fz._paths(event))))
    parent = event
    for key in path[:-1]:
        parent = parent[key]
    if how == "delete" and isinstance(parent, dict):
        parent.pop(path[-1], None)
    elif how == "replace":
        parent[path[-1]] = draw(fz.json_leaf)
    else:
        event[draw(st.sampled_from(["result", "event_name", "ok", "x"]))] = draw(fz.json_leaf)
    return event


BOT_TAGGED = st.one_of(bot_text(), bot_other().map(lambda u: (u, None)),
                       broken(st.one_of(bot_text().map(lambda p: p[0]), bot_other())).map(
                           lambda u: (u, None)))


@st.composite
def oa_text(draw: st.DrawFn, fake: FakeZaloOA) -> tuple[dict[str, Any], str]:
    user = f"of{fz.next_id()}"
    return fake.text(user, draw(fz.texts)), user


@st.composite
def oa_other(draw: st.DrawFn, fake: FakeZaloOA) -> dict[str, Any]:
    user = f"of{fz.next_id()}"
    fields = draw(st.fixed_dictionaries({}, optional={
        "message": st.fixed_dictionaries({"text": fz.texts, "msg_id": st.just(f"x{user}")}),
        "info": st.fixed_dictionaries({"name": fz.any_text, "phone": fz.texts})}))
    return fake.event(draw(st.sampled_from(OA_EVENTS)), user, **fields)


# --- the bot, once per test (as in production, every input meets the same process) ------------
@pytest.fixture
async def app(tmp_path: Path) -> AsyncIterator[App]:
    app = await fresh_app(tmp_path)
    yield app
    await app.close()


@pytest.fixture
async def zalo() -> AsyncIterator[FakeZaloBot]:
    async with serving(api := FakeZaloBot()):
        yield api


@pytest.fixture
async def oa_api() -> AsyncIterator[FakeZaloOA]:
    async with serving(api := FakeZaloOA()):
        yield api


def bot_channel(zalo: FakeZaloBot, app: App) -> ZaloBotChannel:
    async def no_wait(_seconds: float) -> None:
        return None

    return ZaloBotChannel(app, ZaloBotClient(BOT_TOKEN, zalo.url, timeout=5.0), policy=POLICY,
                          sleep=no_wait, typing_after=5.0)


@pytest.fixture
async def web(zalo: FakeZaloBot, oa_api: FakeZaloOA, app: App,
              tmp_path: Path) -> AsyncIterator[tuple[httpx.AsyncClient, list[Any]]]:
    keeper = make_keeper(oa_api, app.services.db)
    access, refresh = oa_api.issue_pair()
    await keeper.store(TokenPair(access, refresh, datetime.now(UTC) + timedelta(hours=25)))
    sender = ZaloOASender(ZaloOAClient(oa_api.url, 5.0), keeper, "template")
    oa = ZaloOAChannel(app, sender, Followers(), policy=POLICY)  # type: ignore[arg-type]
    hooks: list[Any] = [ZaloBotWebhook(bot_channel(zalo, app), SECRET),
                        ZaloOAWebhook(oa, OA_APP_ID, OA_SECRET_KEY)]
    for hook in hooks:
        await hook.start()
    transport = httpx.ASGITransport(app=create_web_app(hooks))
    async with httpx.AsyncClient(transport=transport, base_url="http://ketnoi") as client:
        yield client, hooks
    for hook in hooks:
        await hook.stop()


async def settle(channels: list[Any]) -> None:
    for channel in channels:
        await asyncio.wait_for(channel.tasks.drain(), 60)


async def check(app: App, errors: ErrorLog, texts: list[str]) -> None:
    """No apology, no error logged, nothing stored left unhandled, the database consistent."""
    assert [t for t in texts if APOLOGY in t or CHANNEL_APOLOGY in t] == [], errors.lines()
    assert errors.lines() == []
    async with app.services.db.session() as s:
        waiting = (await s.scalars(select(InboxUpdate.update_id).where(
            InboxUpdate.channel.in_(["zalo-bot", "zalo-oa"]), InboxUpdate.status == "new"))).all()
    assert waiting == [], "stored but neither answered nor ignored"
    await app.flush()
    assert await problems(app.services.db) == []


BOT_BODIES = st.one_of(
    BOT_TAGGED.map(lambda pair: (json.dumps(pair[0]).encode(), pair[1])),
    BOT_TAGGED.map(lambda pair: (json.dumps({"ok": True, "result": pair[0]}).encode(), pair[1])),
    st.binary(max_size=300).map(lambda body: (body, None)),
)


@given(bodies=st.lists(BOT_BODIES, min_size=1, max_size=4))
async def test_bot_webhook_takes_any_body_and_never_drops_an_event_silently(
    zalo: FakeZaloBot, app: App, web: tuple[httpx.AsyncClient, list[Any]], errors: ErrorLog,
    bodies: list[tuple[bytes, str | None]],
) -> None:
    client, hooks = web
    errors.records.clear()
    since = len(zalo.sent())
    for body, owed in bodies:
        tried("zalo-bot webhook body")
        response = await client.post("/zalo-bot/webhook", content=body,
                                      headers={BOT_SECRET_HEADER: SECRET})
        assert response.status_code in (200, 400), (response.status_code, body[:200])
        if owed is not None:
            assert response.status_code == 200, body[:300]
    await settle([hook.channel for hook in hooks])
    unanswered = [chat for _, chat in bodies if chat is not None and not zalo.sent(chat)]
    assert unanswered == [], f"no reply in chat(s) {unanswered}"
    await check(app, errors, [str(c.params.get("text")) for c in zalo.sent()[since:]])


@given(batch=st.lists(BOT_TAGGED, min_size=1, max_size=4))
async def test_bot_polling_takes_any_update_and_goes_on(
    zalo: FakeZaloBot, app: App, errors: ErrorLog, batch: list[tuple[Any, str | None]],
) -> None:
    errors.records.clear()
    channel = bot_channel(zalo, app)
    await channel.start()
    stop = asyncio.Event()
    since = len(zalo.sent())
    loop = asyncio.create_task(poll(channel, stop, timeout=1))
    try:
        for update, _ in batch:
            await zalo.push(update)
        tried("zalo-bot polling update", len(batch))
        await zalo.wait_for(lambda: not zalo.pending, timeout=30)
        polls = len(zalo.calls_to("getUpdates"))  # the next poll comes once the last is stored
        await zalo.wait_for(lambda: len(zalo.calls_to("getUpdates")) > polls, timeout=30)
        await settle([channel])
    finally:
        stop.set()
        loop.cancel()
        await asyncio.gather(loop, return_exceptions=True)
        await channel.stop()
    unanswered = [chat for _, chat in batch if chat is not None and not zalo.sent(chat)]
    assert unanswered == [], f"no reply in chat(s) {unanswered}"
    await check(app, errors, [str(c.params.get("text")) for c in zalo.sent()[since:]])


@given(data=st.data())
async def test_oa_webhook_takes_any_signed_event_and_never_drops_one_silently(
    oa_api: FakeZaloOA, app: App, web: tuple[httpx.AsyncClient, list[Any]], errors: ErrorLog,
    data: st.DataObject,
) -> None:
    client, hooks = web
    errors.records.clear()
    tagged = st.one_of(oa_text(oa_api), oa_other(oa_api).map(lambda e: (e, None)),
                       broken(st.one_of(oa_text(oa_api).map(lambda p: p[0]),
                                        oa_other(oa_api))).map(lambda e: (e, None)))
    events = data.draw(st.lists(tagged, min_size=1, max_size=4))
    since = len(oa_api.sent())
    for event, owed in events:
        tried("zalo-oa webhook event")
        body, headers = oa_api.signed(json.dumps(event).encode())
        if isinstance(event, dict) and isinstance(event.get("timestamp"), str | int):
            body, headers = oa_api.signed(event)
        response = await client.post("/zalo-oa/webhook", content=body, headers=headers)
        assert response.status_code in (200, 400, 401), (response.status_code, body[:200])
        if owed is not None:
            assert response.status_code == 200, body[:300]
    await settle([hook.channel for hook in hooks])
    unanswered = [user for _, user in events if user is not None and not oa_api.sent(user)]
    assert unanswered == [], f"no reply to user(s) {unanswered}"
    await check(app, errors, [json.dumps(c.params, ensure_ascii=False)
                              for c in oa_api.sent()[since:]])
