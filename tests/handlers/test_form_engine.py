"""The form engine alone (handlers/forms.py), on the memory state store with a stub NLU: a small
form declared here, driven through the dispatcher as a channel would drive it."""

from __future__ import annotations

from typing import Any

import pytest

from handlers import parsers
from handlers.base import Context, Router
from handlers.forms import Form, Slot
from tests.handlers.chat import Chat, StubNlu, memory_app

NAME_Q = "họ tên người liên hệ"
SIZE_Q = "bao nhiêu người"
CITY_Q = "tỉnh/thành phố nào"
NOTE_Q = "ghi chú gì thêm"
SUMMARY = "kiểm tra lại thông tin"
NOT_UNDERSTOOD = "Dạ, em chưa hiểu ý anh/chị ạ."


def people(text: str) -> int:
    digits = "".join(ch for ch in text if ch.isdigit())
    if not digits or not 1 <= int(digits) <= 50:
        raise parsers.Invalid("Số người cần là một số từ 1 đến 50 ạ.")
    return int(digits)


def visit_router(saved: list[dict[str, Any]]) -> Router:
    """A "book a visit" form: name, size (with choices), city (from an entity), an optional note."""
    router = Router("visit")

    async def done(ctx: Context, values: dict[str, Any]) -> None:
        saved.append(values)
        ctx.say(f"Dạ, em đã ghi nhận đoàn của {values['name']}.")

    router.form(Form(
        name="visit", title="đăng ký tham quan", intent="book_visit", on_done=done,
        related_intents=frozenset({"find_expert"}),
        slots=(
            Slot("name", "Họ tên", "Anh/chị cho em xin họ tên người liên hệ ạ?",
                 parsers.short_text),
            Slot("size", "Số người", "Đoàn mình có bao nhiêu người ạ?", people,
                 choices=[("Dưới 10 người", 5), ("10-30 người", 20)], show=lambda v: f"{v} người"),
            Slot("city", "Thành phố", "Đoàn mình ở tỉnh/thành phố nào ạ?", parsers.short_text,
                 entity="city"),
            Slot("note", "Ghi chú", "Anh/chị có ghi chú gì thêm không ạ?", required=False),
        ),
    ))

    @router.intent("book_visit")
    async def book(ctx: Context) -> None:
        await ctx.start_form("visit")

    @router.intent("ask_events")
    async def events(ctx: Context) -> None:
        ctx.say(f"Dạ, đây là các sự kiện sắp tới (anh/chị hỏi: {ctx.text}).")

    @router.intent("nlu_fallback")
    async def fallback(ctx: Context) -> None:
        ctx.say(NOT_UNDERSTOOD)

    return router


NLU = {
    "đặt lịch tham quan": ("book_visit", 0.95),
    "đặt lịch tham quan cho đoàn ở Huế": ("book_visit", 0.95, {"city": "Huế"}),
    "có sự kiện nào sắp tới không": ("ask_events", 0.95),
    "sự kiện thì sao nhỉ": ("ask_events", 0.5),  # not sure enough to offer a switch
    "cần chuyên gia về sấy": ("find_expert", 0.95),
    "có": ("affirm", 0.99),
}


@pytest.fixture
def saved() -> list[dict[str, Any]]:
    return []


@pytest.fixture
def nlu() -> StubNlu:
    return StubNlu(NLU)


@pytest.fixture
def chat(saved: list[dict[str, Any]], nlu: StubNlu) -> Chat:
    return Chat(memory_app(visit_router(saved), nlu=nlu))


async def test_slots_are_asked_in_order_and_the_summary_lists_every_answer(
    chat: Chat, saved: list[dict[str, Any]]
) -> None:
    await chat.send("đặt lịch tham quan")
    assert NAME_Q in chat.text and "“quay lại”" in chat.text and chat.buttons == []
    await chat.send("Nguyễn Thị Lan")
    assert SIZE_Q in chat.text and chat.labels == ["Dưới 10 người", "10-30 người"]
    assert "quay lại" not in chat.text  # the hint comes with the first question only
    await chat.send("12 người")
    assert CITY_Q in chat.text
    await chat.send("Đà Nẵng")
    assert NOTE_Q in chat.text and chat.labels == ["Bỏ qua"]
    await chat.send("Đi buổi sáng")
    assert SUMMARY in chat.text and chat.labels == ["Xác nhận", "Sửa", "Hủy"]
    for line in ("• Họ tên: Nguyễn Thị Lan", "• Số người: 12 người", "• Thành phố: Đà Nẵng",
                 "• Ghi chú: Đi buổi sáng"):
        assert line in chat.text
    assert saved == []  # nothing is stored before "Xác nhận"
    await chat.press("Xác nhận")
    assert chat.text == "Dạ, em đã ghi nhận đoàn của Nguyễn Thị Lan."
    assert saved == [{"name": "Nguyễn Thị Lan", "size": 12, "city": "Đà Nẵng",
                      "note": "Đi buổi sáng"}]
    await chat.send("Nguyễn Thị Lan")  # the form is over: plain text goes to the NLU again
    assert chat.text == NOT_UNDERSTOOD


