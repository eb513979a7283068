"""Whole dialogues over long polling: the real PTB Application against the fake Bot API."""

from __future__ import annotations

import asyncio
from collections.abc import Callable

from bot.telegram import COMMANDS, TelegramChannel
from bot.telegram.runner import start_polling, stop_polling
from bot.types import Button, ContentKind, Incoming, Outgoing
from tests.bot.fake_telegram import FakeTelegram
from tests.bot.telegram.conftest import ScriptedCore


async def test_start_sets_vietnamese_command_menu(fake: FakeTelegram, bot: TelegramChannel) -> None:
    [call] = fake.calls_to("setMyCommands")
    commands = {c["command"]: c["description"] for c in call.params["commands"]}
    assert set(commands) == {name for name, _ in COMMANDS}
    assert commands["help"] == "Hướng dẫn sử dụng"


async def test_greeting_gets_reply_with_inline_menu(
    fake: FakeTelegram, bot: TelegramChannel, core: ScriptedCore
) -> None:
    await fake.push(fake.message(501, "xin chào"))
    [text] = await fake.wait_sent(501)
    assert text.startswith("Xin chào anh/chị")
    [call] = fake.sent(501)
    keyboard = call.params["reply_markup"]["inline_keyboard"]
    labels = [b["text"] for row in keyboard for b in row]
    assert labels == ["Tìm công nghệ", "Tìm chuyên gia", "Sự kiện sắp tới"]
    assert all(len(b["callback_data"].encode()) <= 64 for row in keyboard for b in row)
    [incoming] = core.received
    assert (incoming.channel, incoming.chat_id, incoming.user_id) == ("telegram", "501", "501")
    assert incoming.kind is ContentKind.TEXT and incoming.user_name == "Lan"
    assert incoming.update_id is not None and incoming.update_id.isdigit()


async def test_button_press_is_answered_and_reaches_core(
    fake: FakeTelegram, bot: TelegramChannel, core: ScriptedCore
) -> None:
    await fake.push(fake.message(502, "xin chào"))
    await fake.wait_sent(502)
    await fake.push(fake.callback(502, "Sự kiện sắp tới"))
    texts = await fake.wait_sent(502, 2)
    assert texts[1] == "Anh/chị đã chọn menu:events."
    assert len(fake.calls_to("answerCallbackQuery")) == 1
    press = core.received[-1]
    assert press.kind is ContentKind.BUTTON
    assert (press.payload, press.text) == ("menu:events", "Sự kiện sắp tới")


async def test_deep_link_then_contact_sharing(
    fake: FakeTelegram, bot: TelegramChannel, core: ScriptedCore
) -> None:
    await fake.push(fake.message(503, "/start event_EVT-003"))
    [text] = await fake.wait_sent(503)
    assert "EVT-003" in text
    keyboard = fake.sent(503)[0].params["reply_markup"]
    [[share]] = keyboard["keyboard"]
    assert share["request_contact"] is True
    assert core.received[0].kind is ContentKind.COMMAND
    assert core.received[0].text == "/start event_EVT-003"

    await fake.push(fake.contact(503, "+84912345678"))
    texts = await fake.wait_sent(503, 2)
    assert "+84912345678" in texts[1]
    assert core.received[1].kind is ContentKind.CONTACT
    # the share-phone keyboard is removed once it has served its purpose
    assert fake.sent(503)[1].params["reply_markup"] == {"remove_keyboard": True}


async def test_command_with_bot_username_is_normalised(
    fake: FakeTelegram, bot: TelegramChannel, core: ScriptedCore
) -> None:
    update = fake.message(504, "/Help@ketnoi_test_bot")
    await fake.push(update)
    await fake.wait_sent(504)
    assert core.received[0].kind is ContentKind.COMMAND
    assert core.received[0].text == "/help"


