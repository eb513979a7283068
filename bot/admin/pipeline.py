"""The demand page's pipeline steps: take, assign to a staff member, propose, connect, close
with an outcome, reopen, move to another point.

Each step is `storage.repos.pipeline`'s, with the same texts as in chat
(`handlers.pipeline_text`): the enterprise is told exactly as when staff act there. A form sent
by the page's script (header `X-Partial`) gets back the pipeline section only; a plain form
gets a redirect to the page.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

from starlette.requests import Request
from starlette.responses import RedirectResponse, Response
from starlette.routing import Route

from bot.admin.render import message_page
from bot.admin.session import staff_page
from handlers.pipeline_text import staff_alert, user_update
from storage.console import demand_actions, demands
from storage.errors import InvalidValue, NotFound, StorageError
from storage.repos import pipeline
from storage.repos.demands import OUTCOME_NAMES
from storage.repos.pipeline import Actor
from storage.repos.pipeline_view import DemandCard
from storage.repos.staff import StaffMember

DONE = {
    "take": "Anh/chị đã nhận xử lý yêu cầu; doanh nghiệp đã được báo.",
    "assign": "Đã giao yêu cầu cho cán bộ; doanh nghiệp đã được báo.",
    "propose": "Đã gửi đề xuất cho doanh nghiệp.",
    "connect": "Đã ghi nhận kết nối và báo doanh nghiệp.",
    "close": "Đã đóng yêu cầu và báo doanh nghiệp.",
    "reopen": "Đã mở lại yêu cầu.",
    "move": "Đã chuyển yêu cầu sang điểm kết nối khác; cán bộ điểm đó đã được báo.",
}
Step = Callable[[Request, StaffMember, DemandCard, Any], Awaitable[DemandCard]]


def actor(member: StaffMember) -> Actor:
    return Actor(f"{member.channel}:{member.user_id}", member.name)


def _note(form: Any) -> str | None:
    return str(form.get("note") or "").strip()[:1000] or None


async def _take(request: Request, m: StaffMember, d: DemandCard, form: Any) -> DemandCard:
    return await pipeline.take(request.app.state.db, d.id, actor(m), tell=user_update)


async def _assign(request: Request, m: StaffMember, d: DemandCard, form: Any) -> DemandCard:
    db = request.app.state.db
    key = str(form.get("staff") or "")
    if key not in {c.key for c in await demand_actions.staff_choices(db, d.point_code)}:
        raise InvalidValue("Anh/chị vui lòng chọn một cán bộ của điểm kết nối này.")
    channel, _, user_id = key.partition(":")
    return await pipeline.assign(db, d.id, channel, user_id, actor(m), tell=user_update)


async def _propose(request: Request, m: StaffMember, d: DemandCard, form: Any) -> DemandCard:
    techs, experts = demand_actions.split_refs([str(v) for v in form.getlist("pick")])
    if not techs and not experts:
        raise InvalidValue("Anh/chị vui lòng chọn ít nhất một công nghệ hoặc chuyên gia để "
                           "đề xuất.")
    return await pipeline.change(request.app.state.db, d.id, "proposed", actor(m),
                                 technology_ids=techs, expert_ids=experts, note=_note(form),
                                 tell=user_update)


async def _connect(request: Request, m: StaffMember, d: DemandCard, form: Any) -> DemandCard:
    techs, experts = demand_actions.split_refs([str(form.get("with") or "")])
    return await pipeline.change(request.app.state.db, d.id, "connected", actor(m),
                                 technology_ids=techs, expert_ids=experts, note=_note(form),
                                 tell=user_update)


async def _close(request: Request, m: StaffMember, d: DemandCard, form: Any) -> DemandCard:
    outcome = str(form.get("outcome") or "")
    if outcome not in OUTCOME_NAMES:
        raise InvalidValue("Anh/chị vui lòng chọn kết quả khi đóng yêu cầu.")
    return await pipeline.change(request.app.state.db, d.id, "closed", actor(m),
                                 outcome=outcome, note=_note(form), tell=user_update)


async def _reopen(request: Request, m: StaffMember, d: DemandCard, form: Any) -> DemandCard:
    return await pipeline.change(request.app.state.db, d.id, "new", actor(m),
                                 note=_note(form) or "Mở lại")


async def _move(request: Request, m: StaffMember, d: DemandCard, form: Any) -> DemandCard:
    point = str(form.get("point") or "").strip()[:32]
    if not point:
        raise InvalidValue("Anh/chị vui lòng chọn điểm kết nối nhận yêu cầu.")
    return await pipeline.move(request.app.state.db, d.id, point, actor(m), alert=staff_alert,
                               note=_note(form))


STEPS: dict[str, Step] = {"take": _take, "assign": _assign, "propose": _propose,
                          "connect": _connect, "close": _close, "reopen": _reopen,
                          "move": _move}


@staff_page
async def act(request: Request, member: StaffMember) -> Response:
    from bot.admin.demands import render_demand

    demand_id, step = request.path_params["demand_id"], request.path_params["step"]
    partial = request.headers.get("x-partial") == "1"
    try:
        await demands.detail(request.app.state.db, member, demand_id)  # NotFound: not theirs
        found = await pipeline.card(request.app.state.db, demand_id)
        if step not in STEPS:
            raise NotFound("Không có thao tác này.")
    except NotFound as missing:
        return message_page(request, "Không tìm thấy", str(missing), status=404, member=member)
    try:
        await STEPS[step](request, member, found, await request.form())
    except StorageError as refused:
        if partial:
            return await render_demand(request, member, demand_id, error=str(refused),
                                       status=409, partial=True)
        return message_page(request, "Chưa thực hiện được", str(refused), status=409,
                            member=member)
    if partial:
        return await render_demand(request, member, demand_id, done=DONE[step], partial=True)
    if step == "move" and not member.sees((await pipeline.card(request.app.state.db,
                                                               demand_id)).point_code):
        return RedirectResponse(f"/admin/demands?moved={demand_id}", status_code=303)
    return RedirectResponse(f"/admin/demands/{demand_id}?done={step}", status_code=303)


routes = [Route("/demands/{demand_id:int}/act/{step}", act, methods=["POST"])]
