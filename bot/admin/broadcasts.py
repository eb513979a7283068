"""/admin/broadcasts: the list, composing (text or an event, an audience, now or at a time) with
the live recipient count, the delivery report that fills as it is sent, and cancelling.

The message and the broadcast are built as in chat (`handlers.news_render.broadcast_message`,
`storage.repos.broadcasts.create`): subscribers get the same message whichever way it was sent.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from markupsafe import escape
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response
from starlette.routing import Route

from bot.admin.render import message_page, page
from bot.admin.session import staff_page
from bot.types import outgoing_to_dict
from handlers.news_render import KIND_LABELS, REASONS, broadcast_message
from nlu.taxonomy import PROVINCE_BY_ID, PROVINCES, SECTOR_BY_ID, SECTORS
from storage.console import broadcasts as listing
from storage.console.paging import page_number, valid_id
from storage.convert import LOCAL_TZ
from storage.errors import InvalidValue, NotFound, StorageError
from storage.models import EVENT_KINDS
from storage.repos import broadcasts
from storage.repos.broadcasts import Audience, BroadcastInfo
from storage.repos.staff import StaffMember
from storage.sqltypes import utcnow

MAX_TEXT = 3000
STATUS_LABELS = {"scheduled": "Chờ giờ gửi", "sending": "Đang gửi", "done": "Đã gửi xong",
                 "cancelled": "Đã hủy"}


@dataclass(frozen=True, slots=True)
class Draft:
    text: str
    event: str | None
    audience: Audience
    send_at: datetime | None


def _audience(form: Any, member: StaffMember) -> Audience:
    if form.get("scope") == "point":
        return Audience(point=member.point)
    pick: dict[str, Any] = {"sector": SECTOR_BY_ID, "province": PROVINCE_BY_ID,
                            "kind": EVENT_KINDS}
    chosen = {k: tuple(str(v) for v in form.getlist(k) if str(v) in pick[k])[:20] for k in pick}
    return Audience(chosen["sector"], chosen["province"], chosen["kind"])


def _send_at(form: Any) -> datetime | None:
    if form.get("when") != "later":
        return None
    try:
        moment = datetime.fromisoformat(str(form.get("at") or "")).replace(tzinfo=LOCAL_TZ)
    except ValueError as bad:
        raise InvalidValue("Anh/chị vui lòng chọn ngày giờ gửi.") from bad
    if moment <= utcnow():
        raise InvalidValue("Giờ gửi đã qua; anh/chị chọn một thời điểm sắp tới.")
    return moment


def _draft(form: Any, member: StaffMember) -> Draft:
    text = str(form.get("text") or "").strip()[:MAX_TEXT]
    event = str(form.get("event") or "").strip()[:40] if form.get("content") == "event" else ""
    if form.get("content") == "event" and not event:
        raise InvalidValue("Anh/chị vui lòng chọn sự kiện cần thông báo.")
    if not event and len(text) < 10:
        raise InvalidValue("Anh/chị vui lòng nhập nội dung tin (ít nhất vài từ).")
    return Draft(text, event or None, _audience(form, member), _send_at(form))


def _compose_page(request: Request, member: StaffMember, form: Any, events: list[Any],
                  error: str | None = None, status: int = 200) -> Response:
    many = {k: [str(v) for v in (form.getlist(k) if hasattr(form, "getlist") else
                                 [form[k]] if k in form else [])]
            for k in ("sector", "province", "kind")}
    return page(request, "broadcast_new.html", member, status, form=form, many=many,
                events=events, error=error, sectors=SECTORS, provinces=PROVINCES,
                kinds=KIND_LABELS)


@staff_page
async def index(request: Request, member: StaffMember) -> Response:
    rows = await listing.page(request.app.state.db, member,
                              page_number(request.query_params.get("page")))
    return page(request, "broadcasts.html", member, rows=rows, query={},
                status_labels=STATUS_LABELS)


@staff_page
async def compose(request: Request, member: StaffMember) -> Response:
    events = await broadcasts.upcoming_events(request.app.state.db, utcnow(), limit=20)
    return _compose_page(request, member, {"scope": "" if member.national else "point",
                                           "content": "text", "when": "now"}, events)


@staff_page
async def recipients(request: Request, member: StaffMember) -> Response:
    """The live count of the compose form (an HTML fragment)."""
    q = request.query_params
    per_channel = await broadcasts.preview(request.app.state.db, _audience(q, member))
    total = sum(per_channel.values())
    detail = ", ".join(f"{c}: {n}" for c, n in per_channel.items())
    html = (f"Sẽ gửi tới <strong>{total}</strong> người đăng ký nhận tin"
            + (f" ({detail})" if detail else "") + ".")
    return Response(html, media_type="text/html; charset=utf-8",
                    headers={"Cache-Control": "no-store"})


@staff_page
async def preview(request: Request, member: StaffMember) -> Response:
    """The message as subscribers will read it (an HTML fragment for the compose form)."""
    q = request.query_params
    text = str(q.get("text") or "").strip()[:MAX_TEXT]
    code = str(q.get("event") or "").strip()[:40] if q.get("content") == "event" else ""
    try:
        event = await broadcasts.event_for(request.app.state.db, code) if code else None
    except NotFound:
        event = None
    if not text and event is None:
        html = "Nội dung tin sẽ hiện ở đây khi anh/chị nhập."
    else:
        message = broadcast_message(text, event, LOCAL_TZ)
        buttons = "".join(f' <span class="button">{escape(b.label)}</span>'
                          for b in message.buttons)
        html = f'<span class="pre">{escape(message.text)}</span>{buttons}'
    return Response(html, media_type="text/html; charset=utf-8",
                    headers={"Cache-Control": "no-store"})


@staff_page
async def create(request: Request, member: StaffMember) -> Response:
    db, form = request.app.state.db, await request.form()
    try:
        draft = _draft(form, member)
        event = await broadcasts.event_for(db, draft.event) if draft.event else None
        payload = outgoing_to_dict(broadcast_message(draft.text, event, LOCAL_TZ))
        info = await broadcasts.create(
            db, created_by=f"{member.channel}:{member.user_id}", payload=payload,
            audience=draft.audience, text=draft.text, event_code=draft.event,
            send_at=draft.send_at, point=member.point)
    except StorageError as bad:
        events = await broadcasts.upcoming_events(db, utcnow(), limit=20)
        return _compose_page(request, member, form, events, str(bad), status=400)
    return RedirectResponse(f"/admin/broadcasts/{info.id}", status_code=303)


async def _report(request: Request, member: StaffMember) -> BroadcastInfo:
    broadcast_id = request.path_params["broadcast_id"]
    info = await broadcasts.report(request.app.state.db, broadcast_id) if valid_id(
        broadcast_id) else None
    if info is None or not listing.visible(member, info.point):
        raise NotFound(f"Không tìm thấy đợt tin số {broadcast_id}.")
    return info


def _context(info: BroadcastInfo) -> dict[str, Any]:
    c = info.counts
    done = c.sent + sum(c.failed.values()) + sum(c.skipped.values())
    return {"b": info, "c": c, "reasons": REASONS, "status_labels": STATUS_LABELS,
            "percent": round(100 * done / info.recipients) if info.recipients else 100,
            "audience": describe(info.audience)}


def describe(audience: Audience) -> str:
    """Who a broadcast goes to, in words (as the chat's confirmation says it)."""
    if audience.point:
        return f"người đăng ký thuộc điểm {audience.point}"
    parts = [SECTOR_BY_ID[s].name for s in audience.sectors if s in SECTOR_BY_ID]
    parts += [PROVINCE_BY_ID[p].name for p in audience.provinces if p in PROVINCE_BY_ID]
    parts += [KIND_LABELS.get(k, k) for k in audience.kinds]
    return ", ".join(parts) or "tất cả người đăng ký nhận tin"


@staff_page
async def one(request: Request, member: StaffMember) -> Response:
    try:
        info = await _report(request, member)
    except NotFound as missing:
        return message_page(request, "Không tìm thấy", str(missing), status=404, member=member)
    return page(request, "broadcast.html", member, **_context(info))


@staff_page
async def report(request: Request, member: StaffMember) -> Response:
    """The delivery report alone, polled by the page until it is finished."""
    try:
        info = await _report(request, member)
    except NotFound as missing:
        return message_page(request, "Không tìm thấy", str(missing), status=404, member=member)
    return page(request, "broadcast_report.html", member, **_context(info))


@staff_page
async def cancel(request: Request, member: StaffMember) -> Response:
    try:
        info = await _report(request, member)
        if info.point is None and not member.national:
            raise NotFound(f"Đợt tin số {info.id} gửi từ dòng lệnh; chỉ cán bộ điểm quốc gia "
                           "hủy được.")
        await broadcasts.cancel(request.app.state.db, info.id,
                                actor=f"{member.channel}:{member.user_id}")
    except NotFound as missing:
        return message_page(request, "Không tìm thấy", str(missing), status=404, member=member)
    return RedirectResponse(f"/admin/broadcasts/{info.id}", status_code=303)


routes = [
    Route("/broadcasts", index, methods=["GET"]),
    Route("/broadcasts", create, methods=["POST"]),
    Route("/broadcasts/new", compose, methods=["GET"]),
    Route("/broadcasts/count", recipients, methods=["GET"]),
    Route("/broadcasts/preview", preview, methods=["GET"]),
    Route("/broadcasts/{broadcast_id:int}", one, methods=["GET"]),
    Route("/broadcasts/{broadcast_id:int}/report", report, methods=["GET"]),
    Route("/broadcasts/{broadcast_id:int}/cancel", cancel, methods=["POST"]),
]
