"""Answering from the curated knowledge: a topic's text with the next steps (consultation, staff,
other topics), the topic buttons, and keeping the user's question for the consultation form."""

from __future__ import annotations

from bot.types import Button
from handlers.base import Context
from handlers.knowledge.base import Topic, render_topic
from handlers.ui import intent_button


def topic_buttons(prefix: str, topics: tuple[Topic, ...]) -> list[Button]:
    return [Button(t.button or t.title[:30], f"{prefix}:t:{t.id}") for t in topics]


def answer(ctx: Context, area: str, topic: Topic, others_label: str, extra: str = "",
           more: tuple[Button, ...] = ()) -> None:
    """The topic's answer with the next steps: consultation, staff, other topics."""
    ctx.say(render_topic(topic) + (f"\n\n{extra}" if extra else ""), [
        Button("Đăng ký tư vấn", f"consult:{area}:{topic.id}"),
        *more,
        intent_button("human_handoff"),
        Button(others_label, f"{area}:list"),
    ])


def remember_question(ctx: Context) -> None:
    """Keep the user's own words to pre-fill the consultation request."""
    if ctx.text and not ctx.text.startswith("/"):
        ctx.state.data["kn_question"] = ctx.text[:300]