async def test_a_slot_filled_by_the_first_message_is_not_asked(
    chat: Chat, saved: list[dict[str, Any]]
) -> None:
    await chat.send("đặt lịch tham quan cho đoàn ở Huế")
    assert "Em đã ghi nhận:\n• Thành phố: Huế" in chat.text and NAME_Q in chat.text
    await chat.send("Lan")
    await chat.press("Dưới 10 người")
    assert NOTE_Q in chat.text and CITY_Q not in chat.text
    await chat.press("Bỏ qua")
    assert "• Ghi chú: (bỏ qua)" in chat.text
    await chat.send("xác nhận")  # a typed button label presses it
    assert saved == [{"name": "Lan", "size": 5, "city": "Huế"}]


async def test_an_invalid_answer_says_why_and_asks_again(chat: Chat) -> None:
    await chat.send("đặt lịch tham quan")
    await chat.send("Lan")
    await chat.send("đông lắm")
    assert chat.text.startswith("Số người cần là một số từ 1 đến 50 ạ.") and SIZE_Q in chat.text
    assert chat.labels == ["Dưới 10 người", "10-30 người"]
    await chat.send("80")
    assert "từ 1 đến 50" in chat.text
    await chat.send("8")
    assert CITY_Q in chat.text


@pytest.mark.parametrize("word", ["hủy", "thôi", "Huy bo", "thoi khong can nua", "STOP"])
async def test_cancel_words_drop_the_form(
    chat: Chat, saved: list[dict[str, Any]], word: str
) -> None:
    await chat.send("đặt lịch tham quan")
    await chat.send("Lan")
    await chat.send(word)
    assert "Dạ, em đã hủy đăng ký tham quan." in chat.text
    assert "menu:find_technology" in chat.payloads  # the main menu comes with it
    await chat.send("12")  # no longer an answer
    assert chat.text == NOT_UNDERSTOOD and saved == []


async def test_cancel_button_on_the_summary(chat: Chat, saved: list[dict[str, Any]]) -> None:
    await chat.send("đặt lịch tham quan cho đoàn ở Huế")
    await chat.send("Lan")
    await chat.send("5")
    await chat.send("bỏ qua")
    await chat.press("Hủy")
    assert "em đã hủy đăng ký tham quan" in chat.text and saved == []


async def test_skip_words_skip_only_optional_slots(chat: Chat) -> None:
    await chat.send("đặt lịch tham quan")
    await chat.send("bỏ qua")
    assert chat.text.startswith("Mục này cần thiết nên em chưa bỏ qua được ạ.")
    assert NAME_Q in chat.text
    await chat.send("Lan")
    await chat.send("5")
    await chat.send("Huế")
    await chat.send("chưa có")  # the optional note
    assert SUMMARY in chat.text and "• Ghi chú: (bỏ qua)" in chat.text


async def test_back_asks_the_previous_question_again_and_forgets_its_answer(
    chat: Chat, saved: list[dict[str, Any]]
) -> None:
    await chat.send("đặt lịch tham quan")
    await chat.send("quay lại")
    assert chat.text.startswith("Đây đã là câu hỏi đầu tiên ạ.") and NAME_Q in chat.text
    await chat.send("Lan")
    await chat.send("5")
    assert CITY_Q in chat.text
    await chat.send("quay lại")
    assert SIZE_Q in chat.text and chat.labels == ["Dưới 10 người", "10-30 người"]
    await chat.press("10-30 người")
    await chat.send("Huế")
    await chat.send("bỏ qua")
    await chat.send("quay lai")  # from the summary: the last question asked
    assert NOTE_Q in chat.text
    await chat.send("Đi buổi chiều")
    await chat.press("Xác nhận")
    assert saved == [{"name": "Lan", "size": 20, "city": "Huế", "note": "Đi buổi chiều"}]


async def test_edit_from_the_summary_asks_one_slot_then_shows_the_summary(
    chat: Chat, saved: list[dict[str, Any]]
) -> None:
    await chat.send("đặt lịch tham quan cho đoàn ở Huế")
    await chat.send("Lan")
    await chat.send("5")
    await chat.send("bỏ qua")
    await chat.press("Sửa")
    assert "sửa mục nào" in chat.text
    assert chat.labels == ["Họ tên", "Số người", "Thành phố", "Ghi chú", "Giữ nguyên"]
    await chat.send("thành phố")  # typing the label picks it
    assert CITY_Q in chat.text
    await chat.send("Cần Thơ")
    assert SUMMARY in chat.text and "• Thành phố: Cần Thơ" in chat.text
    await chat.send("sửa")
    await chat.press("Giữ nguyên")
    assert SUMMARY in chat.text
    await chat.press("Xác nhận")
    assert saved == [{"name": "Lan", "size": 5, "city": "Cần Thơ"}]


