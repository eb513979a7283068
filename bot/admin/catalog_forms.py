"""/admin/catalog/experts/… and /admin/catalog/events/…: create, edit and archive experts and
events (technologies are in bot.admin.catalog). Saved items are found by the bot's next search;
archived ones are no longer suggested or listed, and an archived event takes no registration."""

from __future__ import annotations

from typing import Any

from starlette.requests import Request
from starlette.responses import RedirectResponse, Response
from starlette.routing import Route

from bot.admin.render import message_page, page
from bot.admin.session import staff_page
from handlers.news_render import KIND_LABELS
from nlu.taxonomy import PROVINCES, SECTORS
from storage.console import catalog_forms
from storage.convert import LOCAL_TZ
from storage.errors import InvalidValue, NotFound
from storage.repos.staff import StaffMember

TEMPLATES = {"experts": "expert.html", "events": "event.html"}
MOMENTS = ("starts_at", "ends_at", "registration_deadline")


def _kind(request: Request) -> str:
    return "experts" if "/catalog/experts/" in request.url.path else "events"


def _values(item: Any, kind: str) -> dict[str, Any]:
    """The item as the form's fields."""
    if kind == "experts":
        return {"code": item.code, "name": item.name, "title": item.title,
                "organisation": item.organisation, "fields": "; ".join(item.fields or []),
                "sectors": list(item.sectors or []), "bio": item.bio, "province": item.province,
                "country": item.country, "phone": (item.contact or {}).get("phone", ""),
                "email": (item.contact or {}).get("email", ""),
                "consent_contact": "1" if item.consent_contact else "",
                "archived": item.archived_at is not None}
    values = {k: getattr(item, k) for k in ("code", "title", "kind", "venue", "online_url",
                                            "province", "organiser", "capacity",
                                            "description")}
    values["sectors"], values["archived"] = list(item.sectors or []), item.archived_at is not None
    for key in MOMENTS:
        moment = getattr(item, key)
        values[key] = moment.astimezone(LOCAL_TZ).strftime("%Y-%m-%dT%H:%M") if moment else ""
    return values


def _form_page(request: Request, member: StaffMember, kind: str, values: dict[str, Any],
               item_id: int | None, error: str | None = None, status: int = 200) -> Response:
    return page(request, TEMPLATES[kind], member, status, values=values, item_id=item_id,
                error=error, sectors=SECTORS, provinces=PROVINCES, kinds=KIND_LABELS,
                saved=request.query_params.get("saved") == "1")


@staff_page
async def form(request: Request, member: StaffMember) -> Response:
    kind, item_id = _kind(request), request.path_params.get("item_id")
    if item_id is None:
        return _form_page(request, member, kind, {"sectors": []}, None)
    try:
        item = await catalog_forms.get(request.app.state.db, kind, item_id)
    except NotFound as missing:
        return message_page(request, "Không tìm thấy", str(missing), status=404, member=member)
    return _form_page(request, member, kind, _values(item, kind), item_id)


@staff_page
async def save(request: Request, member: StaffMember) -> Response:
    kind, item_id = _kind(request), request.path_params.get("item_id")
    sent = await request.form()
    values: dict[str, Any] = {k: str(v) for k, v in sent.items() if isinstance(v, str)}
    values["sectors"] = [str(v) for v in sent.getlist("sectors")]
    try:
        saved = await catalog_forms.save(request.app.state.db, kind, item_id, values)
    except NotFound as missing:
        return message_page(request, "Không tìm thấy", str(missing), status=404, member=member)
    except InvalidValue as bad:
        return _form_page(request, member, kind, values, item_id, str(bad), status=400)
    if hasattr(request.app.state.search, "invalidate"):
        request.app.state.search.invalidate()  # found by the next search here
    return RedirectResponse(f"/admin/catalog/{kind}/{saved}?saved=1", status_code=303)


@staff_page
async def archive(request: Request, member: StaffMember) -> Response:
    kind, item_id = _kind(request), request.path_params["item_id"]
    archived = str((await request.form()).get("archived") or "1") == "1"
    try:
        await catalog_forms.set_archived(request.app.state.db, kind, item_id, archived)
    except NotFound as missing:
        return message_page(request, "Không tìm thấy", str(missing), status=404, member=member)
    if hasattr(request.app.state.search, "invalidate"):
        request.app.state.search.invalidate()
    return RedirectResponse(f"/admin/catalog/{kind}/{item_id}", status_code=303)


routes = [route for kind in ("experts", "events") for route in (
    Route(f"/catalog/{kind}/new", form, methods=["GET"]),
    Route(f"/catalog/{kind}/new", save, methods=["POST"]),
    Route(f"/catalog/{kind}/{{item_id:int}}", form, methods=["GET"]),
    Route(f"/catalog/{kind}/{{item_id:int}}", save, methods=["POST"]),
    Route(f"/catalog/{kind}/{{item_id:int}}/archive", archive, methods=["POST"]),
)]
