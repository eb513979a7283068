"""/admin/users: how many people use the bot, by channel, a filtered, paged list, and a user's
page with "forget this user" (the erasure users ask for in chat with /xoadulieu)."""

from __future__ import annotations

from typing import Any

from starlette.requests import Request
from starlette.responses import RedirectResponse, Response
from starlette.routing import Route

from bot.admin.render import message_page, page
from bot.admin.session import staff_page
from nlu.taxonomy import PROVINCE_BY_ID, PROVINCES
from storage.console import users
from storage.console.paging import page_number
from storage.errors import NotFound
from storage.repos.demands import STATUS_NAMES
from storage.repos.staff import StaffMember


@staff_page
async def listing(request: Request, member: StaffMember) -> Response:
    q = request.query_params
    channel = str(q.get("channel") or "").strip()[:32] or None
    province = str(q.get("province") or "").strip()
    query = {"channel": channel, "province": province if province in PROVINCE_BY_ID else None,
             "q": str(q.get("q") or "").strip()[:100] or None,
             "subscribed": "1" if q.get("subscribed") == "1" else None}
    db = request.app.state.db
    counts = await users.counts(db, member)
    rows = await users.page(db, member, channel=channel, province=query["province"],
                            query=query["q"], subscribed=bool(query["subscribed"]),
                            number=page_number(q.get("page")))
    return page(request, "users.html", member, counts=counts, rows=rows, query=query,
                provinces=PROVINCES)


async def _user_page(request: Request, member: StaffMember, template: str,
                     **extra: Any) -> Response:
    try:
        found = await users.detail(request.app.state.db, member, request.path_params["user_id"])
    except NotFound as missing:
        return message_page(request, "Không tìm thấy", str(missing), status=404, member=member)
    return page(request, template, member, u=found, statuses=STATUS_NAMES,
                province=PROVINCE_BY_ID.get(found.province or ""), **extra)


@staff_page
async def one(request: Request, member: StaffMember) -> Response:
    return await _user_page(request, member, "user.html",
                            forgotten=request.query_params.get("forgotten") == "1")


@staff_page
async def confirm_forget(request: Request, member: StaffMember) -> Response:
    return await _user_page(request, member, "user_forget.html")


@staff_page
async def forget(request: Request, member: StaffMember) -> Response:
    user_id = request.path_params["user_id"]
    if (await request.form()).get("confirm") != "yes":
        return await _user_page(request, member, "user_forget.html",
                                error="Anh/chị vui lòng đánh dấu ô xác nhận trước khi xoá.")
    try:
        await users.forget(request.app.state.db, member, user_id)
    except NotFound as missing:
        return message_page(request, "Không tìm thấy", str(missing), status=404, member=member)
    return RedirectResponse(f"/admin/users/{user_id}?forgotten=1", status_code=303)


routes = [
    Route("/users", listing, methods=["GET"]),
    Route("/users/{user_id:int}", one, methods=["GET"]),
    Route("/users/{user_id:int}/forget", confirm_forget, methods=["GET"]),
    Route("/users/{user_id:int}/forget", forget, methods=["POST"]),
]