async def test_summary_understands_yes_no_and_repeats_the_choices_otherwise(
    chat: Chat, saved: list[dict[str, Any]]
) -> None:
    await chat.send("đặt lịch tham quan cho đoàn ở Huế")
    await chat.send("Lan")
    await chat.send("5")
    await chat.send("bỏ qua")
    await chat.send("để em xem đã")
    assert chat.text.startswith("Anh/chị chọn “Xác nhận”, “Sửa” hoặc “Hủy” giúp em ạ.")
    assert chat.labels == ["Xác nhận", "Sửa", "Hủy"]
    await chat.send("không")
    assert "sửa mục nào" in chat.text
    await chat.press("Giữ nguyên")
    await chat.send("có")
    assert saved == [{"name": "Lan", "size": 5, "city": "Huế"}]


async def test_choice_buttons_store_their_value_and_stale_or_forged_ones_do_not(
    chat: Chat, saved: list[dict[str, Any]]
) -> None:
    await chat.send("đặt lịch tham quan")
    await chat.press_payload("fc:size:0")  # a choice of a question not asked yet
    assert chat.text.startswith("Nút này thuộc câu hỏi trước rồi ạ.") and NAME_Q in chat.text
    await chat.send("Lan")
    await chat.press_payload("fc:size:99")  # no such choice
    assert SIZE_Q in chat.text and chat.labels == ["Dưới 10 người", "10-30 người"]
    await chat.press_payload("fc:size:x")
    assert "Nút này thuộc câu hỏi trước" in chat.text and SIZE_Q in chat.text
    await chat.press_payload("f:ok")  # "Xác nhận" before the summary: where we are
    assert SIZE_Q in chat.text
    await chat.press_payload("fc:size:1")
    assert CITY_Q in chat.text
    await chat.send("Huế")
    await chat.press_payload("f:skip")
    await chat.press_payload("f:edit:nope")  # forged slot name: the edit menu
    assert "sửa mục nào" in chat.text
    await chat.press_payload("f:sum")
    await chat.press_payload("f:ok")
    assert saved == [{"name": "Lan", "size": 20, "city": "Huế"}]
    await chat.press_payload("f:ok")  # pressed twice: the form is over, nothing stored again
    assert "đã kết thúc hoặc đã hủy" in chat.text and len(saved) == 1
    await chat.press_payload("fc:size:0")
    assert "đã kết thúc hoặc đã hủy" in chat.text and "menu:find_technology" in chat.payloads


async def test_another_demand_mid_form_asks_to_switch_and_can_go_on(
    chat: Chat, saved: list[dict[str, Any]]
) -> None:
    await chat.send("đặt lịch tham quan")
    await chat.send("Lan")
    await chat.send("có sự kiện nào sắp tới không")
    assert "Anh/chị đang khai dở đăng ký tham quan" in chat.text
    assert "“sự kiện sắp tới”" in chat.text
    assert chat.labels == ["Chuyển sang sự kiện sắp tới", "Tiếp tục khai"]
    assert chat.payloads == ["sw:yes", "sw:no"]
    await chat.press("Tiếp tục khai")
    assert chat.text.startswith("Dạ, mình tiếp tục nhé.") and SIZE_Q in chat.text
    await chat.send("5")
    assert CITY_Q in chat.text


async def test_switch_accepted_runs_the_parked_message_and_drops_the_form(chat: Chat) -> None:
    await chat.send("đặt lịch tham quan")
    await chat.send("có sự kiện nào sắp tới không")
    await chat.send("có")  # the typed yes answers the pending question
    assert chat.text == ("Dạ, đây là các sự kiện sắp tới "
                         "(anh/chị hỏi: có sự kiện nào sắp tới không).")
    await chat.send("Lan")  # the form is gone
    assert chat.text == NOT_UNDERSTOOD


async def test_no_switch_for_unsure_or_related_intents(chat: Chat) -> None:
    await chat.send("đặt lịch tham quan")
    await chat.send("sự kiện thì sao nhỉ")  # 0.5: taken as the answer
    assert SIZE_Q in chat.text and "đang khai dở" not in chat.text
    await chat.send("5")
    await chat.send("cần chuyên gia về sấy")  # a related intent: taken as the answer too
    assert NOTE_Q in chat.text and "đang khai dở" not in chat.text


async def test_the_form_survives_between_app_instances_on_one_store(
    saved: list[dict[str, Any]], nlu: StubNlu
) -> None:
    """States go through JSON in the memory store, as in a database: a new dispatcher on the same
    store continues the form."""
    first = memory_app(visit_router(saved), nlu=nlu)
    await Chat(first).send("đặt lịch tham quan")
    second = memory_app(visit_router(saved), nlu=nlu)
    second.services.states = first.services.states
    chat = Chat(second)
    await chat.send("Lan")
    assert SIZE_Q in chat.text
