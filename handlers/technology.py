"""find_technology and find_expert: collect the demand, save it, show what matches.

Buttons: `tm:like:<demand>:<technology>` ("Quan tâm"), `tm:more:<demand>:<offset>` ("Xem thêm"),
`tm:exp:<demand>:<expert>` (ask to be connected with an expert).
"""

from __future__ import annotations

import logging
from typing import Any

from handlers import demand_slots as ds
from handlers import parsers
from handlers.base import Context, Router
from handlers.contact import contact_fields
from handlers.forms import Form
from handlers.introduction_text import reach
from handlers.introduction_text import staff_alert as intro_alert
from handlers.matching import (
    TECH_PAGE,
    Matches,
    find_matches,
    say_events,
    say_experts,
    say_technologies,
    technology_details,
)
from handlers.pipeline_text import staff_alert
from handlers.ui import intent_button, main_menu
from storage.models import Demand
from storage.repos import demands, introductions

log = logging.getLogger(__name__)
router = Router("technology")
DEMAND_INTENTS = frozenset({"find_technology", "find_expert"})


def draft_demand(kind: str, values: dict[str, Any]) -> Demand:
    """The demand as an unsaved row (the catalog search needs only its fields)."""
    contact = values.get("contact") or {}
    province = values.get("province") or {}
    details = {
        "need": values.get("need"), "organisation": values.get("organisation"),
        "contact": contact, "phone": contact.get("phone"), "email": contact.get("email"),
        "province_mentioned": province.get("mentioned"), "consent": bool(values.get("consent")),
    }
    return Demand(
        type=kind, raw_text=values.get("need") or "",
        details={k: v for k, v in details.items() if v not in (None, "", {})},
        sector=values.get("sector"), product=values.get("product"),
        province=province.get("id"), budget=values.get("budget"),
    )


async def save_demand(ctx: Context, draft: Demand, found: Matches,
                      values: dict[str, Any]) -> tuple[Demand, str]:
    """Store the demand with its connection point and matches, and remember the user's contact,
    in one transaction committed before any reply; returns it and the point's description."""
    user = await ctx.user()
    demand, point = await demands.submit(
        ctx.db, user, draft, contact_fields(values),
        technology_ids=[h.id for h in found.technologies], expert_ids=[h.id for h in found.experts],
        alert=staff_alert)
    ctx.forget_user()
    where = " Trung tâm"
    if point is not None:
        phone = (point.contact or {}).get("phone")
        where = f" {point.name}" + (f" (điện thoại {phone})" if phone else "")
    return demand, where


async def attach(ctx: Context, demand: Demand, found: Matches) -> None:
    await demands.attach_found(ctx.db, demand.id, [h.id for h in found.technologies],
                               [h.id for h in found.experts])


async def _done(ctx: Context, values: dict[str, Any], kind: str) -> None:
    draft = draft_demand(kind, values)
    try:
        found = await find_matches(ctx, draft)
    except Exception:  # the demand is still saved; staff can match it by hand
        log.exception("matching failed for a %s demand", kind)
        found = Matches()
    demand, point = await save_demand(ctx, draft, found, values)
    ctx.say(
        f"Dạ, em đã ghi nhận nhu cầu số {demand.id} của anh/chị. Cán bộ{point} sẽ "
        "liên hệ trong giờ hành chính. Dưới đây là gợi ý ban đầu từ cơ sở dữ liệu ạ."
    )
    more = len(found.technologies) >= TECH_PAGE
    if kind == "find_expert":
        say_experts(ctx, demand, found.experts)
        say_technologies(ctx, demand, found.technologies[:3], more=more)
        if not found.experts:
            ctx.say("Hiện chưa có chuyên gia khớp sát với nhu cầu; cán bộ Trung tâm sẽ tìm thêm ạ.")
    else:
        say_technologies(ctx, demand, found.technologies, more=more)
        say_experts(ctx, demand, found.experts)
    say_events(ctx, found.events)


async def _technology_done(ctx: Context, values: dict[str, Any]) -> None:
    await _done(ctx, values, "find_technology")


async def _expert_done(ctx: Context, values: dict[str, Any]) -> None:
    await _done(ctx, values, "find_expert")


