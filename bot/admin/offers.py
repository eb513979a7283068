"""/admin/catalog/offers: technologies offered in chat wait here for review; staff approve them
(they join the catalog and the search at once) or reject them with a reason. The offerer is told
with the chat's own words (`handlers.offer_text`), through `storage.repos.offers.decide`."""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import RedirectResponse, Response
from starlette.routing import Route

from bot.admin.render import message_page, page
from bot.admin.session import staff_page
from handlers.offer_text import approved, rejected
from handlers.staff.offers import reviews
from storage.console import offers as queue
from storage.console.paging import page_number
from storage.errors import NotFound, StorageError
from storage.repos import offers
from storage.repos.staff import StaffMember

DONE = {"approved": "Đã duyệt: công nghệ có trong danh mục và kết quả tìm kiếm; người chào bán "
                    "đã được báo.",
        "rejected": "Đã từ chối; người chào bán đã được báo lý do."}


def who(member: StaffMember) -> str:
    """The actor of the audit entry, as in chat."""
    return f"{member.channel}:{member.user_id}" + (f" ({member.name})" if member.name else "")


@staff_page
async def listing(request: Request, member: StaffMember) -> Response:
    rows = await queue.pending(request.app.state.db, page_number(request.query_params.get("page")),
                           point=None if member.national else member.point)
    done = DONE.get(str(request.query_params.get("done") or ""))
    return page(request, "offers.html", member, rows=rows, query={}, done=done)


@staff_page
async def decide(request: Request, member: StaffMember) -> Response:
    tech_id, verdict = request.path_params["tech_id"], request.path_params["verdict"]
    reason = str((await request.form()).get("reason") or "").strip()[:500]
    if verdict not in ("approve", "reject"):
        return message_page(request, "Không có thao tác này", "Chỉ có duyệt hoặc từ chối.",
                            status=404, member=member)
    if verdict == "reject" and not reason:
        return message_page(request, "Chưa từ chối", "Anh/chị vui lòng ghi lý do từ chối "
                            "(người chào bán sẽ đọc).", status=400, member=member)
    approve = verdict == "approve"
    try:
        if not reviews(member, (await offers.get(request.app.state.db, tech_id)).point_code):
            raise NotFound("Không tìm thấy công nghệ này trong hàng chờ duyệt của điểm kết nối.")
        await offers.decide(request.app.state.db, tech_id, approve, who(member),
                            reason=reason or None, tell=approved if approve else rejected(reason))
    except NotFound as missing:
        return message_page(request, "Không tìm thấy", str(missing), status=404, member=member)
    except StorageError as refused:
        return message_page(request, "Chưa thực hiện được", str(refused), status=409,
                            member=member)
    if approve and hasattr(request.app.state.search, "invalidate"):
        request.app.state.search.invalidate()  # searchable by the next query here
    done = "approved" if approve else "rejected"
    return RedirectResponse(f"/admin/catalog/offers?done={done}", status_code=303)


routes = [
    Route("/catalog/offers", listing, methods=["GET"]),
    Route("/catalog/offers/{tech_id:int}/{verdict}", decide, methods=["POST"]),
]
