"""Jinja2 pages of the web console, with what every page shows (the member, the CSRF token)."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

from jinja2 import Environment, FileSystemLoader, select_autoescape
from starlette.requests import Request
from starlette.responses import HTMLResponse

from storage.convert import LOCAL_TZ
from storage.repos.staff import StaffMember

TEMPLATES = Path(__file__).parent / "templates"


def _local(value: Any, fmt: str = "%d/%m/%Y %H:%M") -> str:
    if isinstance(value, str):
        try:
            value = datetime.fromisoformat(value)
        except ValueError:
            return value
    if isinstance(value, datetime):
        return value.astimezone(LOCAL_TZ).strftime(fmt)
    return ""


def _with(query: dict[str, Any], **changes: Any) -> str:
    """The query string of the current filter with some values changed (paging links)."""
    merged = {**query, **changes}
    return urlencode({k: v for k, v in merged.items() if v not in (None, "")})


env = Environment(loader=FileSystemLoader(TEMPLATES), autoescape=select_autoescape(["html"]),
                  trim_blocks=True, lstrip_blocks=True)
env.filters["local"] = _local
env.globals["with_query"] = _with


def page(request: Request, template: str, member: StaffMember | None, status: int = 200,
         **context: Any) -> HTMLResponse:
    from bot.admin.session import csrf_token

    html = env.get_template(template).render(member=member, csrf=csrf_token(request),
                                             path=request.url.path, **context)
    return HTMLResponse(html, status_code=status,
                        headers={"Cache-Control": "no-store", "X-Frame-Options": "DENY",
                                 "Referrer-Policy": "no-referrer"})


def message_page(request: Request, title: str, message: str, *, status: int = 200,
                 member: StaffMember | None = None) -> HTMLResponse:
    return page(request, "message.html", member, status, title=title, message=message)
