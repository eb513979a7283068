"""Demand status (handlers/status.py): the user's demands with status and dates in Vietnamese."""

from __future__ import annotations

from datetime import timedelta

import pytest

from tests.handlers.chat import NOW, Bot, OpenBot, connection_point


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


async def test_status_lists_demands_with_status_and_dates(bot: Bot) -> None:
    demand_id = await _user_with_demand(bot, "matched")
    chat = bot.chat()
    await chat.send("yeu cau cua toi den dau roi")
    assert f"Số {demand_id}" in chat.text and "vải thiều" in chat.text
    assert "Đã gợi ý công nghệ/chuyên gia" in chat.text
    assert "gửi 22/11/2026, cập nhật 24/11/2026" in chat.text
    assert "Bắc Ninh" in chat.text


async def test_status_without_demands_offers_to_start(bot: Bot) -> None:
    chat = bot.chat()
    await chat.send("yeu cau cua toi den dau roi")
    assert "chưa gửi yêu cầu nào" in chat.text
    assert any(p == "menu:find_technology" for p in chat.payloads)
