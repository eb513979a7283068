"""find_technology end to end through App.handle: pre-filled slots, saving, matches, buttons."""

from __future__ import annotations

import sqlite3

from sqlalchemy import select

from bot.app import App
from bot.types import ContentKind, Incoming, Outgoing, SendResult
from storage.models import Demand, User
from tests.handlers.support import Chat

ACCEPTANCE = "cty minh o bac giang can cong nghe say vai thieu, kinh phi khoang 500 trieu"


async def demands_in(app: App) -> list[Demand]:
    async with app.services.db.session() as s:
        return list((await s.execute(select(Demand).order_by(Demand.id))).scalars())


async def finish_contact(chat: Chat, org: str = "Công ty TNHH Minh Phát",
                         contact: str = "0912 345 678") -> None:
    assert "tên doanh nghiệp" in chat.text
    await chat.send(org)
    assert "số điện thoại hoặc email" in chat.text
    await chat.send(contact)
    assert "Đồng ý để Trung tâm" in chat.text or "đồng ý để Trung tâm" in chat.text
    await chat.press("Đồng ý")
    assert "kiểm tra lại" in chat.text


async def test_acceptance_dialogue_asks_only_what_is_missing(chat: Chat, app: App) -> None:
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
    [demand] = await demands_in(app)
    assert (demand.type, demand.product, demand.province, demand.budget) == (
        "find_technology", "vải thiều", "bac_ninh", 500_000_000)
    assert demand.sector == "agri_processing"
    assert demand.connection_point_id is not None
    assert demand.matched_technology_ids and demand.status == "matched"
    assert demand.details["phone"] == "0912345678" and demand.details["consent"] is True


async def test_demand_and_its_confirmation_are_committed_before_it_is_sent(
    chat: Chat, app: App, db_url: str
) -> None:
    """When the confirmation leaves, another connection sees the demand and the reply queued
    for it, from one commit (a crash before the send then loses nothing the user was told)."""
    seen: list[tuple[int, int]] = []

    async def deliver(replies: list[Outgoing]) -> list[SendResult]:
        with sqlite3.connect(db_url.split("///", 1)[1]) as other:
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
    replies = await app.answer(press, deliver)
    assert "nhu cầu số 1" in replies[0].text
    assert seen == [(1, len(replies))]
    with sqlite3.connect(db_url.split("///", 1)[1]) as other:  # each reply recorded as sent
        assert other.execute("SELECT status FROM outbox WHERE update_id = 'u-confirm'"
                             ).fetchall() == [("sent",)] * len(replies)


async def test_menu_start_asks_everything_and_skip_optional(chat: Chat, app: App) -> None:
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
    [demand] = await demands_in(app)
    assert demand.province == "hung_yen" and demand.budget is None and demand.product is None
    assert demand.sector == "energy" and demand.details["email"] == "hoa@htx.vn"


async def test_cancel_mid_form_saves_nothing(chat: Chat, app: App) -> None:
    await chat.send(ACCEPTANCE)
    await chat.send("Công ty Minh Phát")
    await chat.send("hủy")
    assert "đã hủy nhu cầu tìm công nghệ" in chat.text
    assert chat.has_button("Tìm công nghệ")
    assert await demands_in(app) == []
    await chat.send("0912345678")  # no longer inside the form: not taken as an answer
    assert "số điện thoại hoặc email" not in chat.text


async def test_thoi_and_slash_huy_cancel(chat: Chat) -> None:
    await chat.send(ACCEPTANCE)
    await chat.send("thôi")
    assert "đã hủy" in chat.text
    await chat.send(ACCEPTANCE)
    await chat.send("/huy")
    assert "đã hủy" in chat.text
    await chat.send("/huy")
    assert "không có thao tác nào" in chat.text


async def test_back_goes_to_previous_question(chat: Chat) -> None:
    await chat.send(ACCEPTANCE)
    await chat.send("Cty ABC")
    assert "số điện thoại hoặc email" in chat.text
    await chat.send("quay lại")
    assert "tên doanh nghiệp" in chat.text
    await chat.send("quay lại")  # the organisation was the first question asked
    assert "câu hỏi đầu tiên" in chat.text
    await chat.send("Công ty Minh Phát")
    await chat.send("0912345678")
    await chat.press("Đồng ý")
    assert "Đơn vị: Công ty Minh Phát" in chat.text


async def test_edit_a_field_from_the_summary(chat: Chat, app: App) -> None:
    await chat.send(ACCEPTANCE)
    await finish_contact(chat)
    await chat.press("Sửa")
    assert "sửa mục nào" in chat.text
    await chat.press("Tỉnh/thành phố")
    assert "tỉnh/thành phố nào" in chat.text
    await chat.send("Hải Dương")
    assert "Hải Dương (nay thuộc thành phố Hải Phòng)" in chat.text
    assert "kiểm tra lại" in chat.text  # straight back to the summary
    await chat.press("Xác nhận")
    [demand] = await demands_in(app)
    assert demand.province == "hai_phong" and demand.product == "vải thiều"


async def test_invalid_contact_and_declined_consent_ask_again(chat: Chat, app: App) -> None:
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


async def test_known_contact_is_offered_for_the_next_demand(chat: Chat, app: App) -> None:
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
    assert len(await demands_in(app)) == 2


async def test_interest_and_more_buttons(chat: Chat, app: App) -> None:
    await chat.send(ACCEPTANCE)
    await finish_contact(chat)
    await chat.press("Xác nhận")
    first_page = chat.text
    await chat.press("Quan tâm")
    assert "đã ghi nhận anh/chị quan tâm" in chat.text and "Đơn vị cung ứng" in chat.text
    [demand] = await demands_in(app)
    assert len(demand.interested_technology_ids) == 1
    await chat.press("Xem thêm")
    assert "Các công nghệ tiếp theo" in chat.text and "6." in chat.text
    assert chat.text.split("\n")[1] not in first_page


async def test_forged_or_stale_technology_buttons(chat: Chat) -> None:
    for payload in ("tm:like:999:1", "tm:like:x:y", "tm:more", "tm:zap:1:2", "tm:exp:1:99999"):
        await chat.send("", kind=ContentKind.BUTTON, payload=payload)
        assert "không tìm thấy nhu cầu" in chat.text
        assert chat.has_button("Tìm công nghệ")


async def test_other_users_demand_cannot_be_touched(app: App) -> None:
    owner, other = Chat(app, "owner"), Chat(app, "intruder")
    await owner.send(ACCEPTANCE)
    await finish_contact(owner)
    await owner.press("Xác nhận")
    like = next(b for b in owner.buttons if b.payload.startswith("tm:like"))
    await other.send("", kind=ContentKind.BUTTON, payload=like.payload)
    assert "không tìm thấy nhu cầu" in other.text
    [demand] = await demands_in(app)
    assert demand.interested_technology_ids == []


async def test_user_row_keeps_contact_for_later(chat: Chat, app: App) -> None:
    await chat.send(ACCEPTANCE)
    await finish_contact(chat)
    await chat.press("Xác nhận")
    async with app.services.db.session() as s:
        user = (await s.execute(select(User).where(User.external_id == "u1"))).scalar_one()
    assert (user.phone, user.organisation, user.province) == (
        "0912345678", "Công ty TNHH Minh Phát", "bac_ninh")
    assert user.consent_at is not None
