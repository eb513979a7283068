"""`ask_funding`: short answers on national programmes and S&T funds, then a consultation
request (saved as a Demand) or a handoff."""

from __future__ import annotations

from bot.types import Button
from handlers.base import Context, Router
from handlers.knowledge.answers import answer, remember_question, topic_buttons
from handlers.knowledge.base import match_topic, topic_by_id
from handlers.knowledge.funding import FUNDING_OVERVIEW, FUNDING_TOPICS, IP_DEVELOPMENT
from handlers.knowledge.ip import IP_TOPICS

router = Router("funding")


@router.intent("ask_funding")
async def ask_funding(ctx: Context) -> None:
    remember_question(ctx)
    topic = match_topic(ctx.text, FUNDING_TOPICS)
    ip_topic = match_topic(ctx.text, IP_TOPICS)
    if topic is None and ip_topic is not None:
        # "Is registering a patent supported?": the IP programme, and a way to the procedure.
        answer(ctx, "fund", IP_DEVELOPMENT, "Chương trình khác",
               more=(Button(f"Thủ tục: {ip_topic.button}", f"ip:t:{ip_topic.id}"),))
        return
    if topic is None:
        ctx.say(FUNDING_OVERVIEW, topic_buttons("fund", FUNDING_TOPICS))
        return
    # A programme that names an IP right ("hỗ trợ đăng ký sáng chế"): its procedure one tap away.
    more = (Button(f"Thủ tục: {ip_topic.button}", f"ip:t:{ip_topic.id}"),) if ip_topic else ()
    answer(ctx, "fund", topic, "Chương trình khác", more=more)


@router.button("fund")
async def on_button(ctx: Context) -> None:
    action, topic_id = (ctx.args + ["", ""])[:2]
    topic = topic_by_id(topic_id, FUNDING_TOPICS) if action == "t" else None
    if topic is None:
        ctx.say(FUNDING_OVERVIEW, topic_buttons("fund", FUNDING_TOPICS))
        return
    answer(ctx, "fund", topic, "Chương trình khác")
