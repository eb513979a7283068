"""The staff web console under /admin of `ketnoi serve` (server-rendered, Vietnamese).

Staff sign in from a one-time link the bot gives them (`/web` in chat or `ketnoi staff
login-link`); each page sees only the member's connection point, the national point sees all.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from starlette.applications import Starlette
from starlette.middleware import Middleware
from starlette.middleware.sessions import SessionMiddleware
from starlette.routing import BaseRoute, Mount
from starlette.staticfiles import StaticFiles

from bot.admin import (
    auth,
    broadcasts,
    catalog,
    catalog_forms,
    demands,
    offers,
    pipeline,
    reports,
    users,
)
from storage.db import Database
from storage.search import CatalogSearch

STATIC = Path(__file__).parent / "static"
SESSION_COOKIE = "ketnoi_admin"


def create_admin_app(db: Database, secret_key: str, *, secure_cookie: bool = True,
                     session_hours: float = 8.0, search: Any = None) -> Starlette:
    if len(secret_key or "") < 16:
        raise ValueError("KETNOI_SECRET_KEY must be at least 16 characters long")
    seconds = int(session_hours * 3600)
    routes: list[BaseRoute] = [*auth.routes, *demands.routes, *pipeline.routes, *offers.routes,
                               *catalog.routes, *catalog_forms.routes,
                               *broadcasts.routes, *reports.routes,
                               *users.routes,
                               Mount("/static", app=StaticFiles(directory=STATIC))]
    app = Starlette(routes=routes, middleware=[Middleware(
        SessionMiddleware, secret_key=secret_key, session_cookie=SESSION_COOKIE,
        max_age=seconds, path="/admin", same_site="lax", https_only=secure_cookie)])
    app.state.db = db
    app.state.search = search or CatalogSearch()  # `search`: CatalogSearch or its timed wrapper
    app.state.session_seconds = seconds
    return app
