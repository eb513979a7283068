"""`human_handoff`: the user asks for a person. A handoff opens on their connection point (noted
on their open demand, or on a demand of its own) and its staff are alerted; the answer says
honestly when staff reply (Monday-Friday, 8:00-17:00, Vietnam time). Once a staff member takes
it, the user's messages go to that person (checked before the NLU) until `/ketthuc`."""

from __future__ import annotations

from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from handlers import handoff_relay as relay
from handlers import parsers
from handlers.base import Context, Router
from handlers.forms import Form, Slot
from handlers.office_hours import HOURS_TEXT, in_working_hours, local_tz, next_opening, say_when
from handlers.staff.access import current_member
from handlers.ui import intent_button, main_menu
from storage.errors import StorageError
from storage.models import Demand
from storage.repos import handoff_relay, handoffs

router = Router("handoff")


async def _open(ctx: Context) -> handoffs.Opened:
    """Open the handoff (noted on the user's open demand, else a demand of its own)."""
    user = await ctx.user()
    return await handoffs.open_request(
        ctx.db, user, at=ctx.now(), note=ctx.text, chat_id=str(ctx.incoming.chat_id),
        name=ctx.incoming.user_name, texts=relay.texts(ctx))


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
    opened = await _open(ctx)
    h = opened.handoff
    ctx.state.data[relay.USER_KEY] = h.id
    if opened.again:
        ctx.say(_again(h), [intent_button("demand_status"), intent_button("find_technology")])
        return
    now, tz = ctx.now(), local_tz(ctx)
    text = reply_text(opened.demand, opened.attached, now, tz) + (
        " Khi có cán bộ tiếp nhận, em sẽ báo và chuyển tin nhắn của anh/chị tới cán bộ. "
        "Không cần nữa thì anh/chị gõ /ketthuc ạ.")
    if not in_working_hours(now, tz):  # already told when staff answer
        await handoff_relay.mark_told(ctx.db, h.id, now)
    user = await ctx.user()
    if user.phone or user.email:
        ctx.say(text, [intent_button("demand_status"), intent_button("find_technology")])
        return
    ctx.say(text)
    await ctx.start_form(CONTACT_FORM.name, {"demand": opened.demand.id})


def _again(h: handoffs.HandoffView) -> str:
    if h.status == "taken":
        return (f"Dạ, anh/chị đang trò chuyện với cán bộ {relay.staff_label(h)}; cứ nhắn tin, em "
                "chuyển tới cán bộ ạ. Gõ /ketthuc để kết thúc.")
    return (f"Dạ, yêu cầu gặp cán bộ của anh/chị (#{h.id}) đã được gửi và đang chờ cán bộ tiếp "
            "nhận; em sẽ báo ngay khi có cán bộ. Không cần nữa thì anh/chị gõ /ketthuc ạ.")


# --- while a person has the chat: checked before the NLU on every message ----------------------
@router.intercept
async def to_staff(ctx: Context) -> bool:
    hid = ctx.state.data.get(relay.USER_KEY)
    if not hid:  # the cheap check: almost every chat stops here
        return False
    status = await handoffs.status_of(ctx.db, int(hid))  # a read: waiting chats stay cheap
    if status != "taken":
        if status != "open":
            ctx.state.data.pop(relay.USER_KEY, None)
        return False
    text, note_only = relay.carried(ctx)
    result = await handoff_relay.from_user(ctx.db, int(hid), text, relay.texts(ctx))
    if result.outcome == "closed":
        ctx.state.data.pop(relay.USER_KEY, None)
    if result.outcome == "requeued":  # the user is told by the outbox message
        ctx.quiet = True
        return True
    if result.outcome != "sent":
        return False  # nobody has it yet (or it ended): the bot answers
    relay.mark_relayed(ctx)
    if ctx.state.form == CONTACT_FORM.name:  # a person answers now: no more questions
        ctx.state.clear_form()
    if note_only:
        ctx.quiet = False
        ctx.say("Dạ, em đã báo cán bộ là anh/chị vừa gửi nội dung không phải chữ; hiện em chỉ "
                "chuyển được tin nhắn chữ. Anh/chị mô tả giúp bằng lời hoặc gửi qua email cho "
                "cán bộ ạ.")
    return True


@router.command("ketthuc", "end")
async def end(ctx: Context) -> None:
    """Either side ends the conversation; the other side is told."""
    hid = ctx.state.data.pop(relay.USER_KEY, None)
    if hid:
        try:
            h = await handoffs.close(ctx.db, int(hid), by="user", texts=relay.texts(ctx))
        except StorageError:
            h = None
        if h is not None:
            who = f" với cán bộ {h.staff_name}" if h.staff_name else " gặp cán bộ"
            ctx.say(f"Dạ, em đã kết thúc cuộc trò chuyện{who}. Em (trợ lý tự động) tiếp tục hỗ "
                    "trợ anh/chị ạ. Anh/chị cần gì cứ nhắn em:", main_menu())
            return
    member = await current_member(ctx)
    if member is not None:
        await relay.end_as_staff(ctx, member, ctx.args)
        return
    ctx.say("Dạ, hiện anh/chị không có cuộc trò chuyện nào với cán bộ ạ. Em có thể giúp anh/chị:",
            main_menu())
