"""`/guitin`: staff send news to subscribers; `/baocaotin ID`: how a broadcast went.

The form asks what to send (an upcoming event of the catalog, or an announcement typed as is)
and to whom (the subscribers of the staff member's point, everyone, or sectors / provinces /
event kinds typed by name), then shows a preview with the exact number of recipients per channel
and "Gửi" / "Hẹn giờ" / "Hủy". Sending only queues the messages: the outbox sender paces them.
"""

from __future__ import annotations

import re
from datetime import UTC, datetime
from typing import Any

from bot.types import Button, outgoing_to_dict
from handlers import parsers
from handlers.base import Context, Router
from handlers.forms import Form, Slot
from handlers.news_render import KIND_LABELS, KIND_WORDS, broadcast_message, report_lines
from handlers.office_hours import local_tz
from handlers.staff.access import current_member, staff_only
from handlers.ui import main_menu
from nlu.normalize import plain
from nlu.taxonomy import PROVINCE_BY_ID, SECTOR_BY_ID
from storage.errors import StorageError
from storage.models import EVENT_KINDS
from storage.repos import broadcasts
from storage.repos.broadcasts import Audience
from storage.repos.staff import StaffMember

router = Router("staff_broadcasts")

MIN_TEXT, MAX_TEXT = 10, 3000


def parse_content(value: str) -> dict[str, str]:
    text = value.strip()
    if len(text) < MIN_TEXT:
        raise parsers.Invalid("Nội dung hơi ngắn ạ. Anh/chị chọn một sự kiện bên dưới, hoặc gõ "
                              "nguyên văn thông báo cần gửi (ít nhất vài từ).")
    return {"text": text[:MAX_TEXT]}


def show_content(value: dict[str, str]) -> str:
    if value.get("event"):
        return f"sự kiện {value.get('title') or value['event']}"
    text = value.get("text", "")
    return f"“{text[:80]}{'…' if len(text) > 80 else ''}”"


def parse_audience(value: str) -> dict[str, Any]:
    """Sectors, provinces and event kinds named in the text (several, separated by commas)."""
    sectors = [s.id for s, _ in parsers.rank_sectors(value)][:5]
    provinces: list[str] = []
    for part in re.split(r"[,;/]|\bvà\b|\bva\b", value):
        hit = parsers.province_in_text(part) if part.strip() else None
        if hit and hit[0].id not in provinces:
            provinces.append(hit[0].id)
    folded = plain(value)
    kinds = sorted({k for word, k in KIND_WORDS.items() if word in folded})
    if not (sectors or provinces or kinds):
        raise parsers.Invalid("Em chưa nhận ra lĩnh vực, tỉnh/thành hay loại sự kiện nào ạ. "
                              "Anh/chị chọn một nút, hoặc gõ ví dụ: “chế biến nông sản, Bắc Ninh”.")
    return {"sectors": sectors, "provinces": provinces, "kinds": kinds}


def show_audience(value: dict[str, Any]) -> str:
    if value.get("point"):
        return f"người đăng ký thuộc điểm {value['point']}"
    parts = [", ".join(SECTOR_BY_ID[s].name for s in value.get("sectors", []) if s in SECTOR_BY_ID),
             ", ".join(PROVINCE_BY_ID[p].name for p in value.get("provinces", [])
                       if p in PROVINCE_BY_ID),
             ", ".join(KIND_LABELS.get(k, k) for k in value.get("kinds", []) if k in EVENT_KINDS)]
    return "; ".join(p for p in parts if p) or "tất cả người đăng ký nhận tin"


async def _content_choices(ctx: Context, values: dict[str, Any]) -> list[tuple[str, Any]]:
    events = await broadcasts.upcoming_events(ctx.db, ctx.now())
    tz = local_tz(ctx)
    return [(f"{e.starts_at.astimezone(tz):%d/%m} · {e.title[:40]}",
             {"event": e.code, "title": e.title}) for e in events]


async def _audience_choices(ctx: Context, values: dict[str, Any]) -> list[tuple[str, Any]]:
    member = await current_member(ctx)
    choices: list[tuple[str, Any]] = [("Tất cả người đăng ký", {})]
    if member is not None and not member.national:
        choices.insert(0, (f"Người đăng ký của điểm {member.point}", {"point": member.point}))
    return choices


def audience_of(value: dict[str, Any]) -> Audience:
    return Audience(tuple(value.get("sectors", ())), tuple(value.get("provinces", ())),
                    tuple(value.get("kinds", ())), value.get("point"))


async def _preview(ctx: Context, values: dict[str, Any]) -> None:
    """Instead of the usual summary: the message as subscribers will see it, and the count."""
    ctx.state.clear_form()
    per_channel = await broadcasts.preview(ctx.db, audience_of(values["audience"]))
    ctx.state.data["broadcast"] = {"content": values["content"], "audience": values["audience"]}
    total = sum(per_channel.values())
    counts = ", ".join(f"{channel}: {n}" for channel, n in per_channel.items())
    if not total:
        ctx.state.data.pop("broadcast")
        ctx.say("Hiện chưa có ai đăng ký nhận tin phù hợp với đối tượng này nên em chưa gửi ạ. "
                "Anh/chị gõ /guitin để chọn lại.", main_menu())
        return
    message = await _message(ctx, values["content"])
    ctx.say(f"Xem trước tin sẽ gửi:\n\n{message.text}")
    ctx.say(f"Tin sẽ đến {total} người đăng ký ({counts}), {show_audience(values['audience'])}. "
            "Anh/chị muốn gửi ngay, hẹn giờ hay hủy ạ?",
            [Button("Gửi", "bc:send"), Button("Hẹn giờ", "bc:later"), Button("Hủy", "bc:drop")])


