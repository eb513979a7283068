"""Conversations over time: a restart mid-form, users interleaved, messages of one chat at once."""

from __future__ import annotations

import asyncio

from tests.handlers.chat import ACCEPTANCE, Bot


async def test_restart_mid_form_continues_with_a_new_app(any_bot: Bot) -> None:
    bot = any_bot
    await bot.chat().send(ACCEPTANCE)
    await bot.chat().send("Công ty Minh Phát")
    await bot.restart()
    chat = bot.chat()
    await chat.send("0912345678")
    assert "Đồng ý để Trung tâm" in chat.text or "đồng ý để Trung tâm" in chat.text
    await chat.press("Đồng ý")
    assert "Đơn vị: Công ty Minh Phát" in chat.text and "Bắc Giang" in chat.text
    await chat.press("Xác nhận")
    [demand] = await bot.demands()
    assert demand.budget == 500_000_000


async def test_two_users_interleaved_keep_their_own_state(any_bot: Bot) -> None:
    bot = any_bot
    a, b = bot.chat("alice"), bot.chat("bob")
    await a.send(ACCEPTANCE)
    await b.send("minh o soc trang can cong nghe nuoi tom it thay nuoc")
    assert "Sóc Trăng (nay thuộc thành phố Cần Thơ)" in b.text
    await a.send("Công ty Minh Phát")
    while "tên doanh nghiệp" not in b.text:  # bob skips the optional questions
        await b.press("Bỏ qua")
    await b.send("HTX Tôm Sóc Trăng")
    await a.send("0912345678")
    await b.send("bob@htx.vn")
    await a.press("Đồng ý")
    await b.press("Đồng ý")
    assert "HTX Tôm Sóc Trăng" in b.text and "Minh Phát" not in b.text
    assert "Minh Phát" in a.text and "HTX Tôm" not in a.text
    await b.press("Xác nhận")
    await a.press("Xác nhận")
    by_org = {d.details["organisation"]: d for d in await bot.demands()}
    assert by_org["Công ty Minh Phát"].province == "bac_ninh"
    assert by_org["HTX Tôm Sóc Trăng"].province == "can_tho"
    assert by_org["HTX Tôm Sóc Trăng"].details["email"] == "bob@htx.vn"


async def test_concurrent_messages_of_one_chat_are_handled_in_order(bot: Bot) -> None:
    chat = bot.chat()
    await chat.send(ACCEPTANCE)
    lines = ["Công ty Minh Phát", "0912345678", "đồng ý"]
    results = await asyncio.gather(*(bot.app.handle(chat.incoming(t)) for t in lines))
    assert "số điện thoại hoặc email" in results[0][0].text
    assert "đồng ý để trung tâm" in results[1][0].text.lower()
    assert "kiểm tra lại" in results[2][0].text
