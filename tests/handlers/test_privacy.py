"""/dulieu shows what is stored; /xoadulieu forgets it only after a confirmation."""

from __future__ import annotations

import pytest

from storage.models import EventRegistration, Subscription, Technology, User
from tests.handlers.chat import NOW, Bot, Chat, OpenBot, event


@pytest.fixture
async def bot(open_bot: OpenBot) -> Bot:
    return await open_bot(event("HT-BN", days=5, title="Hội thảo chế biến vải thiều"), seeded=False, now=NOW)


async def _fill(bot: Bot, chat: Chat) -> User:
    """A user with contact data, a demand, a subscription and a registration."""
    user = await bot.add_user(chat.user, display_name="Nguyễn Thị Lan", phone="0912345678",
                              email="lan@htx.vn", organisation="HTX Lục Ngạn")
    await bot.add_demand(user, "find_technology", "can may say, goi 0912345678",
                         details={"phone": "0912345678", "need": "máy sấy"})
    await bot.add(Subscription(user_id=user.id, sectors=["post_harvest"], provinces=["bac_ninh"]))
    await chat.press_payload("ev:reg:HT-BN")
    return user


async def test_my_data_lists_everything_stored(bot: Bot) -> None:
    chat = bot.chat()
    await _fill(bot, chat)
    await chat.send("/dulieu")
    for expected in ("0912345678", "lan@htx.vn", "HTX Lục Ngạn", "Yêu cầu đã gửi (1)",
                     "Bảo quản sau thu hoạch", "Bắc Ninh", "Hội thảo chế biến vải thiều",
                     "/xoadulieu"):
        assert expected in chat.text


async def test_forget_needs_confirmation(bot: Bot) -> None:
    chat = bot.chat()
    await _fill(bot, chat)
    await chat.send("/xoadulieu")
    assert "không hoàn tác" in chat.text
    await chat.press("Không xóa")
    [user] = await bot.rows(User)
    assert user.phone == "0912345678"


async def test_forget_anonymises_and_removes(bot: Bot) -> None:
    chat = bot.chat()
    await _fill(bot, chat)
    await chat.send("/xoadulieu")
    await chat.send("có")
    assert "Em đã xóa dữ liệu cá nhân" in chat.text
    [user] = await bot.rows(User)
    [demand] = await bot.demands()
    subs, regs = await bot.rows(Subscription), await bot.rows(EventRegistration)
    assert (user.phone, user.email, user.organisation, user.display_name) == (None,) * 4
    assert "phone" not in demand.details and demand.details["need"] == "máy sấy"
    assert "0912345678" not in demand.raw_text
    assert subs == [] and regs == []
    await chat.send("/dulieu")
    assert "Số điện thoại: (chưa có)" in chat.text


async def test_forget_with_nothing_stored_still_answers(bot: Bot) -> None:
    chat = bot.chat("fresh")
    await chat.send("/xoadulieu")
    await chat.press_payload("priv:forget:yes")
    assert "Em đã xóa dữ liệu cá nhân" in chat.text


async def test_forget_clears_contact_on_offered_technologies(bot: Bot) -> None:
    chat = bot.chat()
    user = await _fill(bot, chat)
    await bot.add(Technology(code="CN-U0001", title="Máy sấy bơm nhiệt", provider="HTX Lục Ngạn",
                             provider_contact={"phone": "0912345678"}, status="pending_review",
                             submitted_by_id=user.id))
    await chat.send("/dulieu")
    assert "CN-U0001 · Máy sấy bơm nhiệt" in chat.text
    await chat.send("/xoadulieu")
    await chat.press_payload("priv:forget:yes")
    [tech] = await bot.rows(Technology)
    assert tech.provider_contact == {} and tech.title == "Máy sấy bơm nhiệt"
