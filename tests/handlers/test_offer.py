"""Offering a technology (handlers/offer.py): the offer form and the pending technology it stores."""

from __future__ import annotations

from storage.models import Technology
from tests.handlers.chat import Bot, Chat


async def test_offer_technology_creates_a_pending_technology(chat: Chat, bot: Bot) -> None:
    await chat.send("chúng tôi muốn chào bán công nghệ")
    assert "tên công nghệ" in chat.text
    await chat.send("Máy sấy bơm nhiệt 500 kg/mẻ")
    await chat.send("Sấy nông sản bằng bơm nhiệt, tiết kiệm 40% điện so với sấy điện trở")
    if "lĩnh vực nào" in chat.text:
        await chat.press("Chế biến")
    await chat.press("Đã thương mại hóa")
    await chat.press("Mua bán")
    await chat.send("Viện Cơ điện nông nghiệp")
    await chat.send("vien@vcd.vn")
    assert "Hình thức chuyển giao: Mua bán, chuyển nhượng" in chat.text
    await chat.press("Xác nhận")
    assert "chờ thẩm định" in chat.text
    [tech] = [t for t in await bot.rows(Technology) if t.status == "pending_review"]
    assert tech.title == "Máy sấy bơm nhiệt 500 kg/mẻ" and tech.stage == "commercial"
    assert tech.transfer_modes == ["sale"] and tech.provider_contact == {"email": "vien@vcd.vn"}
    assert await bot.demands() == []  # an offer is not a demand
