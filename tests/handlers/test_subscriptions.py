"""Subscribing with buttons or typed lists; unsubscribing in one message, even mid-form."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import pytest
from sqlalchemy import select

from bot.app import App
from storage.models import Subscription
from tests.handlers.dialogue2_harness import Chat, make_app


@pytest.fixture
async def app(tmp_path: Any, nlu: Any) -> AsyncIterator[App]:
    app = await make_app(tmp_path, nlu)
    yield app
    await app.close()


async def _subs(app: App) -> list[Subscription]:
    async with app.services.db.session() as s:
        return list((await s.execute(select(Subscription))).scalars())


async def test_subscribe_with_buttons(app: App) -> None:
    chat = Chat(app)
    await chat.say("dang ky nhan tin")
    assert "lĩnh vực" in chat.text
    await chat.press_label("Bảo quản sau thu hoạch")
    assert "tỉnh/thành phố" in chat.text
    await chat.press_label("Toàn quốc")
    await chat.press_label("Mọi loại sự kiện")
    assert "Bảo quản sau thu hoạch" in chat.text and "Toàn quốc" in chat.text
    await chat.press_label("Xác nhận")
    assert "Em đã đăng ký nhận tin" in chat.text
    [sub] = await _subs(app)
    assert sub.active and sub.sectors == ["post_harvest"] and sub.provinces == []


async def test_subscribe_typing_several_sectors_and_provinces(app: App) -> None:
    chat = Chat(app)
    await chat.say("dang ky nhan tin")
    await chat.say("chế biến nông sản, thủy sản")
    await chat.say("Bắc Giang, Hà Nội")
    await chat.say("hội thảo, techmart")
    assert "Bắc Ninh" in chat.text and "Hà Nội" in chat.text
    await chat.say("ok")
    [sub] = await _subs(app)
    assert set(sub.sectors) == {"agri_processing", "aquaculture"}
    assert set(sub.provinces) == {"bac_ninh", "ha_noi"}
    assert sub.event_kinds == ["techmart", "workshop"]


async def test_resubscribing_updates_the_one_subscription(app: App) -> None:
    chat = Chat(app)
    for sector in ("Dược liệu", "Năng lượng, tiết kiệm năng lượng"):
        await chat.say("dang ky nhan tin")
        await chat.press_label(sector)
        await chat.press_label("Toàn quốc")
        await chat.press_label("Mọi loại sự kiện")
        await chat.press_label("Xác nhận")
    [sub] = await _subs(app)
    assert sub.sectors == ["energy"]


async def test_unsubscribe_in_one_message(app: App) -> None:
    chat = Chat(app)
    await chat.say("dang ky nhan tin")
    await chat.press_label("Tất cả lĩnh vực")
    await chat.press_label("Toàn quốc")
    await chat.press_label("Mọi loại sự kiện")
    await chat.press_label("Xác nhận")
    await chat.say("huy nhan tin")
    assert "Em đã hủy đăng ký nhận tin" in chat.text
    [sub] = await _subs(app)
    assert not sub.active


async def test_unsubscribe_mid_subscription_form(app: App) -> None:
    chat = Chat(app)
    await chat.say("dang ky nhan tin")
    await chat.say("huy nhan tin")  # one message stops it, and the half-done form is dropped
    assert "không đăng ký nhận tin nào" in chat.text
    await chat.say("chế biến nông sản")  # no longer an answer to the dropped form
    assert "quan tâm tin ở tỉnh/thành phố nào" not in chat.text
    await chat.say("/huynhantin")
    assert "không đăng ký nhận tin nào" in chat.text
    assert await _subs(app) == []


async def test_unsubscribe_without_subscription_is_polite(app: App) -> None:
    chat = Chat(app)
    await chat.press("sub:off")
    assert "không đăng ký nhận tin nào" in chat.text


async def test_unsubscribe_in_another_form_keeps_that_form(app: App) -> None:
    chat = Chat(app)
    await chat.say("dang ky nhan tin")
    await chat.press_label("Dược liệu")
    await chat.press_label("Toàn quốc")
    await chat.press_label("Mọi loại sự kiện")
    await chat.press_label("Xác nhận")
    await chat.press("consult:ip:tm")  # a consultation form, first question open
    await chat.say("huy nhan tin")
    assert "Em đã hủy đăng ký nhận tin" in chat.text
    assert "Mình tiếp tục" in chat.text
    [sub] = await _subs(app)
    assert not sub.active
    await chat.say("Muốn bảo hộ logo cho mật ong")  # the consultation goes on
    assert "doanh nghiệp" in chat.text


async def test_bare_cancel_word_does_not_unsubscribe(app: App) -> None:
    chat = Chat(app)
    await chat.say("dang ky nhan tin")
    await chat.press_label("Dược liệu")
    await chat.press_label("Toàn quốc")
    await chat.press_label("Mọi loại sự kiện")
    await chat.press_label("Xác nhận")
    await chat.say("hủy")
    [sub] = await _subs(app)
    assert sub.active
    assert "sub:off" in [p for _, p in chat.buttons]


async def test_sector_and_province_in_the_message_are_not_asked_again(app: App) -> None:
    chat = Chat(app)
    await chat.say("dang ky nhan tin ve cong nghe bao quan sau thu hoach o bac giang")
    assert "loại sự kiện nào" in chat.text
    await chat.press_label("Mọi loại sự kiện")
    assert "Anh/chị sẽ nhận tin về" in chat.text
    assert "Bảo quản sau thu hoạch" in chat.text and "Bắc Ninh" in chat.text
    await chat.press_label("Xác nhận")
    [sub] = await _subs(app)
    assert sub.sectors == ["post_harvest"] and sub.provinces == ["bac_ninh"]
    await chat.say("dang ky nhan tin")
    assert "đang nhận tin về: bảo quản sau thu hoạch, Bắc Ninh" in chat.text


async def test_dangkynhantin_command_and_news_alerts_switch(app: App) -> None:
    chat = Chat(app)
    await chat.say("/dangkynhantin")
    assert "lĩnh vực" in chat.text
    await chat.press_label("Dược liệu")
    await chat.press_label("Toàn quốc")
    await chat.press_label("Hội thảo")
    await chat.press_label("Xác nhận")
    assert "bản tin tổng hợp mỗi tuần" in chat.text
    [sub] = await _subs(app)
    assert sub.event_kinds == ["workshop"] and sub.notify_new
    await chat.press_label("Chỉ nhận bản tin tuần")
    assert "chỉ gửi anh/chị bản tin tổng hợp" in chat.text
    [sub] = await _subs(app)
    assert not sub.notify_new
    await chat.say("/dulieu")
    assert "loại sự kiện: Hội thảo" in chat.text and "chỉ bản tin tuần" in chat.text
    await chat.say("/huynhantin")
    assert "Em đã hủy đăng ký nhận tin" in chat.text
