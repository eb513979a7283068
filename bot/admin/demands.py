"""/admin/demands: the demands of the member's point by status, one demand with its pipeline
steps (bot.admin.pipeline), and the filtered list as CSV or XLSX."""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from bot.admin.pipeline import DONE
from bot.admin.render import message_page, page
from bot.admin.session import staff_page
from nlu.taxonomy import PROVINCES, SECTORS
from storage.console import demand_actions, demands
from storage.console.demands import DemandFilter
from storage.console.paging import page_number
from storage.errors import NotFound
from storage.repos import pipeline
from storage.repos.demands import OUTCOME_NAMES, STATUS_NAMES
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
    moved = str(request.query_params.get("moved") or "")
    return page(request, "demands.html", member, rows=rows, counts=counts, f=f,
                moved=int(moved) if moved.isdigit() and len(moved) < 10 else None,
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


async def render_demand(request: Request, member: StaffMember, demand_id: int, *,
                        done: str | None = None, error: str | None = None, status: int = 200,
                        partial: bool = False) -> Response:
    """The demand's page (or only its pipeline section, for the page's script)."""
    db = request.app.state.db
    try:
        found = await demands.detail(db, member, demand_id)
    except NotFound as missing:
        return message_page(request, "Không tìm thấy", str(missing), status=404, member=member)
    card = await pipeline.card(db, demand_id)
    q = str(request.query_params.get("q") or "").strip()[:300]
    context = {
        "d": found.record, "card": card, "conversation": found.conversation,
        "statuses": STATUS_NAMES, "outcomes": OUTCOME_NAMES, "done": done, "error": error,
        "staff": await demand_actions.staff_choices(db, card.point_code),
        "points": [p for p in await pipeline.points(db) if p[0] != card.point_code],
        "q": q, "found": await demand_actions.catalog_choices(db, request.app.state.search, q),
        "steps": STEPS_BY_STATUS.get(card.status, ()),
    }
    if not partial:
        return page(request, "demand.html", member, status, **context)
    response = page(request, "demand_pipeline.html", member, status, **context)
    response.headers["X-Partial"] = "1"
    return response


# The steps offered from each status (the transitions of the pipeline, as in chat).
STEPS_BY_STATUS = {
    "new": ("take", "assign", "move", "close"), "matched": ("take", "assign", "move", "close"),
    "assigned": ("assign", "propose", "connect", "move", "close"),
    "proposed": ("connect", "close"), "connected": ("close",),
    "closed": ("reopen",), "rejected": ("reopen",),
}


@staff_page
async def one(request: Request, member: StaffMember) -> Response:
    done = DONE.get(str(request.query_params.get("done") or ""))
    return await render_demand(request, member, request.path_params["demand_id"], done=done)


routes = [
    Route("/demands", board, methods=["GET"]),
    Route("/demands/export.{kind}", export, methods=["GET"]),
    Route("/demands/{demand_id:int}", one, methods=["GET"]),
]
