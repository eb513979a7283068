"""Signing in from a chat link, and signing out.

GET /admin/login?token=… only shows a button: chat apps fetch links for their previews, and a GET
that spent the token would sign nobody in and burn the link. The POST spends it; it carries no
CSRF token (there is no session yet): the one-time token is the secret. Every other POST is
checked against the session's CSRF token.
"""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import RedirectResponse, Response
from starlette.routing import Route

from bot.admin.render import message_page, page
from bot.admin.session import BAD_CSRF, csrf_ok, current_member, sign_in, sign_out
from storage.repos import web_logins
from storage.repos.web_logins import LoginRefused

TOKEN_MAX = 200


async def login_form(request: Request) -> Response:
    token = str(request.query_params.get("token") or "")[:TOKEN_MAX]
    if not token:
        return message_page(request, "Thiếu mã đăng nhập", str(web_logins.LinkUnknown()),
                            status=400)
    return page(request, "login.html", await current_member(request), token=token)


async def login(request: Request) -> Response:
    form = await request.form()
    token = str(form.get("token") or "")[:TOKEN_MAX]
    try:
        member = await web_logins.redeem(request.app.state.db, token)
    except LoginRefused as refused:
        sign_out(request)
        return message_page(request, "Không đăng nhập được", str(refused), status=403)
    sign_in(request, member)
    return RedirectResponse("/admin/demands", status_code=303)


async def logout(request: Request) -> Response:
    if await current_member(request) is not None and not await csrf_ok(request,
                                                                        await request.form()):
        return message_page(request, "Biểu mẫu không hợp lệ", BAD_CSRF, status=403)
    sign_out(request)
    return message_page(request, "Đã đăng xuất",
                        "Anh/chị đã đăng xuất. Gõ /web trong chat với bot để đăng nhập lại.")


async def home(request: Request) -> Response:
    if await current_member(request) is None:
        from bot.admin.session import NOT_SIGNED_IN

        return message_page(request, "Chưa đăng nhập", NOT_SIGNED_IN, status=401)
    return RedirectResponse("/admin/demands", status_code=303)


routes = [
    Route("/", home, methods=["GET"]),
    Route("/login", login_form, methods=["GET"]),
    Route("/login", login, methods=["POST"]),
    Route("/logout", logout, methods=["POST"]),
]
