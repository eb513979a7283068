"""Handoff to staff (handlers/handoff.py) inside and outside working hours, in Vietnam time."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from handlers.office_hours import in_working_hours, next_opening
from storage.models import User
from tests.handlers.chat import NOW, Bot, OpenBot, connection_point

VN = ZoneInfo("Asia/Ho_Chi_Minh")


@pytest.fixture
async def bot(open_bot: OpenBot) -> Bot:
    return await open_bot(connection_point(), seeded=False, now=NOW)


async def _user_with_demand(bot: Bot, status: str = "new") -> int:
    """A user whose demand was sent three days ago (and changed status yesterday)."""
    user = await bot.add_user("u1", phone="0912345678")
    demand = await bot.add_demand(user, "find_technology", "can may say vai", status=status,
                                  product="vải thiều", province="bac_ninh",
                                  created_at=NOW - timedelta(days=3),
                                  status_changed_at=NOW - timedelta(days=1))
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


async def test_handoff_in_hours_is_recorded_on_latest_demand(bot: Bot) -> None:
    demand_id = await _user_with_demand(bot)
    chat = bot.chat()
    await chat.send("toi muon gap can bo")
    assert f"yêu cầu số {demand_id}" in chat.text
    assert "đang trong giờ làm việc" in chat.text
    [demand] = await bot.demands()
    assert demand.id == demand_id
    assert demand.details["handoff"][0]["note"] == "toi muon gap can bo"


async def test_handoff_outside_hours_on_its_own(open_bot: OpenBot) -> None:
    saturday_night = datetime(2026, 11, 28, 14, 0, tzinfo=UTC)  # 21:00 Saturday in Vietnam
    bot = await open_bot(seeded=False, now=saturday_night)  # no connection point either
    chat = bot.chat()
    await chat.send("toi muon gap can bo")
    assert "ngoài giờ làm việc" in chat.text
    assert "8:00 thứ Hai, 30/11" in chat.text
    assert "số điện thoại" in chat.text  # no contact known yet: asked for one
    await chat.send("sdt cua toi 0987 654 321")
    assert "0987654321" in chat.text
    [demand], [user] = await bot.demands(), await bot.rows(User)
    assert demand.type == "human_handoff" and demand.details["handoff"]
    assert demand.details["phone"] == "0987654321" and user.phone == "0987654321"


async def test_handoff_on_closed_demand_creates_a_new_one(bot: Bot) -> None:
    await _user_with_demand(bot, "closed")
    chat = bot.chat()
    await chat.press_payload("menu:human_handoff")
    types = sorted(d.type for d in await bot.demands())
    assert types == ["find_technology", "human_handoff"]


async def test_handoff_contact_question_can_be_skipped(bot: Bot) -> None:
    chat = bot.chat()
    await chat.send("toi muon gap can bo")
    await chat.press("Bỏ qua")
    assert "Khi cần" in chat.text
    await chat.send("yeu cau cua toi den dau roi")  # no form left open
    assert "Gặp cán bộ" in chat.text
