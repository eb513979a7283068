"""Technology and expert demands (handlers/technology.py) end to end: pre-filled slots, saving,
matches and their buttons."""

from __future__ import annotations

import sqlite3

from bot.types import ContentKind, Incoming, Outgoing, SendResult
from tests.handlers.chat import ACCEPTANCE, Bot, Chat, finish_contact


async def test_acceptance_dialogue_asks_only_what_is_missing(any_bot: Bot) -> None:
    bot, chat = any_bot, any_bot.chat()
    await chat.send(ACCEPTANCE)
    first = chat.text
    assert "Bắc Giang (nay thuộc tỉnh Bắc Ninh)" in first
    assert "vải thiều" in first and "500 triệu đồng" in first
    assert "tỉnh/thành phố nào" not in first and "Kinh phí dự kiến khoảng" not in first
    await finish_contact(chat)
    assert "Xác nhận" in [b.label for b in chat.buttons]
    await chat.press("Xác nhận")
    reply = chat.text
    assert "nhu cầu số" in reply and "Điểm kết nối cung cầu công nghệ tỉnh Bắc Ninh" in reply
    assert "Công nghệ phù hợp" in reply and "vải thiều" in reply.split("Công nghệ phù hợp")[1]
    assert "Chuyên gia có thể tư vấn" in reply and "Sự kiện sắp tới" in reply
    assert chat.has_button("Quan tâm") and chat.has_button("Xem thêm")
    assert chat.has_button("Gặp cán bộ")
    [demand] = await bot.demands()
    assert (demand.type, demand.product, demand.province, demand.budget) == (
        "find_technology", "vải thiều", "bac_ninh", 500_000_000)
    assert demand.sector == "agri_processing"
    assert demand.connection_point_id is not None
    assert demand.matched_technology_ids and demand.status == "new"  # until staff take it
    assert demand.details["phone"] == "0912345678" and demand.details["consent"] is True


async def test_demand_and_its_confirmation_are_committed_before_it_is_sent(
    chat: Chat, bot: Bot
) -> None:
    """When the confirmation leaves, another connection sees the demand and the reply queued
    for it, from one commit (a crash before the send then loses nothing the user was told)."""
    seen: list[tuple[int, int]] = []
    path = bot.path
    assert path is not None  # a SQLite file

    async def deliver(replies: list[Outgoing]) -> list[SendResult]:
        with sqlite3.connect(path) as other:
            demands = other.execute("SELECT count(*) FROM demands").fetchone()[0]
            queued = other.execute("SELECT count(*) FROM outbox WHERE kind = 'reply' "
                                   "AND status = 'pending' AND update_id = 'u-confirm'"
                                   ).fetchone()[0]
        seen.append((demands, queued))
        return [SendResult("sent") for _ in replies]

    await chat.send(ACCEPTANCE)
    await finish_contact(chat)
    [button] = [b for b in chat.buttons if b.label == "Xác nhận"]
    press = Incoming("console", "u1", "u1", text=button.label, kind=ContentKind.BUTTON,
                     payload=button.payload, update_id="u-confirm")
    replies = await bot.app.answer(press, deliver)
    assert "nhu cầu số 1" in replies[0].text
    assert seen == [(1, len(replies))]
    with sqlite3.connect(path) as other:  # each reply recorded as sent
        assert other.execute("SELECT status FROM outbox WHERE update_id = 'u-confirm'"
                             ).fetchall() == [("sent",)] * len(replies)


async def test_menu_start_asks_everything_and_skip_optional(chat: Chat, bot: Bot) -> None:
    await chat.send("/menu")
    await chat.press("Tìm công nghệ")
    assert "mô tả ngắn gọn" in chat.text
    await chat.send("cần giải pháp tiết kiệm điện cho nhà xưởng")
    assert "Lĩnh vực: Năng lượng, tiết kiệm năng lượng" in chat.text
    assert "Sản phẩm hoặc nguyên liệu" in chat.text and chat.has_button("Bỏ qua")
    await chat.send("bỏ qua")
    assert "tỉnh/thành phố nào" in chat.text
    await chat.send("Thái Bình")
    assert "Thái Bình (nay thuộc tỉnh Hưng Yên)" in chat.text
    assert "Kinh phí dự kiến" in chat.text
    await chat.press("Bỏ qua")
    await finish_contact(chat, "HTX chăn nuôi Đông Hưng", "hoa@htx.vn")
    assert "Sản phẩm: (bỏ qua)" in chat.text and "Kinh phí dự kiến: (bỏ qua)" in chat.text
    await chat.send("xác nhận")
    [demand] = await bot.demands()
    assert demand.province == "hung_yen" and demand.budget is None and demand.product is None
    assert demand.sector == "energy" and demand.details["email"] == "hoa@htx.vn"


