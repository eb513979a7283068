"""`human_handoff`: the user asks for a person. Recorded on their open demand (or as its own
demand), with an honest answer about when staff reply (Monday-Friday, 8:00-17:00, Vietnam time)."""

from __future__ import annotations

from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from handlers import parsers
from handlers.base import Context, Router
from handlers.forms import Form, Slot
from handlers.office_hours import HOURS_TEXT, in_working_hours, local_tz, next_opening, say_when
from handlers.ui import intent_button
from storage.models import Demand
from storage.repos import handoffs

router = Router("handoff")

async def _record(ctx: Context) -> tuple[Demand, bool]:
    """Attach the request to the user's open demand, else create a handoff demand.
    Returns (demand, attached_to_existing)."""
    user = await ctx.user()
    return await handoffs.request(ctx.db, user, at=ctx.now(), note=ctx.text,
                                  channel=ctx.incoming.channel)


def reply_text(demand: Demand, attached: bool, now: datetime, tz: ZoneInfo) -> str:
    what = (f"Em đã ghi yêu cầu gặp cán bộ vào yêu cầu số {demand.id} của anh/chị."
            if attached else f"Em đã chuyển yêu cầu của anh/chị tới cán bộ Trung tâm (số {demand.id}).")
    if in_working_hours(now, tz):
        when = ("Bây giờ đang trong giờ làm việc, cán bộ sẽ liên hệ lại anh/chị trong thời gian "
                "sớm nhất ạ.")
    else:
        opening = say_when(next_opening(now, tz), now, tz)
        when = (f"Hiện đang ngoài giờ làm việc ({HOURS_TEXT}), cán bộ sẽ trả lời anh/chị từ "
                f"{opening} ạ.")
    return f"{what} {when}"


async def _save_contact(ctx: Context, values: dict[str, Any]) -> None:
    contact = values.get("contact") or {}
    if not contact:  # skipped
        ctx.state.clear_form()
        ctx.say("Dạ vâng. Khi cần, anh/chị cứ nhắn số điện thoại hoặc email để cán bộ gọi lại ạ.",
                [intent_button("demand_status"), intent_button("find_technology")])
        return
    user = await ctx.user()
    await handoffs.leave_contact(ctx.db, user.id, int(values.get("demand") or 0), contact)
    ctx.forget_user()
    ctx.state.clear_form()
    ctx.say(f"Dạ, em đã ghi lại {parsers.show_contact(contact)}, cán bộ sẽ liên hệ anh/chị ạ.",
            [intent_button("demand_status"), intent_button("find_technology")])


CONTACT_FORM = router.form(Form(
    name="handoff_contact",
    title="việc để lại liên hệ",
    intent="human_handoff",
    confirm=False,
    on_done=_save_contact,
    slots=(Slot("contact", "Liên hệ", "Để cán bộ gọi lại nhanh hơn, anh/chị cho em xin số điện "
                "thoại hoặc email ạ.", parsers.contact, show=parsers.show_contact,
                required=False, request_contact=True),),
))


@router.intent("human_handoff")
async def handoff(ctx: Context) -> None:
    demand, attached = await _record(ctx)
    text = reply_text(demand, attached, ctx.now(), local_tz(ctx))
    user = await ctx.user()
    if user.phone or user.email:
        ctx.say(text, [intent_button("demand_status"), intent_button("find_technology")])
        return
    ctx.say(text)
    await ctx.start_form(CONTACT_FORM.name, {"demand": demand.id})
