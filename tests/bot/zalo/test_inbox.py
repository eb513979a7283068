"""Zalo through the inbox, with the real core (`bot.app.App` on a seeded SQLite copy): an event
is stored before Zalo gets its 200, answered once however often it is delivered, a reply
committed but not sent goes out at the next start, a stored event not yet handled is handled
at the next start, and an event that could not be stored is refused (Zalo sends it again)."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from pathlib import Path
from typing import Any

import httpx
import pytest
from sqlalchemy import func, select

from bot.app import App
from bot.web import create_web_app
from bot.zalo.bot_platform import ZaloBotChannel
from bot.zalo.oa import ZaloOAChannel
from bot.zalo.tokens import TokenKeeper
from bot.zalo.webhook import BOT_SECRET_HEADER, ZaloBotWebhook, ZaloOAWebhook
from storage.models import InboxUpdate, OutboxMessage
from storage.repos import inbox
from tests.bot.fake_zalo import FakeZaloBot
from tests.bot.fake_zalo_oa import OA_APP_ID, OA_SECRET_KEY, FakeZaloOA
from tests.bot.telegram.server import BackgroundServer
from tests.bot.zalo.conftest import Followers
from tests.handlers.chat import fresh_app

SECRET = "zalo-Secret_42"


@pytest.fixture
async def app(tmp_path: Path) -> AsyncIterator[App]:
    app = await fresh_app(tmp_path)
    yield app
    await app.close()


class Served:
    """Both Zalo webhooks of one `ketnoi serve` process, started and stopped on demand."""

    def __init__(self, app: App, make_bot: Callable[..., ZaloBotChannel],
                 make_oa: Callable[..., ZaloOAChannel], keeper: TokenKeeper) -> None:
        self.app, self.make_bot, self.make_oa, self.keeper = app, make_bot, make_oa, keeper
        self.hooks: list[Any] = []
        self.server: BackgroundServer | None = None
        self.web: httpx.AsyncClient | None = None

    async def start(self) -> httpx.AsyncClient:
        self.hooks = [ZaloBotWebhook(self.make_bot(self.app), SECRET),
                      ZaloOAWebhook(self.make_oa(self.app, self.keeper, "text", Followers()),
                                    OA_APP_ID, OA_SECRET_KEY)]
        for hook in self.hooks:
            await hook.start()
        self.server = BackgroundServer(create_web_app(self.hooks))
        self.web = httpx.AsyncClient(base_url=await self.server.start())
        return self.web

    async def settle(self) -> None:
        for hook in self.hooks:
            await hook.channel.tasks.drain()

    async def stop(self) -> None:
        if self.web is not None:
            await self.web.aclose()
        if self.server is not None:
            await self.server.stop()
        for hook in self.hooks:
            await hook.stop()
        self.web = self.server = None


@pytest.fixture
async def served(app: App, make_bot: Callable[..., ZaloBotChannel],
                 make_oa: Callable[..., ZaloOAChannel],
                 keeper: TokenKeeper) -> AsyncIterator[Served]:
    served = Served(app, make_bot, make_oa, keeper)
    yield served
    await served.stop()


def to_bot(web: httpx.AsyncClient, update: dict[str, Any]) -> Any:
    return web.post("/zalo-bot/webhook", json=update, headers={BOT_SECRET_HEADER: SECRET})


async def inbox_rows(app: App, channel: str) -> list[InboxUpdate]:
    async with app.services.db.session() as s:
        return list((await s.scalars(select(InboxUpdate).where(
            InboxUpdate.channel == channel))).all())


async def test_bot_event_is_stored_then_answered_once_however_often_delivered(
        served: Served, fake_bot: FakeZaloBot, app: App) -> None:
    web = await served.start()
    update = fake_bot.message("zi1", "xin chào")
    for _ in range(3):  # Zalo delivers again when it did not see the 200 in time
        assert (await to_bot(web, update)).status_code == 200
    await served.settle()
    assert len(fake_bot.sent("zi1")) == 1 and "Tìm công nghệ" in fake_bot.texts("zi1")[0]
    [row] = await inbox_rows(app, "zalo-bot")
    assert row.status == "done" and row.raw == update
    async with app.services.db.session() as s:
        statuses = (await s.scalars(select(OutboxMessage.status).where(
            OutboxMessage.recipient == "zi1"))).all()
    assert statuses and set(statuses) == {"sent"}


async def test_oa_event_is_stored_then_answered_once(
        served: Served, fake_oa: FakeZaloOA, app: App) -> None:
    web = await served.start()
    event = fake_oa.text("oi1", "xin chào")
    for _ in range(2):
        body, headers = fake_oa.signed(event)
        assert (await web.post("/zalo-oa/webhook", content=body,
                               headers=headers)).status_code == 200
    await served.settle()
    assert len(fake_oa.sent("oi1")) == 1
    [row] = await inbox_rows(app, "zalo-oa")
    assert row.status == "done"


async def test_an_event_that_cannot_be_stored_is_refused_and_not_answered(
        served: Served, fake_bot: FakeZaloBot, app: App,
        monkeypatch: pytest.MonkeyPatch) -> None:
    web = await served.start()

    async def broken(*_: Any) -> None:
        raise OSError("disk full")

    monkeypatch.setattr(inbox, "store", broken)
    if hasattr(app.services.states, "store_updates"):  # a SQLite file's own inbox writes
        monkeypatch.setattr(app.services.states, "store_updates", broken)
    response = await to_bot(web, fake_bot.message("zi2", "xin chào"))
    assert response.status_code == 503  # Zalo keeps it and delivers it again
    await served.settle()
    assert fake_bot.sent("zi2") == []


async def test_a_stored_event_not_handled_is_handled_at_the_next_start(
        served: Served, fake_bot: FakeZaloBot, app: App) -> None:
    """The process died after the 200 and before handling: the inbox has the event."""
    update = fake_bot.message("zi3", "xin chào")
    await app.receive("zalo-bot", [(f"{update['event_name']}:{update['message']['message_id']}",
                                    update)])
    await served.start()
    await served.settle()
    await fake_bot.wait_sent("zi3")
    assert len(fake_bot.sent("zi3")) == 1
    [row] = await inbox_rows(app, "zalo-bot")
    assert row.status == "done"


async def test_a_reply_committed_but_not_sent_goes_out_at_the_next_start_once(
        served: Served, fake_bot: FakeZaloBot, app: App) -> None:
    """The process died between the commit and the send: the reply is sent at start, once, and
    the redelivered event is not answered again."""
    update = fake_bot.message("zi4", "xin chào")
    update_id = f"{update['event_name']}:{update['message']['message_id']}"
    await app.receive("zalo-bot", [(update_id, update)])
    from bot.zalo.convert import bot_update_to_incoming

    incoming = bot_update_to_incoming(update)
    assert incoming is not None
    await app.services.states.run_turn(  # committed with its replies, nothing sent
        "zalo-bot", "zi4", update_id, _committing(app, incoming))
    web = await served.start()
    await served.settle()
    await fake_bot.wait_sent("zi4")
    assert (await to_bot(web, update)).status_code == 200  # Zalo delivers it again
    await served.settle()
    assert len(fake_bot.sent("zi4")) == 1
    async with app.services.db.session() as s:
        pending = (await s.execute(select(func.count()).select_from(OutboxMessage).where(
            OutboxMessage.recipient == "zi4", OutboxMessage.status != "sent"))).scalar_one()
    assert pending == 0


def _committing(app: App, incoming: Any) -> Any:
    """The body of a turn as `App.answer` builds it, with the replies queued."""
    from bot.types import outgoing_to_dict
    from storage.state.base import TurnOutcome

    async def body(state: Any) -> TurnOutcome:
        replies, ctx, failed = await app._dispatch(incoming, state)
        return TurnOutcome(ctx.state, [], [outgoing_to_dict(r) for r in replies],
                           (await ctx.user()).id, failed)

    return body
