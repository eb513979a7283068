"""`ip_support`: registering trademarks, collective and certification marks, geographical
indications, patents/utility solutions and industrial designs; then a consultation or a handoff."""

from __future__ import annotations

import re

from handlers.base import Context, Router
from handlers.knowledge.answers import answer, remember_question, topic_buttons
from handlers.knowledge.base import match_topic, topic_by_id
from handlers.knowledge.funding import IP_DEVELOPMENT
from handlers.knowledge.ip import IP_OVERVIEW, IP_TOPICS
from nlu.normalize import plain

router = Router("ip")

_ASKS_MONEY = re.compile(r"\b(ho tro|kinh phi|chi phi|tai tro|mien phi|phi|le phi|tien)\b")
SUPPORT_NOTE = (
    "Về hỗ trợ kinh phí: " + IP_DEVELOPMENT.title + " và chương trình sở hữu trí tuệ của nhiều tỉnh "
    "có hỗ trợ đăng ký bảo hộ, nhất là cho đặc sản địa phương; anh/chị hỏi Sở KH&CN tỉnh hoặc "
    "chọn “Đăng ký tư vấn” để Trung tâm kiểm tra giúp."
)


@router.intent("ip_support")
async def ip_support(ctx: Context) -> None:
    remember_question(ctx)
    topic = match_topic(ctx.text, IP_TOPICS)
    if topic is None:
        ctx.say(IP_OVERVIEW, topic_buttons("ip", IP_TOPICS))
        return
    extra = SUPPORT_NOTE if _ASKS_MONEY.search(plain(ctx.text)) else ""
    answer(ctx, "ip", topic, "Loại đăng ký khác", extra)


@router.button("ip")
async def on_button(ctx: Context) -> None:
    action, topic_id = (ctx.args + ["", ""])[:2]
    topic = topic_by_id(topic_id, IP_TOPICS) if action == "t" else None
    if topic is None:
        ctx.say(IP_OVERVIEW, topic_buttons("ip", IP_TOPICS))
        return
    answer(ctx, "ip", topic, "Loại đăng ký khác")

