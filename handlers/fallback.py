"""Not understood / out of scope: Rasa's two-stage fallback.

1st miss: "Có phải anh/chị muốn …?" with the closest intents as buttons (`fb:<intent>`), plus
"Không phải" (`fb:no`). 2nd miss (or "Không phải"): ask to rephrase. 3rd: offer a staff member.
"""

from __future__ import annotations

from typing import Any

from bot.types import Button
from handlers.base import Context, Router
from handlers.ui import DOMAIN_INTENTS, INTENT_LABELS, intent_button, main_menu

router = Router("fallback")

MIN_GUESS = 0.1  # an intent below this in the ranking is not worth offering
CAPABILITIES = (
    "Em là trợ lý kết nối cung cầu công nghệ: em giúp tìm công nghệ, chuyên gia, sự kiện, khóa "
    "đào tạo, chương trình hỗ trợ kinh phí và sở hữu trí tuệ, hoặc kết nối anh/chị với cán bộ."
)


def closest_intents(nlu: dict[str, Any], limit: int = 3) -> list[str]:
    ranking = nlu.get("intent_ranking") or []
    found = [
        r["name"]
        for r in ranking
        if r.get("name") in DOMAIN_INTENTS and float(r.get("confidence") or 0) >= MIN_GUESS
    ]
    return found[:limit]


@router.intent("nlu_fallback")
async def not_understood(ctx: Context) -> None:
    st = ctx.state
    st.fallbacks += 1
    guesses = closest_intents(ctx.nlu)
    if st.fallbacks == 1 and guesses:
        st.parked = {"text": ctx.text, "nlu": ctx.nlu}
        labels = " hay ".join(f"“{INTENT_LABELS[g].lower()}”" for g in guesses)
        buttons = [Button(INTENT_LABELS[g], f"fb:{g}") for g in guesses]
        ctx.say(f"Dạ, có phải anh/chị muốn {labels} không ạ?", [*buttons, ("Không phải", "fb:no")])
    elif st.fallbacks <= 2:
        rephrase(ctx)
    else:
        offer_handoff(ctx)


def rephrase(ctx: Context) -> None:
    ctx.say(
        "Xin lỗi anh/chị, em chưa hiểu rõ ý ạ. Anh/chị diễn đạt lại giúp em, ví dụ: "
        "“cần công nghệ xử lý nước thải chăn nuôi”, “có sự kiện nào ở Hà Nội tháng này”, "
        "hoặc chọn một mục dưới đây.",
        main_menu(),
    )


def offer_handoff(ctx: Context) -> None:
    ctx.state.fallbacks = 0
    ctx.say(
        "Em xin lỗi vì chưa hỗ trợ được ạ. Anh/chị có muốn gặp cán bộ của Trung tâm không? "
        "Cán bộ sẽ trả lời trong giờ hành chính (thứ Hai đến thứ Sáu).",
        [intent_button("human_handoff"), *main_menu()[:4]],
    )


@router.intent("out_of_scope")
async def out_of_scope(ctx: Context) -> None:
    ctx.state.fallbacks += 1
    if ctx.state.fallbacks >= 3:
        return offer_handoff(ctx)
    guesses = closest_intents(ctx.nlu, 2)
    extra = [intent_button(g) for g in guesses]
    rest = [b for b in main_menu() if b not in extra]
    ctx.say(f"Dạ, câu hỏi này nằm ngoài phạm vi em hỗ trợ ạ. {CAPABILITIES}", [*extra, *rest])


@router.button("fb")
async def fallback_choice(ctx: Context) -> None:
    choice = ctx.args[0] if ctx.args else ""
    parked = ctx.state.parked or {}
    ctx.state.parked = None
    if choice == "no" or not ctx.handles_intent(choice) or choice not in DOMAIN_INTENTS:
        ctx.state.fallbacks = max(ctx.state.fallbacks, 1) + 1
        return offer_handoff(ctx) if ctx.state.fallbacks > 2 else rephrase(ctx)
    ctx.state.fallbacks = 0
    ctx.text, ctx.nlu = parked.get("text", ""), parked.get("nlu") or {}
    await ctx.run_intent(choice)