async def _message(ctx: Context, content: dict[str, str]) -> Any:
    event = await broadcasts.event_for(ctx.db, content["event"]) if content.get("event") else None
    return broadcast_message(content.get("text", ""), event, local_tz(ctx))


BROADCAST_FORM = router.form(Form(
    name="staff_broadcast", title="việc soạn tin gửi đi", on_done=_preview, confirm=False,
    slots=(
        Slot("content", "Nội dung", "Anh/chị muốn gửi tin về sự kiện nào? Chọn một sự kiện, "
             "hoặc gõ nguyên văn thông báo cần gửi.", parse_content, choices=_content_choices,
             show=show_content, switchable=False, recap=False),
        Slot("audience", "Người nhận", "Gửi cho ai ạ? Chọn một nút, hoặc gõ lĩnh vực, tỉnh/thành "
             "hay loại sự kiện (ví dụ: “chế biến nông sản, Bắc Ninh”).", parse_audience,
             choices=_audience_choices, show=show_audience, switchable=False),
    ),
))


def parse_send_time(value: str) -> dict[str, str]:
    """'08:00 01/12/2026', '8h 1/12', '01/12 08:30' → local date and time (checked later)."""
    text = plain(value).replace("h", ":").replace("gio", ":")
    clock = re.search(r"\b(\d{1,2}):(\d{2})?\b", text)
    day = re.search(r"\b(\d{1,2})/(\d{1,2})(?:/(\d{4}))?\b", text)
    if not clock or not day:
        raise parsers.Invalid("Anh/chị gõ giờ và ngày gửi giúp em, ví dụ: “8:00 01/12” ạ.")
    return {"hour": clock.group(1), "minute": clock.group(2) or "0", "day": day.group(1),
            "month": day.group(2), "year": day.group(3) or ""}


async def _schedule(ctx: Context, values: dict[str, Any]) -> None:
    ctx.state.clear_form()
    t, tz = values["at"], local_tz(ctx)
    now = ctx.now()
    try:
        year = int(t["year"] or now.astimezone(tz).year)
        at = datetime(year, int(t["month"]), int(t["day"]), int(t["hour"]), int(t["minute"]),
                      tzinfo=tz).astimezone(UTC)
    except ValueError:
        at = None
    if at is None or at <= now:
        ctx.say("Thời điểm này không hợp lệ hoặc đã qua ạ. Anh/chị chọn lại nhé.",
                [Button("Hẹn giờ", "bc:later"), Button("Gửi ngay", "bc:send"),
                 Button("Hủy", "bc:drop")])
        return
    await _send(ctx, at)


SCHEDULE_FORM = router.form(Form(
    name="staff_broadcast_time", title="việc hẹn giờ gửi tin", on_done=_schedule, confirm=False,
    slots=(Slot("at", "Giờ gửi", "Anh/chị muốn gửi lúc nào ạ? Ví dụ: “8:00 01/12”.",
                parse_send_time, switchable=False),),
))


async def _send(ctx: Context, at: datetime | None = None) -> None:
    draft = ctx.state.data.pop("broadcast", None)
    member = await current_member(ctx)
    if not draft or member is None:
        ctx.say("Em không còn thấy tin đang soạn ạ. Anh/chị gõ /guitin để soạn lại.", main_menu())
        return
    message = await _message(ctx, draft["content"])
    info = await broadcasts.create(
        ctx.db, created_by=f"{member.channel}:{member.user_id}", payload=outgoing_to_dict(message),
        audience=audience_of(draft["audience"]), text=draft["content"].get("text", ""),
        event_code=draft["content"].get("event"), send_at=at, point=member.point)
    when = (f"lúc {at.astimezone(local_tz(ctx)):%H:%M %d/%m/%Y}" if at else "ngay bây giờ")
    ctx.say(f"Dạ, đợt tin số {info.id} sẽ được gửi {when} tới {info.recipients} người. "
            f"Anh/chị xem kết quả bằng /baocaotin {info.id}.",
            [Button("Xem kết quả", f"bc:report:{info.id}")])


@router.command("guitin")
@staff_only
async def start(ctx: Context, member: StaffMember) -> None:
    ctx.state.data.pop("broadcast", None)
    await ctx.start_form(BROADCAST_FORM.name)


@router.button("bc")
@staff_only
async def on_button(ctx: Context, member: StaffMember) -> None:
    action = (ctx.args + [""])[0]
    if action == "send":
        await _send(ctx)
    elif action == "later" and ctx.state.data.get("broadcast"):
        await ctx.start_form(SCHEDULE_FORM.name)
    elif action == "report":
        await report(ctx, member, (ctx.args + ["", ""])[1])
    else:
        ctx.state.data.pop("broadcast", None)
        ctx.say("Dạ, em đã hủy tin đang soạn, chưa gửi gì ạ.", main_menu())


async def report(ctx: Context, member: StaffMember, number: str) -> None:
    if not number.isdigit():
        ctx.say("Anh/chị gõ kèm số đợt tin giúp em, ví dụ: /baocaotin 12.")
        return
    try:
        info = await broadcasts.report(ctx.db, int(number))
    except StorageError as error:
        ctx.say(f"{error} Anh/chị kiểm tra lại số đợt tin giúp em ạ.")
        return
    if info.point is not None and not member.sees(info.point):
        ctx.say(f"Đợt tin số {info.id} thuộc một điểm kết nối khác nên em không hiển thị được ạ.")
        return
    ctx.say("\n".join(report_lines(info)), [Button("Cập nhật", f"bc:report:{info.id}")])


@router.command("baocaotin")
@staff_only
async def report_command(ctx: Context, member: StaffMember) -> None:
    await report(ctx, member, (ctx.args + [""])[0])