_COMMON = (ds.SECTOR, ds.PRODUCT, ds.PROVINCE, ds.BUDGET, ds.ORGANISATION, ds.CONTACT, ds.CONSENT)
FIND_TECHNOLOGY = router.form(Form(
    name="find_technology", title="nhu cầu tìm công nghệ", intent="find_technology",
    related_intents=DEMAND_INTENTS, on_done=_technology_done,
    summary_title="Anh/chị kiểm tra lại nhu cầu tìm công nghệ giúp em:",
    slots=(ds.need_slot(
        "Anh/chị mô tả ngắn gọn công nghệ, thiết bị hoặc quy trình cần tìm giúp em ạ "
        "(ví dụ: “công nghệ sấy vải thiều quy mô 2 tấn/ngày”).", *DEMAND_INTENTS), *_COMMON),
))
FIND_EXPERT = router.form(Form(
    name="find_expert", title="nhu cầu tìm chuyên gia", intent="find_expert",
    related_intents=DEMAND_INTENTS, on_done=_expert_done,
    summary_title="Anh/chị kiểm tra lại nhu cầu tìm chuyên gia giúp em:",
    slots=(ds.need_slot(
        "Anh/chị cần chuyên gia tư vấn về vấn đề gì ạ (ví dụ: “xử lý nước thải trại lợn 500 con”)?",
        *DEMAND_INTENTS), *_COMMON),
))


@router.intent("find_technology")
async def find_technology(ctx: Context) -> None:
    await ctx.start_form("find_technology")


@router.intent("find_expert")
async def find_expert(ctx: Context) -> None:
    await ctx.start_form("find_expert")


def _ints(args: list[str]) -> list[int] | None:
    numbers = [parsers.whole_number(a) for a in args]
    return [n for n in numbers if n is not None] if args and None not in numbers else None


async def _stale(ctx: Context) -> None:
    ctx.say("Dạ, em không tìm thấy nhu cầu ứng với nút này (có thể tin nhắn đã cũ) ạ. "
            "Anh/chị có thể gửi lại nhu cầu hoặc chọn mục dưới đây.", main_menu())


@router.button("tm")
async def on_button(ctx: Context) -> None:
    action, numbers = (ctx.args or [""])[0], _ints(ctx.args[1:3])
    if numbers is None or len(numbers) != 2:
        return await _stale(ctx)
    handler = {"like": like, "more": more, "exp": expert}.get(action)
    if handler is None:
        return await _stale(ctx)
    await handler(ctx, *numbers)


async def like(ctx: Context, demand_id: int, tech_id: int) -> None:
    user = await ctx.user()
    tech = await demands.like_technology(ctx.db, user, demand_id, tech_id)
    if tech is None:
        return await _stale(ctx)
    ctx.say(
        f"Dạ, em đã ghi nhận anh/chị quan tâm công nghệ “{tech.title}”. Cán bộ Trung tâm sẽ liên "
        f"hệ để kết nối anh/chị với đơn vị cung ứng ạ.\n\n{technology_details(tech)}",
        [("Xem thêm công nghệ", f"tm:more:{demand_id}:{TECH_PAGE}"),
         intent_button("human_handoff")],
    )


async def more(ctx: Context, demand_id: int, offset: int) -> None:
    user = await ctx.user()
    demand = await demands.of_user(ctx.db, user, demand_id)
    if demand is None or offset > 50:
        return await _stale(ctx)
    found = await find_matches(ctx, demand, techs=offset + TECH_PAGE)
    page = found.technologies[offset : offset + TECH_PAGE]
    if not page:
        ctx.say("Dạ, em đã giới thiệu hết các công nghệ phù hợp hiện có ạ. Anh/chị có thể gặp cán "
                "bộ để được tìm thêm nguồn công nghệ.", [intent_button("human_handoff")])
        return
    await attach(ctx, demand, Matches(technologies=page))
    say_technologies(ctx, demand, page, offset, more=len(page) == TECH_PAGE)


async def expert(ctx: Context, demand_id: int, expert_id: int) -> None:
    """"Kết nối: <expert>": an introduction request for the staff of the user's point."""
    user = await ctx.user()
    asked = await introductions.request(ctx.db, user, demand_id, expert_id, alert=intro_alert)
    if asked is None:
        return await _stale(ctx)
    found, created = asked
    shared = found.contact_for_user  # only when the expert agreed to share it
    how = (f" Chuyên gia đã đồng ý chia sẻ liên hệ: {reach(shared)}." if shared else "")
    text = (f"Dạ, em đã ghi nhận anh/chị muốn kết nối với chuyên gia {found.expert_name} (yêu "
            f"cầu số {found.id}). Cán bộ Trung tâm sẽ liên hệ chuyên gia và báo lại anh/chị ạ."
            if created else
            f"Dạ, yêu cầu kết nối với chuyên gia {found.expert_name} (số {found.id}) đã được ghi "
            "nhận trước đó; cán bộ Trung tâm đang xử lý ạ.")
    ctx.say(text + how,
            [intent_button("human_handoff"), *main_menu()[:2]])
