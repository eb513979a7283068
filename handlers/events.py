"""`ask_events`: upcoming events filtered by kind, province and sector from the message, each with
an "Đăng ký" button (the listing: handlers/event_list.py); registration, and the
`/start event_<code>` deep link.

Registration rules live in storage (`registrations.register`: one per user, capacity, deadline);
this module asks for a contact first when the user has none, and explains refusals politely.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from bot.types import Button
from handlers import parsers
from handlers.base import Context, Router
from handlers.event_list import filters_from, show_events
from handlers.forms import Form, Slot
from handlers.office_hours import local_tz
from handlers.render import event_card, show_time, where
from handlers.ui import intent_button
from storage.errors import AlreadyRegistered, StorageError
from storage.models import Event
from storage.repos import catalog, registrations, users

router = Router("events")


@router.intent("ask_events")
async def ask_events(ctx: Context) -> None:
    await show_events(ctx, filters_from(ctx, None))


# --- registering ----------------------------------------------------------------------------
async def _event(ctx: Context, code: str) -> Event | None:
    return await catalog.event(ctx.db, code)


async def register(ctx: Context, code: str) -> None:
    """Register the sender for the event; asks for a contact first when we have none."""
    event = await _event(ctx, code)
    if event is None:
        ctx.say("Em không tìm thấy sự kiện này, có thể sự kiện đã bị gỡ ạ.",
                [Button("Xem sự kiện sắp tới", "ev:list")])
        return
    user = await ctx.user()
    if not (user.phone or user.email):
        await ctx.start_form(CONTACT_FORM.name, {"event": event.code})
        return
    await _register_now(ctx, event)


async def _register_now(ctx: Context, event: Event) -> None:
    user = await ctx.user()
    try:
        await registrations.register(ctx.db, user, event.code, now=ctx.now())
    except AlreadyRegistered:
        ctx.say(f"Anh/chị đã đăng ký “{event.title}” rồi ạ, mỗi người chỉ cần đăng ký một lần.",
                [Button("Hủy đăng ký", f"ev:unreg:{event.code}"), Button("Sự kiện khác", "ev:list")])
        return
    except StorageError as exc:  # full, deadline passed, already started
        ctx.say(str(exc), [Button("Xem sự kiện khác", "ev:list"), intent_button("human_handoff")])
        return
    tz = local_tz(ctx)
    contact = parsers.show_contact({"phone": user.phone or "", "email": user.email or ""})
    ctx.say(f"Em đã đăng ký cho anh/chị tham dự “{event.title}” ({show_time(event.starts_at, tz)}, "
            f"{where(event)}). Trung tâm sẽ gửi thông tin chi tiết qua {contact} ạ.",
            [Button("Hủy đăng ký", f"ev:unreg:{event.code}"), Button("Sự kiện khác", "ev:list")])


async def _contact_done(ctx: Context, values: dict[str, Any]) -> None:
    user = await ctx.user()
    contact = values.get("contact") or {}
    await users.remember_contact(
        ctx.db, user.id, display_name=values.get("name"), phone=contact.get("phone"),
        email=contact.get("email"), organisation=values.get("organisation"))
    ctx.forget_user()
    ctx.state.clear_form()
    event = await _event(ctx, values.get("event", ""))
    if event is None:
        ctx.say("Em đã lưu thông tin liên hệ, nhưng sự kiện vừa bị gỡ ạ.", [Button("Sự kiện khác", "ev:list")])
        return
    await _register_now(ctx, event)


CONTACT_FORM = router.form(Form(
    name="event_registration",
    title="việc đăng ký sự kiện",
    intent="ask_events",
    related_intents=frozenset({"ask_training"}),
    confirm=False,
    on_done=_contact_done,
    slots=(
        Slot("name", "Họ tên", "Để đăng ký, anh/chị cho em xin họ tên người tham dự ạ.",
             parsers.person_name, switchable=False),
        Slot("contact", "Liên hệ", "Anh/chị cho em xin số điện thoại hoặc email để Ban tổ chức gửi "
             "thông tin sự kiện ạ.", parsers.contact, entity=None, show=parsers.show_contact,
             request_contact=True),
        Slot("organisation", "Đơn vị", "Anh/chị công tác ở đơn vị nào ạ? (có thể bỏ qua)",
             parsers.organisation, required=False),
    ),
))


async def cancel_registration(ctx: Context, code: str) -> None:
    event = await _event(ctx, code)
    user = await ctx.user()
    done = False
    if event is not None:
        done = await registrations.withdraw(ctx.db, user, event)
    text = (f"Em đã hủy đăng ký “{event.title}” của anh/chị ạ." if done and event else
            "Anh/chị chưa đăng ký sự kiện này ạ.")
    ctx.say(text, [Button("Xem sự kiện sắp tới", "ev:list")])


async def open_event(ctx: Context, code: str) -> None:
    """The deep link `/start event_<code>`: the event and its registration."""
    event = await _event(ctx, code)
    if event is None:
        ctx.say("Em không tìm thấy sự kiện trong đường dẫn, có thể sự kiện đã kết thúc ạ. Dưới "
                "đây là các sự kiện sắp tới:")
        await show_events(ctx, {"kind": None, "province": None, "sector": None})
        return
    user = await ctx.user()
    seats, mine = await registrations.seat_and_registration(ctx.db, event, user)
    card = event_card(event, local_tz(ctx), seats)
    if event.description:
        card += "\n\n" + event.description[:600]
    problem = _why_closed(event, ctx.now(), seats) if mine is None else (
        "Anh/chị đã đăng ký sự kiện này rồi ạ.")
    if problem:
        buttons = [Button("Hủy đăng ký", f"ev:unreg:{event.code}")] if mine else []
        ctx.say(f"{card}\n\n{problem}", [*buttons, Button("Xem sự kiện khác", "ev:list")])
        return
    ctx.ask_yes_no(card + "\n\nAnh/chị có muốn đăng ký tham dự không ạ?",
                   ("Đăng ký", f"ev:reg:{event.code}"), ("Xem sự kiện khác", "ev:list"))


def _why_closed(event: Event, now: datetime, seats: int | None) -> str:
    """Why nobody can register any more ("" when registration is open); storage re-checks."""
    if event.starts_at <= now:
        return "Sự kiện này đã diễn ra, anh/chị không thể đăng ký nữa."
    if event.registration_deadline is not None and event.registration_deadline < now:
        return "Rất tiếc, sự kiện đã hết hạn đăng ký."
    if seats is not None and seats <= 0:
        return "Rất tiếc, sự kiện đã đủ số lượng người đăng ký."
    return ""


@router.start_payload("event_", "event-", "ev_")
async def start_event(ctx: Context) -> None:
    await open_event(ctx, (ctx.args or [""])[0])


@router.button("ev")
async def on_button(ctx: Context) -> None:
    action, arg = (ctx.args + ["", ""])[:2]
    if action == "reg" and arg:
        await register(ctx, arg)
    elif action == "unreg" and arg:
        await cancel_registration(ctx, arg)
    elif action == "more" and (offset := parsers.whole_number(arg)) is not None:
        await show_events(ctx, ctx.state.data.get("ev_filters") or {}, offset)
    else:
        await show_events(ctx, {"kind": None, "province": None, "sector": None})
