"""`demand_status`: the user's demands with their status and dates, in Vietnamese."""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

from handlers.base import Context, Router
from handlers.office_hours import local_tz
from handlers.ui import TYPE_LABELS, intent_button
from nlu.taxonomy import PROVINCE_BY_ID, SECTOR_BY_ID
from storage.models import Demand
from storage.repos import demands as demands_repo

router = Router("status")

SHOWN = 10
HISTORIES = 3  # the newest demands also show each step staff took

def show_date(moment: datetime, tz: ZoneInfo) -> str:
    return f"{moment.astimezone(tz):%d/%m/%Y}"


def describe(demand: Demand) -> str:
    """What the demand is about, in a few words: product, sector or the user's own words."""
    details = demand.details or {}
    topic = (demand.product or details.get("need") or details.get("topic_title")
             or (SECTOR_BY_ID[demand.sector].name if demand.sector in SECTOR_BY_ID else "")
             or details.get("title") or demand.raw_text or "")
    topic = " ".join(str(topic).split())
    return topic[:80] + ("…" if len(topic) > 80 else "")


def demand_line(demand: Demand, tz: ZoneInfo) -> str:
    kind = TYPE_LABELS.get(demand.type, demand.type)
    about = describe(demand)
    place = PROVINCE_BY_ID[demand.province].name if demand.province in PROVINCE_BY_ID else ""
    head = f"• Số {demand.id} · {kind}" + (f": {about}" if about else "")
    if place:
        head += f" ({place})"
    status = demands_repo.STATUS_NAMES.get(demand.status, demand.status)
    dates = f"gửi {show_date(demand.created_at, tz)}"
    changes = [h for h in (demand.history or []) if h.old_status is not None]
    if changes:
        dates += f", cập nhật {show_date(changes[-1].changed_at, tz)}"
    return f"{head}\n  Trạng thái: {status} — {dates}"


def history_lines(demand: Demand, tz: ZoneInfo) -> str:
    """Each step staff took, with its date and note: how the demand moved on."""
    return "\n".join(
        f"    {h.changed_at.astimezone(tz):%d/%m} · "
        f"{demands_repo.STATUS_NAMES.get(h.new_status, h.new_status)}"
        + (f": {h.note}" if h.note else "")
        for h in (demand.history or [])[1:])


@router.intent("demand_status")
async def demand_status(ctx: Context) -> None:
    user = await ctx.user()
    found = await demands_repo.recent_of(ctx.db, user, limit=SHOWN + 1)
    if not found:
        ctx.say("Anh/chị chưa gửi yêu cầu nào qua Trung tâm. Em có thể giúp anh/chị tìm công nghệ "
                "hoặc chuyên gia ngay bây giờ ạ.",
                [intent_button("find_technology"), intent_button("find_expert")])
        return
    tz = local_tz(ctx)
    lines = [demand_line(d, tz) + (f"\n{history_lines(d, tz)}" if i < HISTORIES and
                                   len(d.history or []) > 1 else "")
             for i, d in enumerate(found[:SHOWN])]
    more = (f"\n(Em hiển thị {SHOWN} yêu cầu gần nhất.)" if len(found) > SHOWN else "")
    ctx.say("Các yêu cầu của anh/chị:\n" + "\n".join(lines) + more,
            [intent_button("human_handoff", "Hỏi cán bộ về yêu cầu"),
             intent_button("find_technology", "Gửi yêu cầu mới")])
