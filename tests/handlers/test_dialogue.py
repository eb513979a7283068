"""Dialogue management: switching demands, restarts, interleaved users, greetings, fallback."""

from __future__ import annotations

import asyncio

from sqlalchemy import select

from bot.app import App
from bot.types import ContentKind
from nlu.api import EmbeddedBackend
from storage.models import Demand, Technology
from tests.handlers.support import Chat, make_app
from tests.handlers.test_find_technology import ACCEPTANCE, demands_in, finish_contact


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


async def test_restart_mid_form_continues_with_a_new_app(db_url: str, nlu: EmbeddedBackend) -> None:
    first = await make_app(db_url, nlu)
    await Chat(first).send(ACCEPTANCE)
    await Chat(first).send("Công ty Minh Phát")
    await first.close()
    second = await make_app(db_url, nlu)
    try:
        chat = Chat(second)
        await chat.send("0912345678")
        assert "Đồng ý để Trung tâm" in chat.text or "đồng ý để Trung tâm" in chat.text
        await chat.press("Đồng ý")
        assert "Đơn vị: Công ty Minh Phát" in chat.text and "Bắc Giang" in chat.text
        await chat.press("Xác nhận")
        [demand] = await demands_in(second)
        assert demand.budget == 500_000_000
    finally:
        await second.close()


async def test_two_users_interleaved_keep_their_own_state(app: App) -> None:
    a, b = Chat(app, "alice"), Chat(app, "bob")
    await a.send(ACCEPTANCE)
    await b.send("minh o soc trang can cong nghe nuoi tom it thay nuoc")
    assert "Sóc Trăng (nay thuộc thành phố Cần Thơ)" in b.text
    await a.send("Công ty Minh Phát")
    while "tên doanh nghiệp" not in b.text:  # bob skips the optional questions
        await b.press("Bỏ qua")
    await b.send("HTX Tôm Sóc Trăng")
    await a.send("0912345678")
    await b.send("bob@htx.vn")
    await a.press("Đồng ý")
    await b.press("Đồng ý")
    assert "HTX Tôm Sóc Trăng" in b.text and "Minh Phát" not in b.text
    assert "Minh Phát" in a.text and "HTX Tôm" not in a.text
    await b.press("Xác nhận")
    await a.press("Xác nhận")
    by_org = {d.details["organisation"]: d for d in await demands_in(app)}
    assert by_org["Công ty Minh Phát"].province == "bac_ninh"
    assert by_org["HTX Tôm Sóc Trăng"].province == "can_tho"
    assert by_org["HTX Tôm Sóc Trăng"].details["email"] == "bob@htx.vn"


async def test_concurrent_messages_of_one_chat_are_handled_in_order(app: App) -> None:
    chat = Chat(app)
    await chat.send(ACCEPTANCE)
    lines = ["Công ty Minh Phát", "0912345678", "đồng ý"]
    results = await asyncio.gather(*(app.handle(chat_incoming(chat, t)) for t in lines))
    assert "số điện thoại hoặc email" in results[0][0].text
    assert "đồng ý để trung tâm" in results[1][0].text.lower()
    assert "kiểm tra lại" in results[2][0].text


def chat_incoming(chat: Chat, text: str):  # type: ignore[no-untyped-def]
    from bot.types import Incoming

    return Incoming(chat.channel, chat.user, chat.user, text=text)


async def test_find_expert_shows_experts_first(chat: Chat, app: App) -> None:
    await chat.send("cần chuyên gia tư vấn xử lý nước thải trại lợn ở Đồng Nai")
    while "tên doanh nghiệp" not in chat.text:
        await chat.press("Bỏ qua") if chat.has_button("Bỏ qua") else await chat.send("bỏ qua")
    await finish_contact(chat)
    await chat.press("Xác nhận")
    texts = [r.text for r in chat.replies]
    assert "Chuyên gia có thể tư vấn" in texts[1]
    [demand] = await demands_in(app)
    assert demand.type == "find_expert" and demand.matched_expert_ids
    await chat.press("Kết nối")
    assert "muốn kết nối với chuyên gia" in chat.text


async def test_offer_technology_creates_a_pending_technology(chat: Chat, app: App) -> None:
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
    async with app.services.db.session() as s:
        tech = (await s.execute(select(Technology).where(
            Technology.status == "pending_review"))).scalar_one()
    assert tech.title == "Máy sấy bơm nhiệt 500 kg/mẻ" and tech.stage == "commercial"
    assert tech.transfer_modes == ["sale"] and tech.provider_contact == {"email": "vien@vcd.vn"}
    assert await demands_in(app) == []  # an offer is not a demand


async def test_greet_help_thanks_goodbye(chat: Chat) -> None:
    await chat.send("xin chào")
    assert "em chào anh/chị" in chat.text and chat.has_button("Tìm công nghệ")
    await chat.send("/help")
    assert "/huy" in chat.text and chat.has_button("Tìm chuyên gia")
    await chat.send("cảm ơn nhiều nhé")
    assert "không có gì" in chat.text
    await chat.send("tạm biệt")
    assert "em chào anh/chị" in chat.text.lower() or "tạm biệt" in chat.text.lower()


