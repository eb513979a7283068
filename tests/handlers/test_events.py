"""Events and training: listing with filters from the message, registration rules, deep link."""

from __future__ import annotations

import pytest

from tests.handlers.chat import NOW, Bot, OpenBot, event


@pytest.fixture
async def bot(open_bot: OpenBot) -> Bot:
    return await open_bot(
        event("HT-BN", days=5, kind="workshop", title="Hội thảo chế biến vải thiều"),
        event("DT-HN", days=6, kind="training", province="ha_noi", sectors=["digital"],
              title="Tập huấn chuyển đổi số"),
        event("TM-CT", days=30, kind="techmart", province="can_tho", sectors=["aquaculture"],
              title="Techmart Cần Thơ"),
        event("FULL", days=8, kind="workshop", capacity=1, title="Hội thảo ít chỗ"),
        event("LATE", days=9, kind="workshop", deadline_days=-1, title="Hội thảo hết hạn"),
        event("PAST", days=-2, kind="workshop", title="Hội thảo đã qua"),
        seeded=False, now=NOW)


async def test_events_filtered_by_kind_province_and_sector_from_message(bot: Bot) -> None:
    chat = bot.chat()
    await chat.send("co hoi thao nao ve che bien nong san o bac giang khong")
    assert "Hội thảo chế biến vải thiều" in chat.text
    assert "Techmart Cần Thơ" not in chat.text and "Tập huấn chuyển đổi số" not in chat.text
    assert "Hội thảo đã qua" not in chat.text  # past events never listed
    assert "ev:reg:HT-BN" in chat.payloads
    assert all(len(p.encode()) <= 64 for p in chat.payloads)


async def test_training_lists_training_courses(bot: Bot) -> None:
    chat = bot.chat()
    await chat.send("co lop tap huan nao khong")
    assert "Tập huấn chuyển đổi số" in chat.text
    assert "Hội thảo chế biến vải thiều" not in chat.text


async def test_no_match_relaxes_filters_and_says_so(bot: Bot) -> None:
    chat = bot.chat()
    await chat.send("co hoi thao nao o ca mau khong")
    assert "Hiện chưa có" in chat.text
    assert "Hội thảo chế biến vải thiều" in chat.text


async def test_registration_asks_contact_once_then_refuses_second(bot: Bot) -> None:
    chat = bot.chat()
    await chat.press_payload("ev:reg:HT-BN")
    assert "họ tên" in chat.text
    await chat.send("Nguyễn Thị Lan")
    assert "số điện thoại" in chat.text
    await chat.send("0912 345 678")
    await chat.send("bỏ qua")  # organisation is optional
    assert "Em đã đăng ký cho anh/chị tham dự “Hội thảo chế biến vải thiều”" in chat.text
    assert "0912345678" in chat.text
    assert await bot.registrations("HT-BN") == 1

    await chat.press_payload("ev:reg:HT-BN")
    assert "đã đăng ký" in chat.text and "rồi" in chat.text
    assert await bot.registrations("HT-BN") == 1

    # Contact is known now: another event registers at once.
    await chat.press_payload("ev:reg:DT-HN")
    assert "Em đã đăng ký" in chat.text


async def test_capacity_and_deadline_are_respected(bot: Bot) -> None:
    first, second = bot.chat("a"), bot.chat("b")
    for chat in (first, second):
        await chat.send("/start")
        await chat.press_payload("ev:reg:FULL")
        await chat.send("Trần Văn B")
        await chat.send("b@congty.vn")
        await chat.send("bỏ qua")
    assert "Em đã đăng ký" in first.text
    assert "đủ số lượng" in second.text
    assert await bot.registrations("FULL") == 1
    await first.press_payload("ev:reg:LATE")
    assert "hết hạn đăng ký" in first.text
    await first.press_payload("ev:reg:PAST")
    assert "đã diễn ra" in first.text


async def test_cancel_registration(bot: Bot) -> None:
    chat = bot.chat()
    await bot.add_user("u1", phone="0987654321")
    await chat.press_payload("ev:reg:HT-BN")
    await chat.press("Hủy đăng ký")
    assert "Em đã hủy đăng ký" in chat.text
    assert await bot.registrations("HT-BN") == 0


async def test_deep_link_opens_registration(bot: Bot) -> None:
    chat = bot.chat()
    await bot.add_user("u1", email="lan@htx.vn")
    await chat.send("/start event_HT-BN")
    assert "Hội thảo chế biến vải thiều" in chat.text
    assert "đăng ký tham dự" in chat.text
    await chat.send("có")  # typed yes answers the question
    assert "Em đã đăng ký" in chat.text
    assert await bot.registrations("HT-BN") == 1


