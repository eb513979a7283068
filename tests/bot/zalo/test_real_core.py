"""Whole dialogues with the real core (`bot.app.App` on a seeded SQLite copy) over each Zalo
channel and its fake API: a demand from the first message to the stored confirmation, choices
answered by number and by label, an event registration, consent; what a Zalo user experiences."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Callable
from pathlib import Path

import httpx
import pytest
from sqlalchemy import func, select

from bot.app import App
from bot.web import create_web_app
from bot.zalo.bot_platform import ZaloBotChannel, poll
from bot.zalo.oa import ZaloOAChannel
from bot.zalo.runner import start_polling
from bot.zalo.setup import StoredFollowers
from bot.zalo.tokens import TokenPair
from bot.zalo.webhook import ZaloOAWebhook
from storage.models import Demand, EventRegistration, User
from storage.repos import subscriptions
from tests.bot.fake_zalo import FakeZaloBot
from tests.bot.fake_zalo_oa import OA_APP_ID, OA_SECRET_KEY, FakeZaloOA
from tests.bot.telegram.server import BackgroundServer
from tests.bot.zalo.conftest import make_keeper
from tests.handlers.chat import fresh_app

DEMAND = "cty minh o bac giang can cong nghe say vai thieu, kinh phi khoang 500 trieu"


@pytest.fixture
async def app(tmp_path: Path) -> AsyncIterator[App]:
    app = await fresh_app(tmp_path)
    yield app
    await app.close()


@pytest.fixture
async def bot(make_bot: Callable[..., ZaloBotChannel], app: App,
              fake_bot: FakeZaloBot) -> AsyncIterator[ZaloBotChannel]:
    channel = make_bot(app)
    await start_polling(channel, fake_bot.url)
    stop = asyncio.Event()
    task = asyncio.create_task(poll(channel, stop, timeout=1))
    yield channel
    stop.set()
    task.cancel()
    await asyncio.gather(task, return_exceptions=True)
    await channel.stop()


class BotUser:
    def __init__(self, fake: FakeZaloBot, channel: ZaloBotChannel, chat: str) -> None:
        self.fake, self.channel, self.chat = fake, channel, chat

    async def say(self, text: str) -> str:
        """Send a message; the bot's whole answer (every message it sent back)."""
        before = len(self.fake.sent(self.chat))
        await self.fake.push(self.fake.message(self.chat, text, name="Lan"))
        await self.fake.wait_for(lambda: len(self.fake.sent(self.chat)) > before)
        await self.fake.wait_for(lambda: not self.channel.tasks.pending())  # all of the answer
        return "\n".join(self.fake.texts(self.chat)[before:])


async def stored_demands(app: App, channel: str) -> list[Demand]:
    async with app.services.db.session() as s:
        stmt = select(Demand).join(User, Demand.user_id == User.id).where(User.channel == channel)
        return list((await s.scalars(stmt)).all())


async def test_greeting_then_a_demand_confirmed_by_number_and_by_label(
        fake_bot: FakeZaloBot, bot: ZaloBotChannel, app: App) -> None:
    user = BotUser(fake_bot, bot, "zb1")
    greeting = await user.say("xin chào")
    assert "chào anh/chị Lan" in greeting and "1. Tìm công nghệ" in greeting
    assert "nhắn số" in greeting
    await user.say(DEMAND)
    await user.say("Công ty TNHH Minh Phát")
    consent = await user.say("0912345678")
    assert "1. Đồng ý" in consent
    summary = await user.say("1")  # the number of "Đồng ý"
    assert "Xác nhận" in summary and "2." in summary
    done = await user.say("xác nhận")  # the label, typed without diacritics
    assert "Công nghệ phù hợp" in done
    [demand] = await stored_demands(app, "zalo-bot")
    assert (demand.province, demand.budget, demand.product) == ("bac_ninh", 500_000_000,
                                                                "vải thiều")


async def test_numbers_keep_working_after_a_restart(
        fake_bot: FakeZaloBot, make_bot: Callable[..., ZaloBotChannel], tmp_path: Path) -> None:
    first = await fresh_app(tmp_path)
    channel = make_bot(first)
    await channel.start()
    await channel.handle_update(fake_bot.message("zb2", "xin chào"))
    await first.close()  # the process ends; the offered choices live in the chat's state
    second = await App.create(first.services.settings, nlu=first.services.nlu)
    channel = make_bot(second)
    await channel.start()
    await channel.handle_update(fake_bot.message("zb2", "2"))  # "2. Tìm chuyên gia"
    assert "chuyên gia tư vấn về vấn đề gì" in fake_bot.texts("zb2")[-1]
    await channel.stop()
    await second.close()


