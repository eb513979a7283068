"""/admin/demands: the demands of the member's point by status, one demand, status changes,
and the filtered list as CSV or XLSX."""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import RedirectResponse, Response
from starlette.routing import Route

from bot.admin.render import message_page, page
from bot.admin.session import staff_page
from nlu.taxonomy import PROVINCES, SECTORS
from storage.console import demands
from storage.console.demands import DemandFilter
from storage.console.paging import page_number
from storage.errors import NotFound, StorageError
from storage.repos.demands import STATUS_NAMES
from storage.repos.staff import StaffMember

EXPORT_TYPES = {
    "csv": "text/csv; charset=utf-8",
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
}


@staff_page
async def board(request: Request, member: StaffMember) -> Response:
    db = request.app.state.db
    f = DemandFilter.from_query(request.query_params)
    number = page_number(request.query_params.get("page"))
    rows = await demands.page(db, member, f, number)
    counts = await demands.status_counts(db, member, f)
    return page(request, "demands.html", member, rows=rows, counts=counts, f=f,
                query=f.query(), statuses=STATUS_NAMES, sectors=SECTORS, provinces=PROVINCES)


@staff_page
async def export(request: Request, member: StaffMember) -> Response:
    kind = request.path_params["kind"]
    if kind not in EXPORT_TYPES:
        return message_page(request, "Không có định dạng này", "Chỉ xuất được CSV hoặc XLSX.",
                            status=404, member=member)
    f = DemandFilter.from_query(request.query_params)
    body = await demands.export(request.app.state.db, member, f, kind)
    return Response(body, media_type=EXPORT_TYPES[kind], headers={
        "Content-Disposition": f'attachment; filename="yeu-cau.{kind}"',
        "Cache-Control": "no-store"})


@staff_page
async def one(request: Request, member: StaffMember) -> Response:
    demand_id = request.path_params["demand_id"]
    try:
        found = await demands.detail(request.app.state.db, member, demand_id)
    except NotFound as missing:
        return message_page(request, "Không tìm thấy", str(missing), status=404, member=member)
    return page(request, "demand.html", member, d=found.record, next_statuses=found.next_statuses,
                conversation=found.conversation, statuses=STATUS_NAMES)


@staff_page
async def change_status(request: Request, member: StaffMember) -> Response:
    demand_id = request.path_params["demand_id"]
    form = await request.form()
    try:
        await demands.change_status(request.app.state.db, member, demand_id,
                                    str(form.get("status") or ""), str(form.get("note") or ""))
    except NotFound as missing:
        return message_page(request, "Không tìm thấy", str(missing), status=404, member=member)
    except StorageError as refused:
        return message_page(request, "Chưa đổi được trạng thái", str(refused), status=400,
                            member=member)
    return RedirectResponse(f"/admin/demands/{demand_id}", status_code=303)


routes = [
    Route("/demands", board, methods=["GET"]),
    Route("/demands/export.{kind}", export, methods=["GET"]),
    Route("/demands/{demand_id:int}", one, methods=["GET"]),
    Route("/demands/{demand_id:int}/status", change_status, methods=["POST"]),
]
