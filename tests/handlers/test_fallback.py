"""Messages the bot did not understand (handlers/fallback.py): the two-stage fallback, the guess
confirmed or refused, out-of-scope questions."""

from __future__ import annotations

from nlu.api import EmbeddedBackend
from tests.handlers.chat import Bot, Chat


async def test_two_stage_fallback_then_handoff(chat: Chat) -> None:
    await chat.send("asdkj qwe zzz")
    first = chat.text
    assert "có phải anh/chị muốn" in first.lower() or "diễn đạt lại" in first
    await chat.send("qwe rty uio")
    await chat.send("zxc vbn mmm")
    assert "gặp cán bộ" in chat.text.lower() and chat.has_button("Gặp cán bộ")


async def test_fallback_guess_confirmed_runs_that_intent(chat: Chat) -> None:
    chat.replies = []
    await chat.press_payload("fb:no")  # nothing parked: asks to rephrase
    assert "diễn đạt lại" in chat.text


async def test_out_of_scope_says_what_the_bot_does(chat: Chat) -> None:
    await chat.send("thời tiết hôm nay thế nào")
    assert "ngoài phạm vi" in chat.text and chat.has_button("Tìm công nghệ")


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


async def test_two_stage_fallback_confirms_the_guess(bot: Bot, nlu: EmbeddedBackend) -> None:
    bot.app.services.nlu = GuessingNlu(nlu)
    chat = bot.chat()
    await chat.send("cho mình hỏi về vụ kinh phí")
    assert "có phải anh/chị muốn “hỗ trợ kinh phí” hay “tìm công nghệ”" in chat.text
    assert chat.has_button("Hỗ trợ kinh phí") and chat.has_button("Không phải")
    await chat.press("Hỗ trợ kinh phí")
    assert "chưa hiểu" not in chat.text and "có phải" not in chat.text.lower()
    await chat.send("cho mình hỏi về vụ kinh phí")
    await chat.press("Không phải")
    assert "diễn đạt lại" in chat.text
