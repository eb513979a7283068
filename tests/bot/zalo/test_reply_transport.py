"""Zalo replies through the reply sender (`serve --workers N`): a worker's channel hands a turn's
calls over a real Unix socket to a `ReplySender` whose Zalo transports talk to the fake APIs.
The user sees what a single process would send (numbered choices, OA buttons, the apology, the
block), and a reply asked for twice (a killed worker, then the resend) arrives once."""

from __future__ import annotations

import shutil
import tempfile
from collections.abc import AsyncIterator, Callable
from typing import Any

import pytest

from bot.reply_handover import ReplyHandover
from bot.reply_sender import PartSender, ReplySender
from bot.types import Outgoing
from bot.zalo.bot_platform import APOLOGY, ZaloBotChannel, ZaloBotSender
from bot.zalo.client import ZaloBotClient
from bot.zalo.convert import BOT_CHANNEL, OA_CHANNEL, Message
from bot.zalo.oa import ZaloOAChannel, ZaloOAClient, ZaloOASender
from bot.zalo.reply_transport import ZaloPartSender, message_to_part, part_message
from bot.zalo.tokens import TokenKeeper
from tests.bot.fake_zalo import BOT_TOKEN, FakeZaloBot
from tests.bot.fake_zalo_oa import FakeZaloOA
from tests.bot.zalo.conftest import MENU, POLICY, Followers, ZaloScriptedCore


class Sender:
    """An in-process reply sender on a Unix socket, recording what it marked sent."""

    def __init__(self, channels: dict[str, PartSender]) -> None:
        self.recorded: list[int] = []
        self.folder = tempfile.mkdtemp(prefix="kz-")  # a Unix socket path must stay short
        self.path = f"{self.folder}/replies.sock"

        async def record(marks: list[tuple[int, str | None]]) -> None:
            self.recorded += [ref for ref, _ in marks]

        self.core = ReplySender(channels, record)

    async def __aenter__(self) -> Sender:
        self.server = await self.core.serve(self.path)
        return self

    async def __aexit__(self, *_: object) -> None:
        self.server.close()
        await self.core.drain()
        shutil.rmtree(self.folder, ignore_errors=True)


@pytest.fixture
async def bot_sender(fake_bot: FakeZaloBot, no_wait: Any) -> AsyncIterator[Sender]:
    client = ZaloBotClient(BOT_TOKEN, fake_bot.url, timeout=5.0)
    transport = ZaloPartSender(BOT_CHANNEL, ZaloBotSender(client), POLICY, sleep=no_wait,
                               close=client.aclose)
    async with Sender({BOT_CHANNEL: transport}) as sender:
        yield sender
    await transport.aclose()


@pytest.fixture
def worker(make_bot: Callable[..., ZaloBotChannel], core: ZaloScriptedCore,
           bot_sender: Sender) -> ZaloBotChannel:
    """A worker's Zalo Bot channel that sends nothing itself."""
    return make_bot(core, handover=ReplyHandover(bot_sender.path, patience=5))


def test_a_call_survives_the_frame_and_a_malformed_one_is_read_without_raising() -> None:
    message = Message("Chọn ạ", "https://x.vn/a.jpg", (("Đồng ý", "consent:yes"),))
    assert part_message(message_to_part(message)) == message
    assert part_message({"text": 5, "photo_url": 7, "buttons": [["a"], "b", [1, 2]]}) == \
        Message("5", None, (("1", "2"),))
    assert part_message({}) == Message("")


async def test_a_turn_reaches_the_user_through_the_sender_once(
        fake_bot: FakeZaloBot, worker: ZaloBotChannel, bot_sender: Sender) -> None:
    replies = [Outgoing("Xin chào anh/chị! Em có thể giúp gì ạ?", buttons=MENU, ref=11),
               Outgoing("Em đã ghi nhận nhu cầu của anh/chị.", ref=12)]
    results = await worker.send_replies("c1", "c1", replies)
    again = await worker.send_replies("c1", "c1", replies)  # the resend after a killed worker
    assert [r.status for r in results] == [r.status for r in again] == ["sent", "sent"]
    texts = fake_bot.texts("c1")
    assert len(texts) == 2 and "1. Tìm công nghệ\n2. Tìm chuyên gia" in texts[0]
    assert texts[1] == "Em đã ghi nhận nhu cầu của anh/chị."
    assert bot_sender.recorded == [11, 12] and all(r.recorded for r in results)
    await worker.stop()


