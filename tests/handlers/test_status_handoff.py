"""Demand status in Vietnamese, and handoff to staff inside and outside working hours."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import select

from bot.app import App
from handlers.office_hours import in_working_hours, next_opening
from storage.models import Demand, User
from storage.repos import demands as demands_repo
from tests.handlers.dialogue2_harness import NOW, Chat, add, connection_point, make_app

VN = ZoneInfo("Asia/Ho_Chi_Minh")


@pytest.fixture
async def app(tmp_path: Any, nlu: Any) -> AsyncIterator[App]:
    app = await make_app(tmp_path, nlu)
    await add(app, connection_point())
    yield app
    await app.close()


async def _user_with_demand(app: App, status: str = "new") -> int:
    async with app.services.db.transaction() as s:
        user = User(channel="console", external_id="u1", phone="0912345678")
        s.add(user)
        await s.flush()
        demand = await demands_repo.create(s, user, "find_technology", "can may say vai",
                                           product="vải thiều", province="bac_ninh", commit=False)
        demand.created_at = NOW - timedelta(days=3)
        if status != "new":
            await demands_repo.change_status(s, demand, status)
            demand.history[-1].changed_at = NOW - timedelta(days=1)
        return demand.id


def test_working_hours_are_vietnam_time() -> None:
    wed_10 = datetime(2026, 11, 25, 3, 0, tzinfo=UTC)  # 10:00 in Vietnam
    wed_18 = datetime(2026, 11, 25, 11, 0, tzinfo=UTC)  # 18:00
    sat = datetime(2026, 11, 28, 3, 0, tzinfo=UTC)
    fri_1659 = datetime(2026, 11, 27, 9, 59, tzinfo=UTC)
    assert in_working_hours(wed_10, VN) and in_working_hours(fri_1659, VN)
    assert not in_working_hours(wed_18, VN) and not in_working_hours(sat, VN)
    assert next_opening(wed_18, VN) == datetime(2026, 11, 26, 8, 0, tzinfo=VN)
    assert next_opening(sat, VN) == datetime(2026, 11, 30, 8, 0, tzinfo=VN)  # Monday
    early = datetime(2026, 11, 25, 0, 30, tzinfo=UTC)  # 7:30 Wednesday
    assert next_opening(early, VN) == datetime(2026, 11, 25, 8, 0, tzinfo=VN)
    labour_day = datetime(2026, 5, 1, 3, 0, tzinfo=UTC)  # a Friday, public holiday
    assert not in_working_hours(labour_day, VN)
    assert next_opening(labour_day, VN) == datetime(2026, 5, 4, 8, 0, tzinfo=VN)


async def test_status_lists_demands_with_status_and_dates(app: App) -> None:
    demand_id = await _user_with_demand(app, "matched")
    chat = Chat(app)
    await chat.say("yeu cau cua toi den dau roi")
    assert f"Số {demand_id}" in chat.text and "vải thiều" in chat.text
    assert "Đã gợi ý công nghệ/chuyên gia" in chat.text
    assert "gửi 22/11/2026, cập nhật 24/11/2026" in chat.text
    assert "Bắc Ninh" in chat.text


async def test_status_without_demands_offers_to_start(app: App) -> None:
    chat = Chat(app)
    await chat.say("yeu cau cua toi den dau roi")
    assert "chưa gửi yêu cầu nào" in chat.text
    assert any(p == "menu:find_technology" for _, p in chat.buttons)


async def test_handoff_in_hours_is_recorded_on_latest_demand(app: App) -> None:
    demand_id = await _user_with_demand(app)
    chat = Chat(app)
    await chat.say("toi muon gap can bo")
    assert f"yêu cầu số {demand_id}" in chat.text
    assert "đang trong giờ làm việc" in chat.text
    async with app.services.db.session() as s:
        demand = await demands_repo.get(s, demand_id)
        count = len((await s.execute(select(Demand))).scalars().all())
    assert count == 1
    assert demand.details["handoff"][0]["note"] == "toi muon gap can bo"


async def test_handoff_outside_hours_on_its_own(tmp_path: Any, nlu: Any) -> None:
    saturday_night = datetime(2026, 11, 28, 14, 0, tzinfo=UTC)  # 21:00 Saturday in Vietnam
    app = await make_app(tmp_path, nlu, now=saturday_night)
    try:
        chat = Chat(app)
        await chat.say("toi muon gap can bo")
        assert "ngoài giờ làm việc" in chat.text
        assert "8:00 thứ Hai, 30/11" in chat.text
        assert "số điện thoại" in chat.text  # no contact known yet: asked for one
        await chat.say("sdt cua toi 0987 654 321")
        assert "0987654321" in chat.text
        async with app.services.db.session() as s:
            demand = (await s.execute(select(Demand))).scalar_one()
            user = (await s.execute(select(User))).scalar_one()
        assert demand.type == "human_handoff" and demand.details["handoff"]
        assert demand.details["phone"] == "0987654321" and user.phone == "0987654321"
    finally:
        await app.close()


async def test_handoff_on_closed_demand_creates_a_new_one(app: App) -> None:
    await _user_with_demand(app, "closed")
    chat = Chat(app)
    await chat.press("menu:human_handoff")
    async with app.services.db.session() as s:
        types = sorted(d.type for d in (await s.execute(select(Demand))).scalars())
    assert types == ["find_technology", "human_handoff"]


async def test_handoff_contact_question_can_be_skipped(app: App) -> None:
    chat = Chat(app)
    await chat.say("toi muon gap can bo")
    await chat.press_label("Bỏ qua")
    assert "Khi cần" in chat.text
    await chat.say("yeu cau cua toi den dau roi")  # no form left open
    assert "Gặp cán bộ" in chat.text
