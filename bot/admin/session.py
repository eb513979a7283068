"""Who is signed in to the web console, and the CSRF token of their session.

The session lives in a cookie signed with KETNOI_SECRET_KEY (Starlette's SessionMiddleware); it
holds the staff member's chat account, when they signed in and a random CSRF token. Every request
looks the member up again, so taking away the staff role also closes their console.
"""

from __future__ import annotations

import functools
import secrets
import time
from collections.abc import Awaitable, Callable
from typing import Any

from starlette.requests import Request
from starlette.responses import Response

from storage.repos import staff
from storage.repos.staff import StaffMember

Page = Callable[[Request, StaffMember], Awaitable[Response]]

NOT_SIGNED_IN = ("Anh/chị chưa đăng nhập hoặc phiên làm việc đã hết hạn. Để đăng nhập, anh/chị "
                 "gõ /web trong cuộc trò chuyện với bot và mở đường dẫn bot gửi (dùng được một lần "
                 "trong 10 phút).")
BAD_CSRF = ("Biểu mẫu đã hết hạn hoặc không hợp lệ, nên chưa có gì thay đổi. Anh/chị vui lòng "
            "tải lại trang và thử lại.")


def sign_in(request: Request, member: StaffMember) -> None:
    request.session.clear()
    request.session.update({"channel": member.channel, "user_id": member.user_id,
                            "since": int(time.time()), "csrf": secrets.token_urlsafe(32)})


def sign_out(request: Request) -> None:
    request.session.clear()


def csrf_token(request: Request) -> str:
    return str(request.session.get("csrf") or "")


async def current_member(request: Request) -> StaffMember | None:
    session = request.session
    lifetime = request.app.state.session_seconds
    since = session.get("since")
    if not isinstance(since, int) or time.time() - since > lifetime:
        session.clear()
        return None
    return await staff.find(request.app.state.db, str(session.get("channel") or ""),
                            str(session.get("user_id") or ""))


async def csrf_ok(request: Request, form: Any) -> bool:
    expected = csrf_token(request)
    given = str(form.get("csrf") or "")
    return bool(expected) and secrets.compare_digest(expected.encode(), given.encode())


def staff_page(handler: Page) -> Callable[[Request], Awaitable[Response]]:
    """Run the page for a signed-in staff member; everyone else gets the sign-in explanation
    (401); a POST without the session's CSRF token changes nothing (403)."""
    from bot.admin.render import message_page

    @functools.wraps(handler)
    async def page(request: Request) -> Response:
        member = await current_member(request)
        if member is None:
            return message_page(request, "Chưa đăng nhập", NOT_SIGNED_IN, status=401)
        if request.method == "POST" and not await csrf_ok(request, await request.form()):
            return message_page(request, "Biểu mẫu không hợp lệ", BAD_CSRF, status=403,
                                member=member)
        return await handler(request, member)

    return page