async def test_retries_apology_and_block_as_a_worker_alone_would(
        fake_bot: FakeZaloBot, worker: ZaloBotChannel, core: ZaloScriptedCore,
        sleeps: list[float]) -> None:
    fake_bot.fail("sendMessage", 429, "c2")
    [sent] = await worker.send_replies("c2", "c2", [Outgoing("Dạ vâng ạ.", ref=21)])
    assert sent.status == "sent" and fake_bot.texts("c2") == ["Dạ vâng ạ."] and len(sleeps) == 1

    fake_bot.fail("sendMessage", 400, "c3")
    [failed] = await worker.send_replies("c3", "c3", [Outgoing("Dạ vâng ạ.", ref=31)])
    assert failed.status == "failed" and fake_bot.texts("c3") == [APOLOGY]

    fake_bot.fail("sendMessage", 403, "c4")
    [blocked] = await worker.send_replies("c4", "u4", [Outgoing("Dạ vâng ạ.", ref=41)])
    assert blocked.status == "blocked" and core.inactive == [("zalo-bot", "u4")]
    await worker.stop()


async def test_without_the_sender_the_replies_stay_pending_and_nothing_is_sent(
        fake_bot: FakeZaloBot, make_bot: Callable[..., ZaloBotChannel],
        core: ZaloScriptedCore) -> None:
    folder = tempfile.mkdtemp(prefix="kz-")
    try:
        channel = make_bot(core, handover=ReplyHandover(f"{folder}/none.sock", patience=0.2))
        [result] = await channel.send_replies("c5", "c5", [Outgoing("Dạ.", ref=51)])
        assert result.status == "retry" and fake_bot.sent("c5") == []
        await channel.stop()
    finally:
        shutil.rmtree(folder, ignore_errors=True)


async def test_oa_template_buttons_cross_to_the_sender(
        fake_oa: FakeZaloOA, keeper: TokenKeeper, core: ZaloScriptedCore,
        no_wait: Any) -> None:
    transport = ZaloPartSender(OA_CHANNEL, ZaloOASender(ZaloOAClient(fake_oa.url, 5.0), keeper),
                               POLICY, sleep=no_wait)
    async with Sender({OA_CHANNEL: transport}) as sender:
        worker_sender = ZaloOASender(ZaloOAClient(fake_oa.url, 5.0), keeper)
        channel = ZaloOAChannel(core, worker_sender, Followers(),  # type: ignore[arg-type]
                                policy=POLICY, sleep=no_wait,
                                handover=ReplyHandover(sender.path, patience=5))
        [result] = await channel.send_replies("u1", [Outgoing("Anh/chị chọn ạ:", buttons=MENU,
                                                              ref=61)])
        assert result.status == "sent" and sender.recorded == [61]
        assert [b["title"] for b in fake_oa.buttons("u1")] == [b.label for b in MENU]
        await channel.sender.client.aclose()


async def test_an_oa_refusing_buttons_turns_the_worker_to_numbered_text(
        fake_oa: FakeZaloOA, keeper: TokenKeeper, core: ZaloScriptedCore,
        no_wait: Any) -> None:
    """The OA refuses query buttons (-201): the sender sends the choices as numbered text and the
    worker that handed them over learns it (its next replies, and how it reads a typed number),
    so no later reply costs a refused call."""
    transport = ZaloPartSender(OA_CHANNEL, ZaloOASender(ZaloOAClient(fake_oa.url, 5.0), keeper),
                               POLICY, sleep=no_wait)
    async with Sender({OA_CHANNEL: transport}) as sender:
        channel = ZaloOAChannel(core, ZaloOASender(ZaloOAClient(fake_oa.url, 5.0), keeper),
                                Followers(), policy=POLICY,  # type: ignore[arg-type]
                                sleep=no_wait, handover=ReplyHandover(sender.path, patience=5))
        fake_oa.fail("cs", -201, "u2")
        [first] = await channel.send_replies("u2", [Outgoing("Chọn ạ:", buttons=MENU, ref=71)])
        assert first.status == "sent" and channel.sender.buttons == "text"
        assert fake_oa.texts("u2") == ["Chọn ạ:\n1. Tìm công nghệ\n2. Tìm chuyên gia\n"
                                       "3. Sự kiện sắp tới"]
        refused = [c for c in fake_oa.calls_to("cs") if c.error == -201]
        await channel.send_replies("u2", [Outgoing("Chọn tiếp ạ:", buttons=MENU, ref=72)])
        assert [c for c in fake_oa.calls_to("cs") if c.error == -201] == refused
        assert fake_oa.texts("u2")[-1].startswith("Chọn tiếp ạ:\n1. Tìm công nghệ")
        await channel.sender.client.aclose()