async def test_sticker_and_photo_kinds(
    fake: FakeTelegram, bot: TelegramChannel, core: ScriptedCore
) -> None:
    sticker = {
        "file_id": "s1",
        "file_unique_id": "u1",
        "width": 512,
        "height": 512,
        "is_animated": False,
        "is_video": False,
        "type": "regular",
        "emoji": "👍",
    }
    await fake.push(fake.message(505, sticker=sticker))
    photo = [{"file_id": "p1", "file_unique_id": "pu1", "width": 90, "height": 90}]
    await fake.push(fake.message(505, photo=photo, caption="máy sấy của tôi"))
    await fake.wait_sent(505, 2)
    kinds = [(i.kind, i.text) for i in core.received]
    assert kinds == [(ContentKind.STICKER, ""), (ContentKind.PHOTO, "máy sấy của tôi")]


async def test_duplicate_update_gets_one_reply(
    fake: FakeTelegram, bot: TelegramChannel, core: ScriptedCore
) -> None:
    update = fake.message(506, "xin chào")
    await fake.push(update)
    await fake.wait_sent(506)
    await fake.push(update)  # redelivered, e.g. after a crash before the offset was confirmed
    await fake.push(fake.message(506, "xin chào lần nữa"))
    await fake.wait_sent(506, 2)
    assert len(fake.sent(506)) == 2
    assert [i.text for i in core.received] == ["xin chào", "xin chào lần nữa"]


async def test_messages_of_one_chat_keep_their_order(
    fake: FakeTelegram, bot: TelegramChannel, core: ScriptedCore
) -> None:
    core.script = lambda incoming: [Outgoing(f"ok {incoming.text}")]
    for n in range(20):
        await fake.push(fake.message(507, f"tin {n}"))
        await fake.push(fake.message(600 + n, f"khác {n}"))
    texts = await fake.wait_sent(507, 20)
    assert texts == [f"ok tin {n}" for n in range(20)]
    await fake.wait_for(lambda: len(fake.sent()) == 40)
    await fake.wait_for(lambda: bot.processor.pending_chats() == 0)  # no lock left behind


async def test_long_button_payload_survives_the_64_byte_limit(
    fake: FakeTelegram, bot: TelegramChannel, core: ScriptedCore
) -> None:
    payload = "ev:reg:" + "HOI-CHO-CONG-NGHE-THIET-BI-CHE-BIEN-NONG-SAN-BAC-NINH-2026"
    assert len(payload.encode()) > 64

    def script(incoming: Incoming) -> list[Outgoing]:
        if incoming.kind is ContentKind.BUTTON:
            return [Outgoing(f"Đã nhận {incoming.payload}")]
        return [Outgoing("Sự kiện:", buttons=(Button("Đăng ký", payload),))]

    core.script = script
    await fake.push(fake.message(508, "sự kiện"))
    await fake.wait_sent(508)
    [[button]] = fake.sent(508)[0].params["reply_markup"]["inline_keyboard"]
    assert len(button["callback_data"].encode()) <= 64
    await fake.push(fake.callback(508, "Đăng ký"))
    texts = await fake.wait_sent(508, 2)
    assert texts[1] == f"Đã nhận {payload}"


async def test_a_flooding_chat_does_not_hold_up_other_chats(
    fake: FakeTelegram, make_channel: Callable[..., TelegramChannel], core: ScriptedCore
) -> None:
    release = asyncio.Event()

    async def handle(incoming: Incoming) -> list[Outgoing]:
        if incoming.chat_id == "520":
            await release.wait()  # this chat's messages are slow to answer
        return [Outgoing(f"ok {incoming.text}")]

    core.handle = handle  # type: ignore[method-assign]
    channel = make_channel(core, max_concurrent_updates=2)
    await start_polling(channel, poll_timeout=5)
    try:
        for n in range(6):
            await fake.push(fake.message(520, f"tin {n}"))
        await fake.push(fake.message(521, "xin chào"))
        assert await fake.wait_sent(521) == ["ok xin chào"]
        assert fake.sent(520) == []
        release.set()
        assert await fake.wait_sent(520, 6) == [f"ok tin {n}" for n in range(6)]
    finally:
        release.set()
        await stop_polling(channel)
