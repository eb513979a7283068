"""The Zalo Bot Platform channel in polling mode against the fake API: what a user sees."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator, Callable
from typing import Any

import pytest

from bot.types import Incoming, Outgoing
from bot.zalo.bot_platform import APOLOGY, ZaloBotChannel, ZaloBotSender, poll
from bot.zalo.client import ZaloBotClient
from bot.zalo.runner import start_polling
from tests.bot.fake_zalo import BOT_TOKEN, FakeZaloBot
from tests.bot.zalo.conftest import ZaloScriptedCore


@pytest.fixture
async def polling(make_bot: Callable[..., ZaloBotChannel], core: ZaloScriptedCore,
                  fake_bot: FakeZaloBot) -> AsyncIterator[ZaloBotChannel]:
    channel = make_bot(core)
    await start_polling(channel, fake_bot.url)
    stop = asyncio.Event()
    task = asyncio.create_task(poll(channel, stop, timeout=1))
    yield channel
    stop.set()
    task.cancel()
    await asyncio.gather(task, return_exceptions=True)
    await channel.stop()


async def test_greeting_answered_with_numbered_choices(fake_bot: FakeZaloBot,
                                                       polling: ZaloBotChannel) -> None:
    await fake_bot.push(fake_bot.message("c1", "xin chào"))
    [text] = await fake_bot.wait_sent("c1")
    assert text.startswith("Xin chào anh/chị")
    assert "1. Tìm công nghệ\n2. Tìm chuyên gia\n3. Sự kiện sắp tới" in text
    assert fake_bot.calls_to("deleteWebhook")  # polling and a webhook exclude each other


async def test_idle_polls_are_408_and_polling_goes_on(fake_bot: FakeZaloBot,
                                                      polling: ZaloBotChannel,
                                                      sleeps: list[float]) -> None:
    await fake_bot.wait_for(lambda: any(c.status == 408 for c in fake_bot.calls_to("getUpdates")))
    await fake_bot.push(fake_bot.message("c2", "alo"))
    await fake_bot.wait_sent("c2")
    assert sleeps == []  # 408 is "nothing new": polled again at once, no backoff


@pytest.mark.parametrize("status", [401, 429, 500])
async def test_poll_errors_back_off_and_never_end_the_loop(
        fake_bot: FakeZaloBot, polling: ZaloBotChannel, sleeps: list[float], status: int,
        caplog: pytest.LogCaptureFixture) -> None:
    fake_bot.fail("getUpdates", status, times=2)
    await fake_bot.push(fake_bot.message("c3", "xin chào"))
    await fake_bot.wait_sent("c3")
    assert len([c for c in fake_bot.calls_to("getUpdates") if c.status == status]) == 2


async def test_send_retries_429_and_500_then_delivers(fake_bot: FakeZaloBot,
                                                     polling: ZaloBotChannel,
                                                     sleeps: list[float]) -> None:
    fake_bot.fail("sendMessage", 429, "c4")
    fake_bot.fail("sendMessage", 500, "c4")
    await fake_bot.push(fake_bot.message("c4", "xin chào"))
    [text] = await fake_bot.wait_sent("c4")
    assert text.startswith("Xin chào") and len(sleeps) == 2


async def test_forbidden_marks_the_user_inactive(fake_bot: FakeZaloBot, polling: ZaloBotChannel,
                                                 core: ZaloScriptedCore) -> None:
    fake_bot.fail("sendMessage", 403, "c5")
    await fake_bot.push(fake_bot.message("c5", "xin chào", user="u5"))
    await fake_bot.wait_for(lambda: bool(core.inactive))
    assert core.inactive == [("zalo-bot", "u5")] and fake_bot.sent("c5") == []


async def test_refused_send_gets_one_apology(fake_bot: FakeZaloBot, polling: ZaloBotChannel,
                                             core: ZaloScriptedCore) -> None:
    fake_bot.fail("sendMessage", 400, "c6")
    await fake_bot.push(fake_bot.message("c6", "xin chào"))
    assert await fake_bot.wait_sent("c6") == [APOLOGY]


async def test_redelivered_update_answered_once(fake_bot: FakeZaloBot, polling: ZaloBotChannel) -> None:
    update = fake_bot.message("c7", "xin chào")
    await fake_bot.push(update)
    await fake_bot.push(update)
    await fake_bot.push(fake_bot.message("c7", "cảm ơn"))
    await fake_bot.wait_sent("c7", 2)
    await fake_bot.wait_for(lambda: not polling.tasks.pending())
    assert len(fake_bot.sent("c7")) == 2


async def test_long_reply_split_and_slow_reply_shows_typing(
        fake_bot: FakeZaloBot, make_bot: Callable[..., ZaloBotChannel],
        core: ZaloScriptedCore) -> None:
    long = "\n".join(f"{i}. Công nghệ sấy nông sản bằng bơm nhiệt, mẻ {i}" for i in range(120))

    async def slow(incoming: Incoming) -> list[Outgoing]:
        await asyncio.sleep(0.05)
        return [Outgoing(long)]

    core.handle = slow  # type: ignore[method-assign]
    channel = make_bot(core, typing_after=0.0)
    await channel.start()
    await channel.handle_update(fake_bot.message("c8", "liệt kê công nghệ"))
    texts = fake_bot.texts("c8")
    assert len(texts) >= 2 and all(len(t) <= 2000 for t in texts)
    assert "\n".join(texts) == long
    [typing] = fake_bot.calls_to("sendChatAction")
    assert typing.params == {"chat_id": "c8", "action": "typing"}
    assert typing.at < fake_bot.sent("c8")[0].at
    await channel.stop()


async def test_group_messages_need_a_mention_and_bots_are_ignored(
        fake_bot: FakeZaloBot, polling: ZaloBotChannel, core: ZaloScriptedCore) -> None:
    await fake_bot.push(fake_bot.message("g1", "chào cả nhóm", user="u1", group=True))
    await fake_bot.push(fake_bot.message("c9", "tôi là bot", is_bot=True))
    await fake_bot.push(fake_bot.message("g1", "@KetNoiBot xin chào", user="u1", group=True))
    await fake_bot.wait_sent("g1")
    assert [i.text for i in core.received] == ["xin chào"]
    assert fake_bot.sent("c9") == []


async def test_image_sticker_voice_reach_the_core_as_such(
        fake_bot: FakeZaloBot, polling: ZaloBotChannel, core: ZaloScriptedCore) -> None:
    for event in ("image", "sticker", "voice", "unsupported"):
        await fake_bot.push(fake_bot.message("c10", None, event=f"message.{event}.received"))
    await fake_bot.wait_sent("c10", 4)
    assert [i.kind.value for i in core.received] == ["photo", "sticker", "voice", "other"]


async def test_sender_contract_and_photo_by_url(fake_bot: FakeZaloBot) -> None:
    from bot.types import Attachment

    client = ZaloBotClient(BOT_TOKEN, fake_bot.url)
    sender = ZaloBotSender(client)
    chart = Attachment("photo", "bieu-do.png", url="https://ketnoi.vn/f/1/bieu-do.png")
    result = await sender.send("c11", Outgoing("Biểu đồ", attachments=(chart,)))
    assert result.status == "sent" and result.message_id
    [photo] = fake_bot.calls_to("sendPhoto")
    assert photo.params["photo"] == chart.url
    fake_bot.fail("sendMessage", 429, "c11")
    assert (await sender.send("c11", Outgoing("x"))).status == "retry"
    fake_bot.fail("sendMessage", 403, "c11")
    assert (await sender.send("c11", Outgoing("x"))).status == "blocked"
    fake_bot.fail("sendMessage", 400, "c11")
    assert (await sender.send("c11", Outgoing("x"))).status == "failed"
    await client.aclose()


async def test_the_token_never_reaches_the_logs(fake_bot: FakeZaloBot,
                                                make_bot: Callable[..., Any],
                                                caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.DEBUG)
    channel = make_bot(ZaloScriptedCore())
    fake_bot.fail("getUpdates", 500)
    stop = asyncio.Event()
    task = asyncio.create_task(poll(channel, stop, timeout=1))
    await fake_bot.wait_for(lambda: len(fake_bot.calls_to("getUpdates")) >= 2)
    stop.set()
    task.cancel()
    await asyncio.gather(task, return_exceptions=True)
    await channel.stop()
    assert "getUpdates failed" in caplog.text
    assert BOT_TOKEN not in caplog.text and BOT_TOKEN.split(":")[1] not in caplog.text
