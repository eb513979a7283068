"""`human_handoff`: the user asks for a person. Recorded on their open demand (or as its own
demand), with an honest answer about when staff reply (Monday-Friday, 8:00-17:00, Vietnam time)."""

from __future__ import annotations

from datetime import date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from handlers import parsers
from handlers.base import Context, Router
from handlers.forms import Form, Slot
from handlers.ui import intent_button
from storage.models import Demand
from storage.repos import handoffs

router = Router("handoff")

OPENS, CLOSES = time(8, 0), time(17, 0)
# Fixed-date public holidays (day, month). Lunar ones (Tết, Giỗ Tổ) move every year and are not
# known here; staff answer on the next working day anyway.
HOLIDAYS = frozenset({(1, 1), (30, 4), (1, 5), (2, 9)})
HOURS_TEXT = "thứ Hai đến thứ Sáu, 8:00-17:00"
WEEKDAYS = ("thứ Hai", "thứ Ba", "thứ Tư", "thứ Năm", "thứ Sáu", "thứ Bảy", "Chủ nhật")


def local_tz(ctx: Context | None = None) -> ZoneInfo:
    name = getattr(getattr(ctx, "services", None), "settings", None)
    return ZoneInfo(getattr(name, "timezone", None) or "Asia/Ho_Chi_Minh")


def is_working_day(day: date) -> bool:
    return day.weekday() < 5 and (day.day, day.month) not in HOLIDAYS


def in_working_hours(now: datetime, tz: ZoneInfo) -> bool:
    local = now.astimezone(tz)
    return is_working_day(local.date()) and OPENS <= local.time() < CLOSES


def next_opening(now: datetime, tz: ZoneInfo) -> datetime:
    """The next moment staff start work (8:00 on a weekday), in local time."""
    local = now.astimezone(tz)
    day = local.date()
    if is_working_day(day) and local.time() < OPENS:
        return datetime.combine(day, OPENS, tz)
    day += timedelta(days=1)
    while not is_working_day(day):
        day += timedelta(days=1)
    return datetime.combine(day, OPENS, tz)


def say_when(moment: datetime, now: datetime, tz: ZoneInfo) -> str:
    """'8:00 sáng mai (thứ Ba, 25/11)' or '8:00 thứ Hai, 24/11'."""
    local_now = now.astimezone(tz)
    when = f"{WEEKDAYS[moment.weekday()]}, {moment:%d/%m}"
    if moment.date() == local_now.date():
        return f"8:00 sáng nay ({when})"
    if moment.date() == local_now.date() + timedelta(days=1):
        return f"8:00 sáng mai ({when})"
    return f"8:00 {when}"


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
