"""The one gate in front of every staff command: staff pass, everyone else is refused politely.

    @router.command("guitin")
    @staff_only
    async def broadcast(ctx: Context, member: StaffMember) -> None: ...

A refused user gets a short Vietnamese answer and the main menu; nothing is read or changed on
their behalf (the wrapped handler never runs).
"""

from __future__ import annotations

import functools
from collections.abc import Awaitable, Callable

from handlers.base import Context, Handler
from handlers.ui import main_menu
from storage.repos import staff
from storage.repos.staff import StaffMember

StaffHandler = Callable[[Context, StaffMember], Awaitable[None]]

NOT_STAFF = ("Dạ, chức năng này chỉ dành cho cán bộ của các điểm kết nối cung cầu công nghệ ạ. "
             "Nếu anh/chị là cán bộ, vui lòng liên hệ quản trị viên để được cấp quyền. "
             "Em có thể giúp anh/chị việc khác:")
NOT_ADMIN = ("Dạ, chức năng này chỉ dành cho quản trị viên của điểm kết nối ạ. "
             "Anh/chị vui lòng liên hệ quản trị viên nếu cần.")


async def current_member(ctx: Context) -> StaffMember | None:
    """The staff member writing, or None (for handlers that only show more to staff)."""
    return await staff.find(ctx.db, ctx.incoming.channel, str(ctx.incoming.user_id))


def _gate(handler: StaffHandler, *, admin: bool) -> Handler:
    @functools.wraps(handler)
    async def gated(ctx: Context) -> None:
        member = await current_member(ctx)
        if member is None:
            ctx.say(NOT_STAFF, main_menu())
            return
        if admin and not member.is_admin:
            ctx.say(NOT_ADMIN, main_menu())
            return
        await handler(ctx, member)

    gated.staff_only = True  # type: ignore[attr-defined]  # lets tests find every gated handler
    gated.admin_only = admin  # type: ignore[attr-defined]
    return gated


def staff_only(handler: StaffHandler) -> Handler:
    """Run `handler(ctx, member)` for staff (and admins); refuse everyone else."""
    return _gate(handler, admin=False)


def admin_only(handler: StaffHandler) -> Handler:
    """Run `handler(ctx, member)` for admins only."""
    return _gate(handler, admin=True)


def is_gated(handler: Handler) -> bool:
    return bool(getattr(handler, "staff_only", False))


def is_admin_only(handler: Handler) -> bool:
    return bool(getattr(handler, "admin_only", False))
