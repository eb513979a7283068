"""A consultation request after a funding or IP answer: a short form saved as a Demand
(type `ask_funding` or `ip_support`), assigned to the connection point of the user's province."""

from __future__ import annotations

from typing import Any

from handlers import parsers
from handlers.base import Context, Router
from handlers.forms import Form, Slot
from handlers.knowledge.base import Topic, topic_by_id
from handlers.knowledge.funding import FUNDING_TOPICS
from handlers.knowledge.ip import IP_TOPICS
from handlers.office_hours import HOURS_TEXT
from handlers.pipeline_text import staff_alert
from handlers.ui import intent_button
from storage.models import Demand
from storage.repos import demands as demands_repo

router = Router("consult")

AREAS: dict[str, tuple[str, tuple[Topic, ...]]] = {
    "fund": ("ask_funding", FUNDING_TOPICS),
    "ip": ("ip_support", IP_TOPICS),
}
CONSENT_TEXT = ("Anh/chị có đồng ý để Trung tâm lưu thông tin và liên hệ tư vấn không ạ? "
                "(Đồng ý để Trung tâm liên hệ và chia sẻ nhu cầu với đơn vị cung ứng)")


def topic_of(values: dict[str, Any]) -> Topic | None:
    area = AREAS.get(values.get("area", ""))
    return topic_by_id(values.get("topic", ""), area[1]) if area else None


async def _prefill_contact(ctx: Context, values: dict[str, Any]) -> dict[str, str] | None:
    user = await ctx.user()
    found = {k: v for k, v in (("phone", user.phone), ("email", user.email)) if v}
    return found or None


async def _prefill_org(ctx: Context, values: dict[str, Any]) -> str | None:
    return (await ctx.user()).organisation


async def _prefill_province(ctx: Context, values: dict[str, Any]) -> dict[str, str] | None:
    province = (await ctx.user()).province
    return {"id": province, "mentioned": ""} if province else None


async def _prefill_consent(ctx: Context, values: dict[str, Any]) -> bool | None:
    return True if (await ctx.user()).consent_at else None


def _question_prompt(values: dict[str, Any]) -> str:
    topic = topic_of(values)
    about = f" về “{topic.title}”" if topic else ""
    return f"Anh/chị mô tả ngắn điều cần tư vấn{about} giúp em ạ (sản phẩm, tình trạng hiện tại...)."


async def _save(ctx: Context, values: dict[str, Any]) -> None:
    area = AREAS.get(values.get("area", ""), AREAS["fund"])
    topic = topic_of(values)
    contact = values.get("contact") or {}
    province = (values.get("province") or {}).get("id")
    user = await ctx.user()
    details = {"topic": values.get("topic"), "topic_title": topic.title if topic else "",
               "need": values.get("question") or "", "organisation": values.get("organisation"),
               **contact}
    draft = Demand(type=area[0], raw_text=values.get("question") or "", details=details,
                   province=province)
    demand, _ = await demands_repo.submit(ctx.db, user, draft, {
        "phone": contact.get("phone"), "email": contact.get("email"),
        "organisation": values.get("organisation"), "province": province,
        "consent": user.consent_at is None}, alert=staff_alert)
    ctx.forget_user()
    ctx.state.clear_form()
    about = f" về “{topic.title}”" if topic else ""
    ctx.say(f"Em đã gửi yêu cầu tư vấn số {demand.id}{about} tới Trung tâm. Cán bộ sẽ liên hệ anh/chị "
            f"qua {parsers.show_contact(contact)} trong giờ làm việc ({HOURS_TEXT}) ạ.",
            [intent_button("demand_status"), intent_button("find_technology")])


CONSULT_FORM = router.form(Form(
    name="consultation",
    title="yêu cầu tư vấn",
    summary_title="Anh/chị kiểm tra lại yêu cầu tư vấn giúp em:",
    related_intents=frozenset({"ask_funding", "ip_support"}),
    on_done=_save,
    slots=(
        Slot("question", "Nội dung cần tư vấn", _question_prompt, parsers.short_text, recap=False),
        Slot("organisation", "Đơn vị", "Anh/chị cho em xin tên doanh nghiệp/đơn vị ạ.",
             parsers.organisation, prefill=_prefill_org),
        Slot("province", "Tỉnh/thành phố", "Doanh nghiệp của anh/chị ở tỉnh/thành phố nào ạ?",
             parsers.province, entity="province", show=parsers.show_province, echo=True,
             from_entity=lambda e: {"id": e.get("id"), "mentioned": e.get("mentioned", "")}
             if e.get("id") else None, prefill=_prefill_province),
        Slot("contact", "Liên hệ", "Anh/chị cho em xin số điện thoại hoặc email để cán bộ liên hệ ạ.",
             parsers.contact, show=parsers.show_contact, prefill=_prefill_contact,
             request_contact=True),
        Slot("consent", "Đồng ý liên hệ", CONSENT_TEXT, parsers.consent,
             choices=(("Đồng ý", True),), show=lambda v: "Đồng ý" if v else "Chưa đồng ý",
             prefill=_prefill_consent, switchable=False),
    ),
))


async def start_consultation(ctx: Context, area: str, topic_id: str) -> None:
    question = ctx.state.data.pop("kn_question", None)
    values: dict[str, Any] = {"area": area, "topic": topic_id}
    if question:
        values["question"] = question
    await ctx.start_form(CONSULT_FORM.name, values)


@router.button("consult")
async def on_consult(ctx: Context) -> None:
    area, topic_id = (ctx.args + ["", ""])[:2]
    await start_consultation(ctx, area if area in AREAS else "fund", topic_id)
