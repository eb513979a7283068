"""Telegram's outbox sender against the fake Bot API: one attempt, one plain verdict per answer."""

from __future__ import annotations

from bot.telegram.outbox_sender import TelegramSender, make_bot
from bot.types import Button, Outgoing
from tests.bot.fake_telegram import TOKEN, FakeTelegram
from tests.bot.telegram.serving import free_port

Fake = tuple[FakeTelegram, str]


async def test_a_text_with_buttons_arrives_as_telegram_expects(fake: Fake) -> None:
    api, url = fake
    sender = TelegramSender(make_bot(TOKEN, url))
    try:
        [part] = sender.parts(Outgoing("Mời anh/chị dự hội chợ", (Button("Đăng ký", "ev:reg:A"),)))
        result = await sender.send_part("42", part)
    finally:
        await sender.aclose()
    [call] = api.sent("42")
    assert result.status == "sent" and result.message_id == str(call.params["_message_id"])
    assert call.params["text"] == "Mời anh/chị dự hội chợ"
    assert call.params["reply_markup"] == {"inline_keyboard": [[{"text": "Đăng ký",
                                                                 "callback_data": "ev:reg:A"}]]}


async def test_each_error_answer_has_its_verdict(fake: Fake) -> None:
    api, url = fake
    sender = TelegramSender(make_bot(TOKEN, url))
    [part] = sender.parts(Outgoing("Tin"))
    api.fail("sendMessage", 429, retry_after=7)
    api.fail("sendMessage", 403)
    api.fail("sendMessage", 502)
    api.fail("sendMessage", 400)
    try:
        flood, blocked, gateway, bad = [await sender.send_part("42", part) for _ in range(4)]
        sent = await sender.send_part("42", part)
    finally:
        await sender.aclose()
    assert (flood.status, flood.retry_after) == ("retry", 7.0)
    assert blocked.status == "blocked"
    assert gateway.status == "retry" and gateway.retry_after is None
    assert bad.status == "failed" and "Bad Request" in (bad.reason or "")
    assert sent.status == "sent" and len(api.sent("42")) == 1


async def test_a_refused_connection_is_retried_later() -> None:
    url = f"http://127.0.0.1:{free_port()}"  # nothing listens there
    sender = TelegramSender(make_bot(TOKEN, url))
    [part] = sender.parts(Outgoing("Tin"))
    try:
        result = await sender.send_part("42", part)
    finally:
        await sender.aclose()
    assert result.status == "retry" and (result.reason or "").startswith("network")