async def test_start_and_menu_commands(chat: Chat) -> None:
    chat.name = "Lan"
    await chat.send("/start")
    assert "em chào anh/chị Lan" in chat.text and chat.has_button("Sự kiện sắp tới")
    await chat.send("/menu")
    assert chat.has_button("Chào bán công nghệ")
    await chat.send("/start khong_co_gi")  # unknown deep-link payload: plain greeting
    assert "em chào anh/chị" in chat.text


async def test_two_stage_fallback_then_handoff(chat: Chat) -> None:
    await chat.send("asdkj qwe zzz")
    first = chat.text
    assert "có phải anh/chị muốn" in first.lower() or "diễn đạt lại" in first
    await chat.send("qwe rty uio")
    await chat.send("zxc vbn mmm")
    assert "gặp cán bộ" in chat.text.lower() and chat.has_button("Gặp cán bộ")


async def test_fallback_guess_confirmed_runs_that_intent(chat: Chat) -> None:
    chat.replies = []
    await chat.send("", ContentKind.BUTTON, "fb:no")  # nothing parked: asks to rephrase
    assert "diễn đạt lại" in chat.text


async def test_out_of_scope_says_what_the_bot_does(chat: Chat) -> None:
    await chat.send("thời tiết hôm nay thế nào")
    assert "ngoài phạm vi" in chat.text and chat.has_button("Tìm công nghệ")


async def test_affirm_without_question_and_deny(chat: Chat) -> None:
    await chat.send("ok")
    assert chat.replies and chat.buttons
    await chat.send("không")
    assert chat.replies and chat.buttons


async def test_demand_rows_untouched_by_chit_chat(chat: Chat, app: App) -> None:
    for text in ("xin chào", "cảm ơn", "/menu", "ok"):
        await chat.send(text)
    async with app.services.db.session() as s:
        assert (await s.execute(select(Demand))).first() is None


async def test_small_talk_inside_a_form_does_not_fill_a_slot(chat: Chat) -> None:
    await chat.send(ACCEPTANCE)
    await chat.send("cảm ơn nhé")
    assert "không có gì" in chat.text and "tên doanh nghiệp" in chat.text
    await chat.send("Công ty Minh Phát")
    assert "số điện thoại hoặc email" in chat.text


async def test_start_deep_link_opens_the_event(chat: Chat) -> None:
    await chat.send("/start event_SK-002")
    assert "Techdemo công nghệ sấy và bảo quản trái cây" in chat.text
    assert chat.has_button("Đăng ký")


class GuessingNlu:
    """The real engine, except for one message the model is unsure about (as Rasa returns it)."""

    def __init__(self, inner: EmbeddedBackend) -> None:
        self.inner = inner

    async def parse(self, text: str) -> dict[str, object]:
        if text != "cho mình hỏi về vụ kinh phí":
            return await self.inner.parse(text)
        ranking = [{"name": "nlu_fallback", "confidence": 0.3},
                   {"name": "ask_funding", "confidence": 0.28},
                   {"name": "find_technology", "confidence": 0.2}]
        return {"text": text, "intent": ranking[0], "intent_ranking": ranking, "entities": []}


async def test_two_stage_fallback_confirms_the_guess(app: App, nlu: EmbeddedBackend) -> None:
    app.services.nlu = GuessingNlu(nlu)
    chat = Chat(app)
    await chat.send("cho mình hỏi về vụ kinh phí")
    assert "có phải anh/chị muốn “hỗ trợ kinh phí” hay “tìm công nghệ”" in chat.text
    assert chat.has_button("Hỗ trợ kinh phí") and chat.has_button("Không phải")
    await chat.press("Hỗ trợ kinh phí")
    assert "chưa hiểu" not in chat.text and "có phải" not in chat.text.lower()
    await chat.send("cho mình hỏi về vụ kinh phí")
    await chat.press("Không phải")
    assert "diễn đạt lại" in chat.text


async def test_yes_no_pending_question_accepts_typed_answers(chat: Chat) -> None:
    await chat.send(ACCEPTANCE)
    await chat.send("có sự kiện nào ở Hà Nội sắp tới không")
    await chat.send("không")  # "Tiếp tục khai"
    assert "tên doanh nghiệp" in chat.text


async def test_required_slot_cannot_be_skipped_and_place_answers_fill_the_place(
    chat: Chat, app: App
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
    [demand] = await demands_in(app)
    assert (demand.sector, demand.product, demand.province, demand.budget) == (
        "energy", "vải thiều", "bac_ninh", 1_500_000_000)


async def test_out_of_scope_question_is_not_an_organisation_name(chat: Chat) -> None:
    await chat.send(ACCEPTANCE)
    await chat.send("thời tiết hôm nay thế nào")
    assert "tên doanh nghiệp" in chat.text
    assert "ngoài phạm vi" in chat.text or "đang khai dở" in chat.text
