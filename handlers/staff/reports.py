"""`/baocao`: staff pick a period with buttons and get the report of their connection point (the
whole network for the national point): the headline figures as text, the dashboard as a photo
and the workbook as a document."""

from __future__ import annotations

from zoneinfo import ZoneInfo

from handlers.base import Context, Router
from handlers.reporting import files
from handlers.reporting.sections import summary_text
from handlers.staff.access import staff_only
from storage import reports
from storage.repos.staff import StaffMember

router = Router("staff_reports")

PERIODS = [(label, f"rp:{key}") for key, label in reports.PRESETS.items()]


def _scope(member: StaffMember) -> reports.Scope:
    return reports.Scope() if member.national else reports.Scope(point=member.point)


def _period(ctx: Context, key: str) -> reports.Period:
    tz = getattr(ctx.services.settings, "timezone", None) or "Asia/Ho_Chi_Minh"
    return reports.preset(key, ctx.now().astimezone(ZoneInfo(tz)).date(), tz)


@router.command("baocao")
@staff_only
async def ask_period(ctx: Context, member: StaffMember) -> None:
    where = "toàn mạng lưới" if member.national else member.point_name
    ctx.say(f"Dạ, anh/chị muốn xem báo cáo số liệu của {where} trong giai đoạn nào ạ?", PERIODS)


@router.button("rp")
@staff_only
async def send_report(ctx: Context, member: StaffMember) -> None:
    key = ctx.args[0] if ctx.args else ""
    if key not in reports.PRESETS:
        ctx.say("Dạ, lựa chọn này không còn hiệu lực ạ. Anh/chị chọn lại giai đoạn:", PERIODS)
        return
    scope = _scope(member)
    fig = await reports.figures(ctx.db, _period(ctx, key), scope, now=ctx.now())
    sent = await files.attachments(fig, scope, ctx.services.settings, ctx.now())
    ctx.say(summary_text(fig) + "\n\nBảng điều khiển và bảng tính Excel ở dưới ạ. "
            "Xem giai đoạn khác:", PERIODS, attachments=sent)