async def test_sticker_gets_the_polite_text_only_reply(fake_bot: FakeZaloBot,
                                                       bot: ZaloBotChannel) -> None:
    await fake_bot.push(fake_bot.message("zb3", None, event="message.sticker.received"))
    [text] = await fake_bot.wait_sent("zb3")
    assert "chỉ đọc được tin nhắn dạng chữ" in text


# ---------------------------------------------------------------- Official Account


@pytest.fixture
async def oa(fake_oa: FakeZaloOA, make_oa: Callable[..., ZaloOAChannel],
             app: App) -> AsyncIterator[tuple[httpx.AsyncClient, ZaloOAChannel]]:
    from datetime import UTC, datetime, timedelta

    keeper = make_keeper(fake_oa, app.services.db)
    access, refresh = fake_oa.issue_pair()
    await keeper.store(TokenPair(access, refresh, datetime.now(UTC) + timedelta(hours=25)))
    channel = make_oa(app, keeper, "template", StoredFollowers(app.services.db))
    hook = ZaloOAWebhook(channel, OA_APP_ID, OA_SECRET_KEY)
    await hook.start()
    server = BackgroundServer(create_web_app([hook]))
    async with httpx.AsyncClient(base_url=await server.start()) as client:
        yield client, channel
    await server.stop()
    await hook.stop()


class OAUser:
    def __init__(self, fake: FakeZaloOA, web: httpx.AsyncClient, channel: ZaloOAChannel,
                 user: str) -> None:
        self.fake, self.web, self.channel, self.user = fake, web, channel, user

    async def post(self, event: dict[str, object]) -> str:
        before = len(self.fake.sent(self.user))
        body, headers = self.fake.signed(event)
        response = await self.web.post("/zalo-oa/webhook", content=body, headers=headers)
        assert response.status_code == 200
        await self.fake.wait_for(lambda: len(self.fake.sent(self.user)) > before)
        await self.fake.wait_for(lambda: not self.channel.tasks.pending())
        return "\n".join(self.fake.texts(self.user)[before:])

    def say(self, text: str) -> object:
        return self.post(self.fake.text(self.user, text))

    async def press(self, title: str) -> str:
        """Press the query button `title` of the last message: Zalo sends its payload as text."""
        for button in self.fake.buttons(self.user):
            if button["title"] == title:
                return await self.post(self.fake.text(self.user, button["payload"]))
        raise AssertionError(f"no button {title!r} in {self.fake.buttons(self.user)}")


async def test_oa_follow_event_registration_with_shared_info(
        fake_oa: FakeZaloOA, oa: tuple[httpx.AsyncClient, ZaloOAChannel], app: App) -> None:
    web, channel = oa
    user = OAUser(fake_oa, web, channel, "oa-u1")
    greeting = await user.post(fake_oa.event("follow", "oa-u1"))
    assert "chào anh/chị" in greeting
    card = await user.say("/start event_SK-001")
    assert "Techmart Cần Thơ" in card
    assert "họ tên" in await user.press("Đăng ký")
    fake_oa.expire_access()  # the access token expires in the middle of the dialogue
    assert "điện thoại" in await user.say("Nguyễn Thị Lan")
    assert len(fake_oa.refresh_calls()) == 1
    info = fake_oa.event("user_submit_info", "oa-u1", info={"name": "Lan", "phone": "+84912345678"})
    await user.post(info)  # the phone shared through the OA's form fills the contact slot
    done = await user.press("Bỏ qua")
    assert "đã đăng ký" in done and "0912345678" in done
    async with app.services.db.session() as s:
        count = await s.scalar(select(func.count()).select_from(EventRegistration)
                               .join(User, EventRegistration.user_id == User.id)
                               .where(User.external_id == "oa-u1", User.channel == "zalo-oa"))
    assert count == 1


async def test_oa_unfollow_pauses_subscriptions(
        fake_oa: FakeZaloOA, oa: tuple[httpx.AsyncClient, ZaloOAChannel], app: App) -> None:
    web, channel = oa
    user = OAUser(fake_oa, web, channel, "oa-u2")
    await user.post(fake_oa.event("follow", "oa-u2"))
    async with app.services.db.transaction() as s:
        [row] = (await s.scalars(select(User).where(User.external_id == "oa-u2"))).all()
        await subscriptions.subscribe(s, row)
    async with app.services.db.session() as s:
        assert len(await subscriptions.active_matching(s)) == 1
    body, headers = fake_oa.signed(fake_oa.event("unfollow", "oa-u2"))
    assert (await web.post("/zalo-oa/webhook", content=body, headers=headers)).status_code == 200
    await fake_oa.wait_for(lambda: not channel.tasks.pending())
    async with app.services.db.session() as s:
        assert await subscriptions.active_matching(s) == []  # paused while not following
        [row] = (await s.scalars(select(User).where(User.external_id == "oa-u2"))).all()
        assert row.active is False
