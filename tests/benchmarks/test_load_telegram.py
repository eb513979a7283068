"""The load test's lean Telegram: the fake Bot API process answers PTB as Telegram would and
streams each reply to the driver; the webhook poster posts again until a process answers 200."""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator, Callable
from typing import Any

import pytest
from telegram import Bot, InlineKeyboardButton, InlineKeyboardMarkup
from telegram.error import BadRequest, EndPointNotFound

from benchmarks.load_driver import Telegram
from benchmarks.load_webhook import LeanWebhook
from tests.bot.fake_telegram import TOKEN
from tests.bot.telegram.server import BackgroundServer
from tests.bot.telegram.serving import SECRET, free_port

CHAT = 4242
KEYBOARD = InlineKeyboardMarkup([[InlineKeyboardButton("Đồng ý", callback_data="yes"),
                                  InlineKeyboardButton("Sửa lại", callback_data="edit")]])


@pytest.fixture
async def telegram() -> AsyncIterator[tuple[Telegram, Bot]]:
    tg = Telegram(keep_calls=True)
    url = await tg.start()
    bot = Bot(TOKEN, base_url=f"{url}/bot")
    await bot.initialize()  # getMe
    try:
        yield tg, bot
    finally:
        await bot.shutdown()
        await tg.close()


async def wait_until(done: Callable[[], bool]) -> None:
    """Until what the fake streamed satisfies `done` (a safety bound, not a speed assertion)."""
    for _ in range(500):
        if done():
            return
        await asyncio.sleep(0.01)


async def wait_replies(tg: Telegram, count: int) -> list[tuple[float, str]]:
    """The chat's replies once `count` have been streamed from the fake."""
    await wait_until(lambda: len(tg.replies.get(str(CHAT), [])) >= count)
    return tg.replies.get(str(CHAT), [])


async def test_replies_answered_as_telegram_and_streamed_in_order(
        telegram: tuple[Telegram, Bot]) -> None:
    tg, bot = telegram
    assert bot.username == "ketnoi_test_bot"
    first = await bot.send_message(CHAT, "Chào anh/chị, em có thể giúp gì ạ?")
    asked = await bot.send_message(CHAT, "Anh/chị xác nhận giúp em ạ?", reply_markup=KEYBOARD)
    photo = await bot.send_photo(CHAT, photo=b"\x89PNG fake", filename="bieu-do.png",
                                 caption="Biểu đồ tháng này")
    assert first.text == "Chào anh/chị, em có thể giúp gì ạ?" and first.chat.id == CHAT
    assert asked.reply_markup == KEYBOARD and asked.message_id > first.message_id
    assert photo.photo and photo.caption == "Biểu đồ tháng này"
    assert await bot.answer_callback_query("1") is True
    edited = await bot.edit_message_text("Đã xác nhận", chat_id=CHAT,
                                         message_id=asked.message_id)
    assert not isinstance(edited, bool) and edited.text == "Đã xác nhận"

    replies = await wait_replies(tg, 3)
    assert [text for _, text in replies] == [
        "Chào anh/chị, em có thể giúp gì ạ?", "Anh/chị xác nhận giúp em ạ?", "Biểu đồ tháng này"]
    assert replies[0][0] <= replies[1][0] <= replies[2][0]
    # pressing a button of the latest message that has buttons
    pressed = tg.update_for(CHAT, "@Sửa lại")["callback_query"]
    assert pressed["data"] == "edit" and pressed["message"]["message_id"] == asked.message_id
    methods = ["getMe", "sendMessage", "sendMessage", "sendPhoto", "answerCallbackQuery",
               "editMessageText"]
    await wait_until(lambda: len(tg.calls or []) >= len(methods))
    assert [call[1] for call in tg.calls or []] == methods


async def test_the_same_reply_sent_twice_is_a_repeat(telegram: tuple[Telegram, Bot]) -> None:
    tg, bot = telegram
    await bot.send_message(CHAT, "Anh/chị xác nhận giúp em ạ?", reply_markup=KEYBOARD)
    await bot.send_message(CHAT, "Anh/chị xác nhận giúp em ạ?")  # other buttons: not the same
    await bot.send_message(CHAT, "Anh/chị xác nhận giúp em ạ?", reply_markup=KEYBOARD)
    await wait_replies(tg, 3)
    assert sorted(tg.seen[str(CHAT)].values()) == [1, 2]
    assert len(tg.repeats) == 1


class Bot200AfterOneFailure:
    """A webhook answering 503 to its first update, 200 after; records what it was posted."""

    def __init__(self) -> None:
        self.posted: list[tuple[dict[str, Any], str]] = []

    async def __call__(self, scope: Any, receive: Any, send: Any) -> None:
        if scope["type"] != "http":
            return
        body = b""
        while True:
            message = await receive()
            body += message.get("body", b"")
            if not message.get("more_body"):
                break
        headers = dict(scope["headers"])
        self.posted.append((json.loads(body),
                            headers[b"x-telegram-bot-api-secret-token"].decode()))
        status = 503 if len(self.posted) == 1 else 200
        await send({"type": "http.response.start", "status": status, "headers": []})
        await send({"type": "http.response.body", "body": b""})


async def test_webhook_posts_again_until_a_process_answers_200() -> None:
    app = Bot200AfterOneFailure()
    server = BackgroundServer(app)
    url = await server.start()
    down = f"http://127.0.0.1:{free_port()}"  # a process that is not there
    hook = LeanWebhook([down, url], connections=2)
    update = {"update_id": 7, "message": {"text": "xin chào"}}
    try:
        assert await hook.post(update, deadline=10) == 1  # refused, then 503, then 200
        assert await hook.post({"update_id": 8}, first=1, deadline=10) == 1
    finally:
        await hook.close()
        await server.stop()
    assert app.posted == [(update, SECRET), (update, SECRET), ({"update_id": 8}, SECRET)]
    assert hook.retries == 3  # down, 503, down again (the attempts go round), then 200


@pytest.mark.filterwarnings("ignore:Please use 'Bot.sendMessage'")  # a call PTB would not make
async def test_a_call_telegram_would_refuse_is_answered_400_and_sends_nothing(
        telegram: tuple[Telegram, Bot]) -> None:
    tg, bot = telegram
    with pytest.raises(BadRequest):
        await bot.do_api_request("sendMessage", api_kwargs={"text": "không có chat_id"})
    with pytest.raises(EndPointNotFound):
        await bot.do_api_request("sendCarrierPigeon", api_kwargs={"chat_id": CHAT})
    await bot.send_message(CHAT, "Vẫn hoạt động ạ")
    assert [text for _, text in await wait_replies(tg, 1)] == ["Vẫn hoạt động ạ"]
