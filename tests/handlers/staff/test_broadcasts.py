"""/guitin and /baocaotin: staff compose, preview with counts per channel, send or schedule."""

from __future__ import annotations

from datetime import timedelta
from zoneinfo import ZoneInfo

from storage.repos import outbox, staff
from storage.sqltypes import utcnow
from tests.bot.outbox.support import add_subscribers
from tests.handlers.chat import Bot, Chat


async def _staff_chat(bot: Bot, point: str = "DKN-TW") -> Chat:
    await staff.add(bot.db, "telegram", "900", point=point, name="Lan")
    return bot.chat("900", channel="telegram")


async def test_broadcast_an_event_to_everyone(bot: Bot) -> None:
    db = bot.db
    await add_subscribers(db, 7)
    await add_subscribers(db, 2, channel="zalo", first=500)
    chat = await _staff_chat(bot)
    await chat.send("/guitin")
    assert "sự kiện nào" in chat.text and len(chat.buttons) >= 2
    await chat.press_payload(chat.buttons[0].payload)
    assert "Gửi cho ai" in chat.text
    await chat.press("Tất cả người đăng ký")
    assert "Xem trước" in chat.text and "/huynhantin" in chat.text
    assert "9 người đăng ký (telegram: 7, zalo: 2)" in chat.text
    assert [b.label for b in chat.buttons] == ["Gửi", "Hẹn giờ", "Hủy"]
    await chat.press("Gửi")
    assert "đợt tin số 1" in chat.text and "9 người" in chat.text
    counts = await outbox.counts(db, 1)
    assert counts.pending == 9
    await chat.send("/baocaotin 1")
    assert "Đợt tin số 1" in chat.text and "Đang chờ gửi: 9" in chat.text


async def test_announcement_to_a_sector_scheduled(bot: Bot) -> None:
    db = bot.db
    await add_subscribers(db, 3, sectors=["agri_processing"])
    await add_subscribers(db, 4, sectors=["biotech"], first=300)
    chat = await _staff_chat(bot)
    await chat.send("/guitin")
    await chat.send("Trung tâm mời doanh nghiệp chế biến nông sản dự hội thảo ngày 5/12.")
    await chat.send("chế biến nông sản")
    assert "3 người đăng ký (telegram: 3)" in chat.text
    await chat.press("Hẹn giờ")
    await chat.send("hôm qua")
    assert "giờ và ngày" in chat.text
    later = (utcnow() + timedelta(days=3)).astimezone(ZoneInfo("Asia/Ho_Chi_Minh"))
    await chat.send(f"8:30 {later:%d/%m/%Y}")
    assert f"lúc 08:30 {later:%d/%m/%Y}" in chat.text
    assert (await outbox.claim(db, "telegram", "x")) == []  # not before its time


async def test_cancel_sends_nothing_and_nobody_to_send_to(bot: Bot) -> None:
    chat = await _staff_chat(bot)
    await chat.send("/guitin")
    await chat.send("Thông báo thử nghiệm cho mọi người đăng ký.")
    await chat.press("Tất cả người đăng ký")
    assert "chưa có ai đăng ký" in chat.text
    await add_subscribers(bot.db, 2)
    await chat.send("/guitin")
    await chat.send("Thông báo thử nghiệm cho mọi người đăng ký.")
    await chat.press("Tất cả người đăng ký")
    await chat.press("Hủy")
    assert "chưa gửi gì" in chat.text
    assert (await outbox.counts(bot.db)).total == 0


async def test_point_staff_sees_only_their_reports(bot: Bot) -> None:
    await add_subscribers(bot.db, 2)
    chat = await _staff_chat(bot, point="DKN-BN")
    await chat.send("/guitin")
    await chat.send("Thông báo của điểm Bắc Ninh gửi người đăng ký.")
    assert chat.has_button("điểm DKN-BN")
    await chat.press("Tất cả người đăng ký")
    await chat.press("Gửi")
    await staff.add(bot.db, "telegram", "901", point="DKN-HN")
    other = bot.chat("901", channel="telegram")
    await other.send("/baocaotin 1")
    assert "điểm kết nối khác" in other.text
    await other.send("/baocaotin abc")
    assert "ví dụ: /baocaotin 12" in other.text
    await other.send("/baocaotin 99")
    assert "Không tìm thấy đợt tin số 99" in other.text
