"""The form engine in the real dialogues (the technology demand): cancel, back, edit, skip, small
talk, and the question asked when another demand starts mid-form."""

from __future__ import annotations

from tests.handlers.chat import ACCEPTANCE, Bot, Chat, finish_contact


async def test_other_demand_mid_form_asks_to_switch_and_can_continue(chat: Chat) -> None:
    await chat.send(ACCEPTANCE)
    await chat.send("có sự kiện nào ở Hà Nội sắp tới không")
    assert "đang khai dở nhu cầu tìm công nghệ" in chat.text
    assert chat.has_button("Chuyển sang") and chat.has_button("Tiếp tục khai")
    await chat.press("Tiếp tục khai")
    assert "tiếp tục" in chat.text and "tên doanh nghiệp" in chat.text
    await chat.send("Công ty Minh Phát")
    assert "số điện thoại hoặc email" in chat.text


async def test_switch_accepted_runs_the_new_intent_and_drops_the_form(chat: Chat) -> None:
    await chat.send(ACCEPTANCE)
    await chat.send("có sự kiện nào ở Hà Nội sắp tới không")
    await chat.send("có")  # typed yes answers the pending question
    assert "đang khai dở" not in chat.text
    assert "sự kiện" in chat.text.lower()
    await chat.send("0912345678")
    assert "Đồng ý để Trung tâm" not in chat.text  # the old form is gone


async def test_related_intent_does_not_trigger_a_switch(chat: Chat) -> None:
    await chat.send("tôi muốn tìm chuyên gia")
    assert "chuyên gia tư vấn về vấn đề gì" in chat.text
    await chat.send("cần công nghệ sấy vải thiều")  # find_technology wording, same family
    assert "đang khai dở" not in chat.text


async def test_yes_no_pending_question_accepts_typed_answers(chat: Chat) -> None:
    await chat.send(ACCEPTANCE)
    await chat.send("có sự kiện nào ở Hà Nội sắp tới không")
    await chat.send("không")  # "Tiếp tục khai"
    assert "tên doanh nghiệp" in chat.text


async def test_small_talk_inside_a_form_does_not_fill_a_slot(chat: Chat) -> None:
    await chat.send(ACCEPTANCE)
    await chat.send("cảm ơn nhé")
    assert "không có gì" in chat.text and "tên doanh nghiệp" in chat.text
    await chat.send("Công ty Minh Phát")
    assert "số điện thoại hoặc email" in chat.text


async def test_required_slot_cannot_be_skipped_and_place_answers_fill_the_place(
    chat: Chat, bot: Bot
) -> None:
    await chat.send("tôi cần tìm công nghệ")
    await chat.send("giải pháp cho nhà xưởng của công ty")
    assert "thuộc lĩnh vực nào" in chat.text
    await chat.send("bỏ qua")
    assert "cần thiết nên em chưa bỏ qua được" in chat.text
    await chat.press("Năng lượng")
    assert "Sản phẩm hoặc nguyên liệu" in chat.text
    await chat.send("ở bac giang")  # answers a question not yet asked
    assert "Bắc Giang (nay thuộc tỉnh Bắc Ninh)" in chat.text
    assert "Sản phẩm hoặc nguyên liệu" in chat.text  # the product is still asked
    await chat.send("vai thieu")
    assert "Kinh phí dự kiến khoảng" in chat.text
    await chat.send("khoảng 1,5 tỷ")
    await finish_contact(chat)
    assert "Sản phẩm: vải thiều" in chat.text and "Kinh phí dự kiến: 1,5 tỷ đồng" in chat.text
    await chat.press("Xác nhận")
    [demand] = await bot.demands()
    assert (demand.sector, demand.product, demand.province, demand.budget) == (
        "energy", "vải thiều", "bac_ninh", 1_500_000_000)


async def test_out_of_scope_question_is_not_an_organisation_name(chat: Chat) -> None:
    await chat.send(ACCEPTANCE)
    await chat.send("thời tiết hôm nay thế nào")
    assert "tên doanh nghiệp" in chat.text
    assert "ngoài phạm vi" in chat.text or "đang khai dở" in chat.text


async def test_cancel_mid_form_saves_nothing(chat: Chat, bot: Bot) -> None:
    await chat.send(ACCEPTANCE)
    await chat.send("Công ty Minh Phát")
    await chat.send("hủy")
    assert "đã hủy nhu cầu tìm công nghệ" in chat.text
    assert chat.has_button("Tìm công nghệ")
    assert await bot.demands() == []
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


async def test_edit_a_field_from_the_summary(chat: Chat, bot: Bot) -> None:
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
    [demand] = await bot.demands()
    assert demand.province == "hai_phong" and demand.product == "vải thiều"
