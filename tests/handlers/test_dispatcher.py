"""The dispatcher alone (handlers/dispatch.py), on the memory state store with a stub NLU: which
handler a message reaches, and what the user hears when nothing fits."""

from __future__ import annotations

import pytest

from bot.types import ContentKind
from handlers.base import Context, Router
from handlers.dispatch import Dispatcher
from handlers.forms import Form, Slot
from tests.handlers.chat import Chat, StubNlu, memory_app

NOT_UNDERSTOOD = "Dạ, em chưa hiểu câu này ạ (fallback)."


def demo_router() -> Router:
    router = Router("demo")

    @router.intent("greet")
    async def greet(ctx: Context) -> None:
        ctx.say("Dạ, em chào anh/chị!", [("Nhận tin", "news:ask"), ("Xem mục A", "demo:a")])

    @router.intent("nlu_fallback")
    async def fallback(ctx: Context) -> None:
        ctx.say(NOT_UNDERSTOOD)

    @router.intent("subscribe")
    async def ask_news(ctx: Context) -> None:
        ctx.ask_yes_no("Anh/chị có muốn nhận tin mới không ạ?", ("Có, nhận tin", "news:yes"),
                       ("Không cần", "news:no"))

    @router.intent("unsubscribe")
    async def stop_news(ctx: Context) -> None:
        ctx.say("Dạ, em đã dừng gửi tin.")

    @router.button("news")
    async def news(ctx: Context) -> None:
        if ctx.args == ["ask"]:
            return await ctx.run_intent("subscribe")
        ctx.say(f"Dạ, anh/chị chọn: {ctx.args[0] if ctx.args else '(trống)'}.")

    @router.button("demo")
    async def demo(ctx: Context) -> None:
        ctx.say(f"demo {':'.join(ctx.args)}".strip())

    @router.button("demo:deep")
    async def deep(ctx: Context) -> None:
        ctx.say(f"deep {':'.join(ctx.args)}")

    @router.command("ping")
    async def ping(ctx: Context) -> None:
        ctx.say(f"pong {' '.join(ctx.args)}".strip())

    @router.command("start")
    async def start(ctx: Context) -> None:
        ctx.say("Dạ, em chào anh/chị.")

    async def noted(ctx: Context, values: dict[str, object]) -> None:
        ctx.say(f"Đã ghi: {values['note']}")

    router.form(Form(name="note", title="ghi chú", intent="find_technology", on_done=noted,
                     confirm=False,
                     slots=(Slot("note", "Ghi chú", "Anh/chị muốn ghi chú gì ạ?"),)))

    @router.intent("find_technology")
    async def start_note(ctx: Context) -> None:
        await ctx.start_form("note")

    return router


NLU = {
    "xin chào": ("greet", 0.97),
    "chào hơi mơ hồ": ("greet", 0.25),  # below the fallback threshold
    "cho tôi nhận tin": ("subscribe", 0.95),
    "vâng ạ đồng ý": ("affirm", 0.9),
    "ừm chắc là được": ("affirm", 0.4),  # too unsure to answer a yes/no question
    "thôi đừng gửi tin nữa": ("unsubscribe", 0.95),
    "ghi chú giúp tôi": ("find_technology", 0.95),
}


@pytest.fixture
def nlu() -> StubNlu:
    return StubNlu(NLU)


@pytest.fixture
def chat(nlu: StubNlu) -> Chat:
    return Chat(memory_app(demo_router(), nlu=nlu))


async def test_intent_reaches_its_handler_and_unknown_text_the_fallback(
    chat: Chat, nlu: StubNlu
) -> None:
    await chat.send("xin chào")
    assert chat.text == "Dạ, em chào anh/chị!"
    await chat.send("asdf qwer")
    assert chat.text == NOT_UNDERSTOOD
    await chat.send("chào hơi mơ hồ")  # a known intent, but too unsure
    assert chat.text == NOT_UNDERSTOOD
    assert nlu.seen == ["xin chào", "asdf qwer", "chào hơi mơ hồ"]


async def test_button_payloads_reach_the_longest_prefix_with_args(chat: Chat) -> None:
    await chat.press_payload("demo:a:b")
    assert chat.text == "demo a:b"
    await chat.press_payload("demo:deep:7")
    assert chat.text == "deep 7"
    await chat.press_payload("demo")
    assert chat.text == "demo"


@pytest.mark.parametrize("payload", ["zzz:1", "demox:1", "", "menu:no_such_intent", "x" * 300])
async def test_unknown_or_forged_payloads_get_a_polite_answer_and_the_menu(
    chat: Chat, payload: str
) -> None:
    await chat.press_payload(payload)
    assert chat.text.startswith("Dạ, nút này không còn hiệu lực (có thể tin nhắn đã cũ) ạ.")
    assert "menu:find_technology" in chat.payloads
    assert not payload or payload[:40] not in chat.text  # a forged payload is not echoed


