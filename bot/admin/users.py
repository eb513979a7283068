"""/admin/users: how many people use the bot, by channel, and a filtered, paged list."""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from bot.admin.render import page
from bot.admin.session import staff_page
from nlu.taxonomy import PROVINCE_BY_ID, PROVINCES
from storage.console import users
from storage.console.paging import page_number
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


routes = [Route("/users", listing, methods=["GET"])]
