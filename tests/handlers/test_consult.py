"""Consultation requests after a funding or IP answer (handlers/knowledge/consult.py): saved as a
demand, asking only the contact data the bot does not know yet."""

from __future__ import annotations

import pytest

from storage.models import User
from tests.handlers.chat import NOW, Bot, OpenBot, connection_point


@pytest.fixture
async def bot(open_bot: OpenBot) -> Bot:
    return await open_bot(connection_point(), seeded=False, now=NOW)


async def test_consultation_request_is_saved_as_demand(bot: Bot) -> None:
    chat = bot.chat()
    await chat.send("xin ho tro kinh phi doi moi cong nghe")
    await chat.press("Đăng ký tư vấn")
    # The question is pre-filled from the first message; organisation is asked next.
    assert "doanh nghiệp" in chat.text
    await chat.send("HTX Vải thiều Lục Ngạn")
    await chat.send("bac giang")
    assert "Bắc Ninh" in chat.text
    await chat.send("0912345678")
    await chat.press("Đồng ý")
    assert "Xác nhận" in chat.labels
    await chat.press("Xác nhận")
    assert "yêu cầu tư vấn số" in chat.text
    [demand], [user] = await bot.demands(), await bot.rows(User)
    assert demand.type == "ask_funding" and demand.province == "bac_ninh"
    assert demand.details["phone"] == "0912345678"
    assert demand.raw_text == "xin ho tro kinh phi doi moi cong nghe"
    assert demand.connection_point_id is not None
    assert user.phone == "0912345678" and user.consent_at is not None


async def test_second_consultation_does_not_ask_known_contact(bot: Bot) -> None:
    chat = bot.chat()
    await bot.add_user("u1", phone="0912345678", organisation="Cty A", province="ha_noi",
                       consent_at=NOW)
    await chat.send("lam chi dan dia ly cho vai thieu")
    await chat.press("Đăng ký tư vấn")
    # Everything but the question is known: straight to the summary.
    assert "Xác nhận" in chat.labels
    await chat.press("Xác nhận")
    [demand] = await bot.demands()
    assert demand.type == "ip_support" and demand.details["topic"] == "gi"