async def test_menu_payload_runs_the_intent_with_empty_text(chat: Chat) -> None:
    await chat.press_payload("menu:greet")
    assert chat.text == "Dạ, em chào anh/chị!"


async def test_menu_payload_for_another_intent_stops_the_open_form(chat: Chat) -> None:
    await chat.send("ghi chú giúp tôi")
    assert "muốn ghi chú gì" in chat.text
    await chat.press_payload("menu:greet")
    assert chat.text == "Dạ, em đã dừng ghi chú đang khai dở.\n\nDạ, em chào anh/chị!"
    await chat.send("mua thêm máy sấy")  # not an answer any more
    assert chat.text == NOT_UNDERSTOOD


async def test_a_typed_label_presses_a_button_of_the_last_reply_only(chat: Chat) -> None:
    await chat.send("xin chào")
    await chat.send("xem muc a")  # without diacritics, lower case
    assert chat.text == "demo a"
    await chat.send("Xem mục A")  # the buttons of two replies ago no longer count
    assert chat.text == NOT_UNDERSTOOD


async def test_yes_no_question_by_button_typed_word_or_nlu(chat: Chat) -> None:
    await chat.send("cho tôi nhận tin")
    assert chat.labels == ["Có, nhận tin", "Không cần"]
    await chat.send("ko")
    assert chat.text == "Dạ, anh/chị chọn: no."
    await chat.send("xin chào")
    await chat.press("Nhận tin")  # a button that asks the question again
    assert chat.labels == ["Có, nhận tin", "Không cần"]
    await chat.send("vâng ạ đồng ý")  # affirm from the NLU
    assert chat.text == "Dạ, anh/chị chọn: yes."
    await chat.send("cho tôi nhận tin")
    await chat.send("ừm chắc là được")  # not sure: the question is not answered
    assert chat.text == NOT_UNDERSTOOD
    await chat.send("có")  # the question only answers the very next message
    assert chat.text == NOT_UNDERSTOOD


async def test_commands_get_their_args_and_unknown_ones_list_the_known(chat: Chat) -> None:
    await chat.send("/ping a  b")
    assert chat.text == "pong a b"
    await chat.send("/PING@ketnoi_bot")
    assert chat.text == "pong"
    await chat.send("/nope")
    assert "em chưa biết lệnh “/nope”" in chat.text and "/ping /start" in chat.text
    assert "menu:find_technology" in chat.payloads


@pytest.mark.parametrize(("text", "kind", "reply"), [
    ("", ContentKind.TEXT, "Dạ, em chưa nhận được nội dung tin nhắn ạ."),
    ("   ", ContentKind.TEXT, "Dạ, em chưa nhận được nội dung tin nhắn ạ."),
    ("👍🙏", ContentKind.TEXT, "Dạ, em chưa hiểu ý anh/chị ạ."),
    ("", ContentKind.STICKER, "Dạ, hiện em chỉ đọc được tin nhắn dạng chữ ạ."),
])
async def test_unreadable_messages_never_reach_the_nlu(
    chat: Chat, nlu: StubNlu, text: str, kind: ContentKind, reply: str
) -> None:
    await chat.send(text, kind)
    assert chat.text.startswith(reply) and "menu:find_technology" in chat.payloads
    assert nlu.seen == []


async def test_unreadable_message_inside_a_form_repeats_the_question(chat: Chat) -> None:
    await chat.send("ghi chú giúp tôi")
    await chat.send("", ContentKind.STICKER)
    assert chat.text.startswith("Dạ, hiện em chỉ đọc được tin nhắn dạng chữ ạ.")
    assert "muốn ghi chú gì" in chat.text
    await chat.send("mua thêm máy sấy")
    assert chat.text == "Đã ghi: mua thêm máy sấy"


async def test_stopping_news_mid_form_runs_at_once_and_keeps_the_form(chat: Chat) -> None:
    await chat.send("ghi chú giúp tôi")
    await chat.send("thôi đừng gửi tin nữa")
    assert chat.text == "Dạ, em đã dừng gửi tin."
    await chat.send("mua thêm máy sấy")
    assert chat.text == "Đã ghi: mua thêm máy sấy"


def test_a_key_registered_twice_is_refused() -> None:
    first, second = Router("first"), Router("second")

    async def handler(ctx: Context) -> None:
        return None

    first.intent("greet")(handler)
    second.intent("greet")(lambda ctx: handler(ctx))
    with pytest.raises(ValueError, match="intent 'greet' registered twice"):
        Dispatcher([first, second])
