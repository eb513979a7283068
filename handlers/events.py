"""`ask_events` (and `ask_training`, see handlers/training.py): upcoming events filtered by kind,
province and sector from the message, each with an "Đăng ký" button; registration, and the
`/start event_<code>` deep link.

Registration rules live in storage (`registrations.register`: one per user, capacity, deadline);
this module asks for a contact first when the user has none, and explains refusals politely.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from bot.types import Button
from handlers import parsers
from handlers.base import Context, Router
from handlers.forms import Form, Slot
from handlers.handoff import WEEKDAYS, local_tz
from handlers.ui import intent_button
from nlu.normalize import plain
from nlu.taxonomy import PROVINCE_BY_ID, SECTOR_BY_ID
from storage.errors import AlreadyRegistered, StorageError
from storage.models import Event
from storage.repos import catalog, registrations
from storage.repos import users as users_repo

router = Router("events")

PAGE = 5
KIND_NAMES = {
    "techmart": "Chợ công nghệ và thiết bị (Techmart)",
    "techdemo": "Trình diễn công nghệ (Techdemo)",
    "techfest": "Ngày hội khởi nghiệp đổi mới sáng tạo (Techfest)",
    "workshop": "Hội thảo",
    "training": "Khóa đào tạo, tập huấn",
    "connection_session": "Phiên kết nối cung cầu công nghệ",
    "other": "Sự kiện",
}
KIND_PLURAL = {
    "training": "khóa đào tạo, tập huấn", "workshop": "hội thảo",
    "connection_session": "phiên kết nối cung cầu", "techmart": "chợ công nghệ (Techmart)",
    "techdemo": "sự kiện trình diễn công nghệ", "techfest": "ngày hội Techfest",
}


# --- showing events -------------------------------------------------------------------------
def show_time(moment: datetime, tz: ZoneInfo) -> str:
    local = moment.astimezone(tz)
    return f"{WEEKDAYS[local.weekday()]}, {local:%d/%m/%Y} lúc {local:%H:%M}"


def where(event: Event) -> str:
    place = [event.venue] if event.venue else []
    province = PROVINCE_BY_ID[event.province].name if event.province in PROVINCE_BY_ID else None
    if province and plain(province) not in plain(event.venue or ""):
        place.append(province)
    if event.online_url and "truc tuyen" not in plain(" ".join(place)):
        place.append("trực tuyến")
    return ", ".join(place) or "sẽ thông báo sau"


def event_card(event: Event, tz: ZoneInfo, seats: int | None, index: int | None = None) -> str:
    head = f"{index}. " if index is not None else ""
    lines = [f"{head}{event.title}"]
    kind = KIND_NAMES.get(event.kind, "Sự kiện")
    if plain(kind.split(" (")[0]) not in plain(event.title):  # "Hội thảo ..." says it already
        lines.append(f"   {kind}")
    lines += [f"   🗓 {show_time(event.starts_at, tz)}", f"   📍 {where(event)}"]
    extra = []
    if event.registration_deadline is not None:
        extra.append(f"hạn đăng ký {event.registration_deadline.astimezone(tz):%d/%m/%Y}")
    if seats is not None:
        extra.append(f"còn {seats} chỗ" if seats > 0 else "đã đủ chỗ")
    if extra:
        lines.append("   " + "; ".join(extra).capitalize())
    return "\n".join(lines)


def register_button(event: Event) -> Button:
    title = event.title if len(event.title) <= 28 else event.title[:27] + "…"
    return Button(f"Đăng ký: {title}", f"ev:reg:{event.code}")


def filters_from(ctx: Context, kind: str | None) -> dict[str, Any]:
    province = ctx.entity("province")
    sector = ctx.entity_value("sector")
    return {
        "kind": kind or ctx.entity_value("event_kind"),
        "province": (province or {}).get("id"),
        "sector": sector if sector in SECTOR_BY_ID else None,
        "product": ctx.entity_value("product"),  # orders the list, never filters it
    }


def describe_filters(f: dict[str, Any]) -> str:
    what = KIND_PLURAL.get(f.get("kind") or "", "sự kiện")
    if f.get("sector") in SECTOR_BY_ID:
        what += f" về {SECTOR_BY_ID[f['sector']].name.lower()}"
    if f.get("province") in PROVINCE_BY_ID:
        what += f" tại {PROVINCE_BY_ID[f['province']].name}"
    return what


_RELAX = ((), ("sector",), ("sector", "kind"), ("sector", "province"), ("sector", "kind", "province"))
_RELAX_TRAINING = ((), ("sector",), ("sector", "province"), ("sector", "kind", "province"))


async def _find(ctx: Context, f: dict[str, Any]) -> tuple[list[Event], dict[str, Any]]:
    """Events for the filters; if none, relax the sector, then the kind, then the province: an
    enterprise usually prefers another kind of event nearby to the same kind far away. A
    training question keeps its kind longer."""
    attempts = _RELAX_TRAINING if f.get("kind") == "training" else _RELAX
    seen: list[dict[str, Any]] = []
    async with ctx.db.session() as s:
        for dropped in attempts:
            tried = {**f, **{key: None for key in dropped}}
            if tried in seen:  # nothing to relax there: the same query was already tried
                continue
            seen.append(tried)
            found = await catalog.upcoming_events(
                s, now=ctx.now(), limit=50, kind=tried.get("kind"),
                province=tried.get("province"), sector=tried.get("sector"))
            if found:
                return _product_first(found, f.get("product")), tried
    return [], dict(f)


def _product_first(events: list[Event], product: str | None) -> list[Event]:
    """Events naming the product the user mentioned ("vải thiều") come first, soonest first."""
    if not product:
        return events
    key = plain(product)
    return sorted(events, key=lambda e: key not in plain(f"{e.title} {e.description}"))


async def show_events(ctx: Context, filters: dict[str, Any], offset: int = 0) -> None:
    events, used = await _find(ctx, filters)
    if not events:
        ctx.say("Hiện chưa có sự kiện nào sắp diễn ra. Anh/chị có thể đăng ký nhận tin để được báo "
                "khi có sự kiện mới ạ.", [intent_button("subscribe"), intent_button("find_technology")])
        return
    ctx.state.data["ev_filters"] = used
    page = events[offset: offset + PAGE]
    if not page:
        offset, page = 0, events[:PAGE]
    intro = (f"Các {describe_filters(used)} sắp tới:" if used == filters else
             f"Hiện chưa có {describe_filters(filters)} sắp diễn ra. Anh/chị tham khảo các "
             f"{describe_filters(used)} sắp tới nhé:")
    tz = local_tz(ctx)
    cards, buttons = [], []
    async with ctx.db.session() as s:
        seats = await registrations.seats_left_many(s, list(page))
    for i, event in enumerate(page, start=offset + 1):
        cards.append(event_card(event, tz, seats[event.id], i))
        buttons.append(register_button(event))
    if offset + PAGE < len(events):
        buttons.append(Button("Xem thêm sự kiện", f"ev:more:{offset + PAGE}"))
    buttons.append(intent_button("subscribe", "Nhận tin sự kiện mới"))
    ctx.say(intro + "\n\n" + "\n\n".join(cards), buttons)


@router.intent("ask_events")
async def ask_events(ctx: Context) -> None:
    await show_events(ctx, filters_from(ctx, None))


# --- registering ----------------------------------------------------------------------------
async def _event(ctx: Context, code: str) -> Event | None:
    async with ctx.db.session() as s:
        return await catalog.get_event(s, code)


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
        async with ctx.db.transaction() as s:
            await registrations.register(s, event, user, now=ctx.now())
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
    async with ctx.db.transaction() as s:
        fresh = await users_repo.get(s, user.id)
        await users_repo.update_contact(
            s, fresh, display_name=values.get("name") or fresh.display_name,
            phone=contact.get("phone") or fresh.phone, email=contact.get("email") or fresh.email,
            organisation=values.get("organisation") or fresh.organisation)
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
        async with ctx.db.transaction() as s:
            done = await registrations.cancel(s, event, user)
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
    async with ctx.db.session() as s:
        seats = await registrations.seats_left(s, event)
        mine = await registrations.find(s, event, user)
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
