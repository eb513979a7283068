"""News subscriptions (handlers/subscriptions.py): subscribing by buttons or typing, one
subscription per user, unsubscribing in one message even mid-form."""

from __future__ import annotations

import pytest

from storage.models import Subscription
from tests.handlers.chat import NOW, Bot, OpenBot


@pytest.fixture
async def bot(open_bot: OpenBot) -> Bot:
    return await open_bot(seeded=False, now=NOW)


async def test_subscribe_with_buttons(bot: Bot) -> None:
    chat = bot.chat()
    await chat.send("dang ky nhan tin")
    assert "lĩnh vực" in chat.text
    await chat.press("Bảo quản sau thu hoạch")
    assert "tỉnh/thành phố" in chat.text
    await chat.press("Toàn quốc")
    await chat.press("Mọi loại sự kiện")
    assert "Bảo quản sau thu hoạch" in chat.text and "Toàn quốc" in chat.text
    await chat.press("Xác nhận")
    assert "Em đã đăng ký nhận tin" in chat.text
    [sub] = await bot.rows(Subscription)
    assert sub.active and sub.sectors == ["post_harvest"] and sub.provinces == []


async def test_subscribe_typing_several_sectors_and_provinces(bot: Bot) -> None:
    chat = bot.chat()
    await chat.send("dang ky nhan tin")
    await chat.send("chế biến nông sản, thủy sản")
    await chat.send("Bắc Giang, Hà Nội")
    await chat.send("hội thảo, techmart")
    assert "Bắc Ninh" in chat.text and "Hà Nội" in chat.text
    await chat.send("ok")
    [sub] = await bot.rows(Subscription)
    assert set(sub.sectors) == {"agri_processing", "aquaculture"}
    assert set(sub.provinces) == {"bac_ninh", "ha_noi"}
    assert sub.event_kinds == ["techmart", "workshop"]


async def test_resubscribing_updates_the_one_subscription(bot: Bot) -> None:
    chat = bot.chat()
    for sector in ("Dược liệu", "Năng lượng, tiết kiệm năng lượng"):
        await chat.send("dang ky nhan tin")
        await chat.press(sector)
        await chat.press("Toàn quốc")
        await chat.press("Mọi loại sự kiện")
        await chat.press("Xác nhận")
    [sub] = await bot.rows(Subscription)
    assert sub.sectors == ["energy"]


async def test_unsubscribe_in_one_message(bot: Bot) -> None:
    chat = bot.chat()
    await chat.send("dang ky nhan tin")
    await chat.press("Tất cả lĩnh vực")
    await chat.press("Toàn quốc")
    await chat.press("Mọi loại sự kiện")
    await chat.press("Xác nhận")
    await chat.send("huy nhan tin")
    assert "Em đã hủy đăng ký nhận tin" in chat.text
    [sub] = await bot.rows(Subscription)
    assert not sub.active


async def test_unsubscribe_mid_subscription_form(bot: Bot) -> None:
    chat = bot.chat()
    await chat.send("dang ky nhan tin")
    await chat.send("huy nhan tin")  # one message stops it, and the half-done form is dropped
    assert "không đăng ký nhận tin nào" in chat.text
    await chat.send("chế biến nông sản")  # no longer an answer to the dropped form
    assert "quan tâm tin ở tỉnh/thành phố nào" not in chat.text
    await chat.send("/huynhantin")
    assert "không đăng ký nhận tin nào" in chat.text
    assert await bot.rows(Subscription) == []


async def test_unsubscribe_without_subscription_is_polite(bot: Bot) -> None:
    chat = bot.chat()
    await chat.press_payload("sub:off")
    assert "không đăng ký nhận tin nào" in chat.text


async def test_unsubscribe_in_another_form_keeps_that_form(bot: Bot) -> None:
    chat = bot.chat()
    await chat.send("dang ky nhan tin")
    await chat.press("Dược liệu")
    await chat.press("Toàn quốc")
    await chat.press("Mọi loại sự kiện")
    await chat.press("Xác nhận")
    await chat.press_payload("consult:ip:tm")  # a consultation form, first question open
    await chat.send("huy nhan tin")
    assert "Em đã hủy đăng ký nhận tin" in chat.text
    assert "Mình tiếp tục" in chat.text
    [sub] = await bot.rows(Subscription)
    assert not sub.active
    await chat.send("Muốn bảo hộ logo cho mật ong")  # the consultation goes on
    assert "doanh nghiệp" in chat.text


async def test_bare_cancel_word_does_not_unsubscribe(bot: Bot) -> None:
    chat = bot.chat()
    await chat.send("dang ky nhan tin")
    await chat.press("Dược liệu")
    await chat.press("Toàn quốc")
    await chat.press("Mọi loại sự kiện")
    await chat.press("Xác nhận")
    await chat.send("hủy")
    [sub] = await bot.rows(Subscription)
    assert sub.active
    assert "sub:off" in chat.payloads


async def test_sector_and_province_in_the_message_are_not_asked_again(bot: Bot) -> None:
    chat = bot.chat()
    await chat.send("dang ky nhan tin ve cong nghe bao quan sau thu hoach o bac giang")
    assert "loại sự kiện nào" in chat.text
    await chat.press("Mọi loại sự kiện")
    assert "Anh/chị sẽ nhận tin về" in chat.text
    assert "Bảo quản sau thu hoạch" in chat.text and "Bắc Ninh" in chat.text
    await chat.press("Xác nhận")
    [sub] = await bot.rows(Subscription)
    assert sub.sectors == ["post_harvest"] and sub.provinces == ["bac_ninh"]
    await chat.send("dang ky nhan tin")
    assert "đang nhận tin về: bảo quản sau thu hoạch, Bắc Ninh" in chat.text


async def test_dangkynhantin_command_and_news_alerts_switch(bot: Bot) -> None:
    chat = bot.chat()
    await chat.send("/dangkynhantin")
    assert "lĩnh vực" in chat.text
    await chat.press("Dược liệu")
    await chat.press("Toàn quốc")
    await chat.press("Hội thảo")
    await chat.press("Xác nhận")
    assert "bản tin tổng hợp mỗi tuần" in chat.text
    [sub] = await bot.rows(Subscription)
    assert sub.event_kinds == ["workshop"] and sub.notify_new
    await chat.press("Chỉ nhận bản tin tuần")
    assert "chỉ gửi anh/chị bản tin tổng hợp" in chat.text
    [sub] = await bot.rows(Subscription)
    assert not sub.notify_new
    await chat.send("/dulieu")
    assert "loại sự kiện: Hội thảo" in chat.text and "chỉ bản tin tuần" in chat.text
    await chat.send("/huynhantin")
    assert "Em đã hủy đăng ký nhận tin" in chat.text


async def test_ngung_nhan_tin_stops_everything(bot: Bot) -> None:
    chat = bot.chat()
    await chat.send("/dangkynhantin")
    await chat.press("Tất cả lĩnh vực")
    await chat.press("Toàn quốc")
    await chat.press("Mọi loại sự kiện")
    await chat.press("Xác nhận")
    await chat.send("ngừng nhận tin")
    assert "Em đã hủy đăng ký nhận tin" in chat.text
    [sub] = await bot.rows(Subscription)
    assert not sub.active
