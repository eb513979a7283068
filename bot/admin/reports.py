"""/admin/reports: the report of `/baocao` for any period and point in the browser: the headline
figures, the breakdown tables, the dashboard image and the XLSX workbook.

A point's staff see their point only; the national point chooses the whole network or a point.
The figures, the dashboard and the workbook are the reports feature's own
(`storage.reports`, `handlers.reporting`).
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass
from datetime import date
from typing import Any

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from bot.admin.render import message_page, page
from bot.admin.session import staff_page
from handlers.reporting import dashboard, workbook
from handlers.reporting.sections import BREAKDOWNS, number, summary_rows
from storage import reports
from storage.convert import LOCAL_TZ
from storage.errors import StorageError
from storage.repos import pipeline
from storage.repos.staff import StaffMember
from storage.sqltypes import utcnow

MAX_DAYS = 366 * 5
FILES = {"xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
         "png": "image/png"}


@dataclass(frozen=True, slots=True)
class Choice:
    period: reports.Period
    preset: str  # a PRESETS key, or "" for days typed in
    point: str  # a point code, or "" for the whole network

    def query(self) -> dict[str, str]:
        return {"period": self.preset, "from": self.period.first.isoformat(),
                "to": self.period.last.isoformat(), "point": self.point}


def _day(value: Any) -> date | None:
    try:
        return date.fromisoformat(str(value or ""))
    except ValueError:
        return None


def choice(query: Any, member: StaffMember) -> Choice:
    """The period (a preset, or from/to days) and the point asked for; a point's staff always
    get their own point. Raises ValueError with a Vietnamese message on a bad period."""
    today = utcnow().astimezone(LOCAL_TZ).date()
    point = str(query.get("point") or "").strip().upper()[:32] if member.national else (
        member.point)
    first, last = _day(query.get("from")), _day(query.get("to"))
    key = str(query.get("period") or "")
    if key in reports.PRESETS or not (first and last):
        key = key if key in reports.PRESETS else "month"
        return Choice(reports.preset(key, today), key, point)
    if last < first or (last - first).days > MAX_DAYS:
        raise ValueError("Khoảng thời gian không hợp lệ: ngày kết thúc phải sau ngày bắt đầu "
                         "và không quá 5 năm.")
    return Choice(reports.Period(first, last), "", point)


async def _figures(request: Request, member: StaffMember) -> tuple[Choice, reports.Figures]:
    picked = choice(request.query_params, member)
    scope = reports.Scope(point=picked.point or None)
    return picked, await reports.figures(request.app.state.db, picked.period, scope)


@staff_page
async def index(request: Request, member: StaffMember) -> Response:
    try:
        picked, fig = await _figures(request, member)
    except (ValueError, StorageError) as bad:
        return message_page(request, "Chưa xem được báo cáo", str(bad), status=400,
                            member=member)
    tables = [(b.title, b.column, [(b.name(k), number(v)) for k, v in b.values(fig).items()])
              for b in BREAKDOWNS]
    points = await pipeline.points(request.app.state.db) if member.national else []
    return page(request, "reports.html", member, fig=fig, picked=picked, query=picked.query(),
                presets=reports.PRESETS, headline=[(reports.HEADLINE[k], number(v))
                                                   for k, v in fig.headline.items()],
                summary=[(label, number(v)) for label, v in summary_rows(fig)],
                tables=tables, points=points)


@staff_page
async def download(request: Request, member: StaffMember) -> Response:
    kind = request.path_params["kind"]
    if kind not in FILES:
        return message_page(request, "Không có định dạng này", "Chỉ có bảng tính XLSX và ảnh "
                            "bảng điều khiển PNG.", status=404, member=member)
    try:
        picked, fig = await _figures(request, member)
    except (ValueError, StorageError) as bad:
        return message_page(request, "Chưa xem được báo cáo", str(bad), status=400,
                            member=member)
    data = await asyncio.to_thread(dashboard.render if kind == "png" else workbook.render, fig)
    name = f"bao-cao-{picked.point or 'toan-mang-luoi'}-{picked.period.first}-{picked.period.last}"
    how = "inline" if kind == "png" else "attachment"
    return Response(data, media_type=FILES[kind], headers={
        "Content-Disposition": f'{how}; filename="{name.lower()}.{kind}"',
        "Cache-Control": "private, no-store"})


routes = [
    Route("/reports", index, methods=["GET"]),
    Route("/reports/report.{kind}", download, methods=["GET"]),
]
