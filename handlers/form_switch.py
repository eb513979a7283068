"""Mid-form: a message that clearly starts another demand asks whether to switch to it."""

from __future__ import annotations

from typing import TYPE_CHECKING

from handlers.base import Context
from handlers.ui import DOMAIN_INTENTS, INTENT_LABELS

if TYPE_CHECKING:
    from handlers.forms import Form

SWITCH_CONFIDENCE = 0.8  # how sure the NLU must be before we offer to switch demands


def wants_switch(ctx: Context, form: Form) -> bool:
    intent = ctx.intent
    return (
        intent in DOMAIN_INTENTS
        and intent != form.intent
        and intent not in form.related_intents
        and ctx.confidence >= SWITCH_CONFIDENCE
    )


def offer_switch(ctx: Context, form: Form) -> None:
    """Park the message and ask; the form engine's "sw:yes"/"sw:no" handler acts on the answer."""
    intent = ctx.intent or ""
    ctx.state.parked = {"text": ctx.text, "intent": intent, "nlu": ctx.nlu}
    label = INTENT_LABELS.get(intent, intent).lower()
    ctx.ask_yes_no(
        f"Anh/chị đang khai dở {form.title}. Anh/chị có muốn dừng lại và chuyển sang "
        f"“{label}” không ạ?",
        (f"Chuyển sang {label}", "sw:yes"),
        ("Tiếp tục khai", "sw:no"),
    )