async def test_deep_link_to_unknown_event_lists_upcoming(bot: Bot) -> None:
    chat = bot.chat()
    await chat.send("/start event_NOPE")
    assert "không tìm thấy" in chat.text.lower()
    assert "Hội thảo chế biến vải thiều" in chat.text


async def test_registration_form_can_be_cancelled(bot: Bot) -> None:
    chat = bot.chat()
    await chat.press_payload("ev:reg:HT-BN")
    await chat.send("hủy")
    assert "hủy" in chat.text
    assert await bot.registrations("HT-BN") == 0


async def test_relaxing_keeps_the_province_before_the_kind(bot: Bot) -> None:
    chat = bot.chat()
    await chat.send("co techmart nao o bac giang khong")  # no Techmart in Bắc Ninh, a workshop is
    assert "Hiện chưa có" in chat.text
    assert "Hội thảo chế biến vải thiều" in chat.text
    assert "Techmart Cần Thơ" not in chat.text


async def test_registration_survives_a_restart(bot: Bot) -> None:
    chat = bot.chat()
    await chat.press_payload("ev:reg:HT-BN")
    await chat.send("Nguyễn Thị Lan")
    await bot.restart()
    chat = bot.chat()
    await chat.send("lan@htx.vn")  # answers the question asked before the restart
    await chat.press("Bỏ qua")
    assert "Em đã đăng ký" in chat.text
    assert await bot.registrations("HT-BN") == 1


async def test_two_users_registering_at_once_do_not_mix(bot: Bot) -> None:
    lan, minh = bot.chat("lan", "Lan"), bot.chat("minh", "Minh")
    await lan.press_payload("ev:reg:HT-BN")
    await minh.press_payload("ev:reg:DT-HN")
    await lan.send("Nguyễn Thị Lan")
    await minh.send("Trần Minh")
    await minh.send("0987654321")
    await lan.send("lan@htx.vn")
    await lan.press("Bỏ qua")
    await minh.press("Bỏ qua")
    assert "Hội thảo chế biến vải thiều" in lan.text and "lan@htx.vn" in lan.text
    assert "Tập huấn chuyển đổi số" in minh.text and "0987654321" in minh.text


async def test_more_events_are_paged(bot: Bot) -> None:
    await bot.add(*(event(f"X-{i}", days=10 + i, title=f"Phiên kết nối {i}") for i in range(6)))
    chat = bot.chat()
    await chat.send("co su kien nao sap toi khong")
    assert chat.text.count("🗓") == 5
    await chat.press("Xem thêm sự kiện")
    assert "6." in chat.text and "Phiên kết nối" in chat.text


@pytest.mark.parametrize("payload", ["ev:reg:", "ev:reg:NOPE", "ev:more:x", "ev:zzz", "ev:unreg:NOPE"])
async def test_stale_or_forged_event_buttons_get_a_polite_answer(bot: Bot, payload: str) -> None:
    chat = bot.chat()
    await chat.press_payload(payload)
    assert chat.text and "ev:" not in chat.text
    assert chat.buttons


async def test_deep_link_to_closed_or_registered_event_says_so_at_once(bot: Bot) -> None:
    chat = bot.chat()
    await bot.add_user("u1", phone="0912345678")
    await chat.send("/start event_LATE")
    assert "hết hạn đăng ký" in chat.text and "ev:reg:LATE" not in chat.payloads
    await chat.press_payload("ev:reg:HT-BN")
    await chat.send("/start event_HT-BN")
    assert "đã đăng ký sự kiện này rồi" in chat.text
    assert "ev:unreg:HT-BN" in chat.payloads


async def test_events_naming_the_product_come_first(bot: Bot) -> None:
    await bot.add(event("TL", days=20, kind="techdemo", title="Trình diễn bảo quản thanh long"))
    chat = bot.chat()
    await chat.send("co su kien nao ve thanh long khong")
    first = chat.text.split("\n\n")[1]  # the soonest events (days 5, 6) do not name it
    assert "thanh long" in first


async def test_start_deep_link_opens_a_demo_catalog_event(open_bot: OpenBot) -> None:
    demo = await open_bot()  # the seeded catalog, not this module's events
    chat = demo.chat()
    await chat.send("/start event_SK-002")
    assert "Techdemo công nghệ sấy và bảo quản trái cây" in chat.text
    assert chat.has_button("Đăng ký")