async def test_invalid_contact_and_declined_consent_ask_again(chat: Chat, bot: Bot) -> None:
    await chat.send(ACCEPTANCE)
    await chat.send("Công ty Minh Phát")
    await chat.send("091234567")
    assert "Số điện thoại chưa đúng" in chat.text and "số điện thoại hoặc email" in chat.text
    await chat.send("minh@@congty")
    assert "email" in chat.text.lower()
    await chat.send("+84 912 345 678")
    await chat.press("Không đồng ý")
    assert "chưa thể liên hệ" in chat.text and chat.has_button("Đồng ý")
    await chat.send("ok")
    assert "Liên hệ: 0912345678" in chat.text


async def test_known_contact_is_offered_for_the_next_demand(chat: Chat, bot: Bot) -> None:
    await chat.send(ACCEPTANCE)
    await finish_contact(chat)
    await chat.press("Xác nhận")
    await chat.send("can cong nghe bao quan chè o Thai Nguyen")
    await chat.press("Bỏ qua")  # budget
    assert chat.has_button("Công ty TNHH Minh Phát")
    await chat.press("Minh Phát")
    assert chat.has_button("Dùng số 0912345678")
    await chat.press("Dùng số")
    await chat.press("Đồng ý")
    await chat.press("Xác nhận")
    assert len(await bot.demands()) == 2


async def test_interest_and_more_buttons(chat: Chat, bot: Bot) -> None:
    await chat.send(ACCEPTANCE)
    await finish_contact(chat)
    await chat.press("Xác nhận")
    first_page = chat.text
    await chat.press("Quan tâm")
    assert "đã ghi nhận anh/chị quan tâm" in chat.text and "Đơn vị cung ứng" in chat.text
    [demand] = await bot.demands()
    assert len(demand.interested_technology_ids) == 1
    await chat.press("Xem thêm")
    assert "Các công nghệ tiếp theo" in chat.text and "6." in chat.text
    assert chat.text.split("\n")[1] not in first_page


async def test_forged_or_stale_technology_buttons(chat: Chat) -> None:
    for payload in ("tm:like:999:1", "tm:like:x:y", "tm:more", "tm:zap:1:2", "tm:exp:1:99999"):
        await chat.press_payload(payload)
        assert "không tìm thấy nhu cầu" in chat.text
        assert chat.has_button("Tìm công nghệ")


async def test_other_users_demand_cannot_be_touched(bot: Bot) -> None:
    owner, other = bot.chat("owner"), bot.chat("intruder")
    await owner.send(ACCEPTANCE)
    await finish_contact(owner)
    await owner.press("Xác nhận")
    like = next(b for b in owner.buttons if b.payload.startswith("tm:like"))
    await other.press_payload(like.payload)
    assert "không tìm thấy nhu cầu" in other.text
    [demand] = await bot.demands()
    assert demand.interested_technology_ids == []


async def test_user_row_keeps_contact_for_later(chat: Chat, bot: Bot) -> None:
    await chat.send(ACCEPTANCE)
    await finish_contact(chat)
    await chat.press("Xác nhận")
    user = await bot.user("u1")
    assert user is not None
    assert (user.phone, user.organisation, user.province) == (
        "0912345678", "Công ty TNHH Minh Phát", "bac_ninh")
    assert user.consent_at is not None


async def test_find_expert_shows_experts_first(chat: Chat, bot: Bot) -> None:
    await chat.send("cần chuyên gia tư vấn xử lý nước thải trại lợn ở Đồng Nai")
    while "tên doanh nghiệp" not in chat.text:
        await chat.press("Bỏ qua") if chat.has_button("Bỏ qua") else await chat.send("bỏ qua")
    await finish_contact(chat)
    await chat.press("Xác nhận")
    texts = [r.text for r in chat.replies]
    assert "Chuyên gia có thể tư vấn" in texts[1]
    [demand] = await bot.demands()
    assert demand.type == "find_expert" and demand.matched_expert_ids
    await chat.press("Kết nối")
    assert "muốn kết nối với chuyên gia" in chat.text


async def test_name_phone_and_company_in_the_first_message_are_not_asked_again(
        chat: Chat, bot: Bot) -> None:
    await chat.send("Em là Nguyễn Văn Nam, Công ty TNHH Minh Phát ở Bắc Giang, sđt 0912345678. "
                    "Bên em cần công nghệ sấy vải thiều")
    assert "tên doanh nghiệp" not in chat.text and "số điện thoại hoặc email" not in chat.text
    assert "Kinh phí dự kiến" in chat.text
    await chat.press("Bỏ qua")
    assert "tên doanh nghiệp" not in chat.text and "số điện thoại hoặc email" not in chat.text
    await chat.press("Đồng ý")
    assert "kiểm tra lại" in chat.text and "Minh Phát" in chat.text
    await chat.press("Xác nhận")
    reasons = [line for line in chat.text.splitlines() if "Phù hợp vì" in line]
    assert reasons and not any(w in line.lower() for line in reasons
                               for w in ("nam", "nguyễn", "minh", "phát", "điện thoại"))
    [demand] = await bot.demands()
    assert demand.details["organisation"] == "Công ty TNHH Minh Phát"
    assert demand.details["phone"] == "0912345678"
    assert demand.details["contact"]["name"] == "Nguyễn Văn Nam"
