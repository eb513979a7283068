"""Events and training: listing with filters from the message, registration rules, deep link."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import pytest
from sqlalchemy import func, select

from bot.app import App
from storage.models import EventRegistration, User
from tests.handlers.dialogue2_harness import Chat, add, event, make_app


@pytest.fixture
async def app(tmp_path: Any, nlu: Any) -> AsyncIterator[App]:
    app = await make_app(tmp_path, nlu)
    await add(app,
              event("HT-BN", days=5, kind="workshop", title="Hội thảo chế biến vải thiều"),
              event("DT-HN", days=6, kind="training", province="ha_noi", sectors=["digital"],
                    title="Tập huấn chuyển đổi số"),
              event("TM-CT", days=30, kind="techmart", province="can_tho",
                    sectors=["aquaculture"], title="Techmart Cần Thơ"),
              event("FULL", days=8, kind="workshop", capacity=1, title="Hội thảo ít chỗ"),
              event("LATE", days=9, kind="workshop", deadline_days=-1, title="Hội thảo hết hạn"),
              event("PAST", days=-2, kind="workshop", title="Hội thảo đã qua"))
    yield app
    await app.close()


async def _registrations(app: App, code: str) -> int:
    from storage.models import Event

    async with app.services.db.session() as s:
        ev = (await s.execute(select(Event).where(Event.code == code))).scalar_one()
        stmt = select(func.count()).select_from(EventRegistration).where(
            EventRegistration.event_id == ev.id)
        return int((await s.execute(stmt)).scalar_one())


async def test_events_filtered_by_kind_province_and_sector_from_message(app: App) -> None:
    chat = Chat(app)
    await chat.say("co hoi thao nao ve che bien nong san o bac giang khong")
    assert "Hội thảo chế biến vải thiều" in chat.text
    assert "Techmart Cần Thơ" not in chat.text and "Tập huấn chuyển đổi số" not in chat.text
    assert "Hội thảo đã qua" not in chat.text  # past events never listed
    assert "ev:reg:HT-BN" in [p for _, p in chat.buttons]
    assert all(len(p.encode()) <= 64 for _, p in chat.buttons)


async def test_training_lists_training_courses(app: App) -> None:
    chat = Chat(app)
    await chat.say("co lop tap huan nao khong")
    assert "Tập huấn chuyển đổi số" in chat.text
    assert "Hội thảo chế biến vải thiều" not in chat.text


async def test_no_match_relaxes_filters_and_says_so(app: App) -> None:
    chat = Chat(app)
    await chat.say("co hoi thao nao o ca mau khong")
    assert "Hiện chưa có" in chat.text
    assert "Hội thảo chế biến vải thiều" in chat.text


async def test_registration_asks_contact_once_then_refuses_second(app: App) -> None:
    chat = Chat(app)
    await chat.press("ev:reg:HT-BN")
    assert "họ tên" in chat.text
    await chat.say("Nguyễn Thị Lan")
    assert "số điện thoại" in chat.text
    await chat.say("0912 345 678")
    await chat.say("bỏ qua")  # organisation is optional
    assert "Em đã đăng ký cho anh/chị tham dự “Hội thảo chế biến vải thiều”" in chat.text
    assert "0912345678" in chat.text
    assert await _registrations(app, "HT-BN") == 1

    await chat.press("ev:reg:HT-BN")
    assert "đã đăng ký" in chat.text and "rồi" in chat.text
    assert await _registrations(app, "HT-BN") == 1

    # Contact is known now: another event registers at once.
    await chat.press("ev:reg:DT-HN")
    assert "Em đã đăng ký" in chat.text


async def test_capacity_and_deadline_are_respected(app: App) -> None:
    first, second = Chat(app, "a"), Chat(app, "b")
    for chat in (first, second):
        await chat.say("/start")
        await chat.press("ev:reg:FULL")
        await chat.say("Trần Văn B")
        await chat.say("b@congty.vn")
        await chat.say("bỏ qua")
    assert "Em đã đăng ký" in first.text
    assert "đủ số lượng" in second.text
    assert await _registrations(app, "FULL") == 1
    await first.press("ev:reg:LATE")
    assert "hết hạn đăng ký" in first.text
    await first.press("ev:reg:PAST")
    assert "đã diễn ra" in first.text


async def test_cancel_registration(app: App) -> None:
    chat = Chat(app)
    async with app.services.db.transaction() as s:
        s.add(User(channel="console", external_id="u1", phone="0987654321"))
    await chat.press("ev:reg:HT-BN")
    await chat.press_label("Hủy đăng ký")
    assert "Em đã hủy đăng ký" in chat.text
    assert await _registrations(app, "HT-BN") == 0


async def test_deep_link_opens_registration(app: App) -> None:
    chat = Chat(app)
    async with app.services.db.transaction() as s:
        s.add(User(channel="console", external_id="u1", email="lan@htx.vn"))
    await chat.say("/start event_HT-BN")
    assert "Hội thảo chế biến vải thiều" in chat.text
    assert "đăng ký tham dự" in chat.text
    await chat.say("có")  # typed yes answers the question
    assert "Em đã đăng ký" in chat.text
    assert await _registrations(app, "HT-BN") == 1


async def test_deep_link_to_unknown_event_lists_upcoming(app: App) -> None:
    chat = Chat(app)
    await chat.say("/start event_NOPE")
    assert "không tìm thấy" in chat.text.lower()
    assert "Hội thảo chế biến vải thiều" in chat.text


async def test_registration_form_can_be_cancelled(app: App) -> None:
    chat = Chat(app)
    await chat.press("ev:reg:HT-BN")
    await chat.say("hủy")
    assert "hủy" in chat.text
    assert await _registrations(app, "HT-BN") == 0


async def test_relaxing_keeps_the_province_before_the_kind(app: App) -> None:
    chat = Chat(app)
    await chat.say("co techmart nao o bac giang khong")  # no Techmart in Bắc Ninh, a workshop is
    assert "Hiện chưa có" in chat.text
    assert "Hội thảo chế biến vải thiều" in chat.text
    assert "Techmart Cần Thơ" not in chat.text


async def test_registration_survives_a_restart(tmp_path: Any, nlu: Any, app: App) -> None:
    chat = Chat(app)
    await chat.press("ev:reg:HT-BN")
    await chat.say("Nguyễn Thị Lan")
    await app.close()
    restarted = await make_app(tmp_path, nlu)
    try:
        chat = Chat(restarted)
        await chat.say("lan@htx.vn")  # answers the question asked before the restart
        await chat.press_label("Bỏ qua")
        assert "Em đã đăng ký" in chat.text
        assert await _registrations(restarted, "HT-BN") == 1
    finally:
        await restarted.close()


async def test_two_users_registering_at_once_do_not_mix(app: App) -> None:
    lan, minh = Chat(app, "lan", "Lan"), Chat(app, "minh", "Minh")
    await lan.press("ev:reg:HT-BN")
    await minh.press("ev:reg:DT-HN")
    await lan.say("Nguyễn Thị Lan")
    await minh.say("Trần Minh")
    await minh.say("0987654321")
    await lan.say("lan@htx.vn")
    await lan.press_label("Bỏ qua")
    await minh.press_label("Bỏ qua")
    assert "Hội thảo chế biến vải thiều" in lan.text and "lan@htx.vn" in lan.text
    assert "Tập huấn chuyển đổi số" in minh.text and "0987654321" in minh.text


async def test_more_events_are_paged(app: App) -> None:
    await add(app, *(event(f"X-{i}", days=10 + i, title=f"Phiên kết nối {i}") for i in range(6)))
    chat = Chat(app)
    await chat.say("co su kien nao sap toi khong")
    assert chat.text.count("🗓") == 5
    await chat.press_label("Xem thêm sự kiện")
    assert "6." in chat.text and "Phiên kết nối" in chat.text


@pytest.mark.parametrize("payload", ["ev:reg:", "ev:reg:NOPE", "ev:more:x", "ev:zzz", "ev:unreg:NOPE"])
async def test_stale_or_forged_event_buttons_get_a_polite_answer(app: App, payload: str) -> None:
    chat = Chat(app)
    await chat.press(payload)
    assert chat.text and "ev:" not in chat.text
    assert chat.buttons


async def test_deep_link_to_closed_or_registered_event_says_so_at_once(app: App) -> None:
    chat = Chat(app)
    async with app.services.db.transaction() as s:
        s.add(User(channel="console", external_id="u1", phone="0912345678"))
    await chat.say("/start event_LATE")
    assert "hết hạn đăng ký" in chat.text and "ev:reg:LATE" not in [p for _, p in chat.buttons]
    await chat.press("ev:reg:HT-BN")
    await chat.say("/start event_HT-BN")
    assert "đã đăng ký sự kiện này rồi" in chat.text
    assert "ev:unreg:HT-BN" in [p for _, p in chat.buttons]


async def test_events_naming_the_product_come_first(app: App) -> None:
    await add(app, event("TL", days=20, kind="techdemo", title="Trình diễn bảo quản thanh long"))
    chat = Chat(app)
    await chat.say("co su kien nao ve thanh long khong")
    first = chat.text.split("\n\n")[1]  # the soonest events (days 5, 6) do not name it
    assert "thanh long" in first
