"""`/thamgia <mã>`: a new staff member joins their connection point with the share code an admin
gave them (`/canbo ma`), from their own chat account on any channel."""

from __future__ import annotations

from handlers.base import Context, Router
from handlers.ui import main_menu
from storage.errors import StorageError
from storage.repos import staff_invites

router = Router("joining")


@router.command("thamgia")
async def join(ctx: Context) -> None:
    if not ctx.args:
        ctx.say("Dạ, anh/chị gõ /thamgia kèm mã mời mà quản trị viên của điểm kết nối đã gửi "
                "(ví dụ: /thamgia KN-ABCD2345) ạ.", main_menu())
        return
    inc = ctx.incoming
    try:
        member = await staff_invites.join(ctx.db, ctx.args[0], inc.channel, str(inc.user_id),
                                          inc.user_name, now=ctx.now())
    except StorageError as exc:
        ctx.say(f"Dạ, {str(exc)[0].lower()}{str(exc)[1:]}", main_menu())
        return
    ctx.say(f"Dạ, chào mừng anh/chị {member.label} là cán bộ của {member.point_name}! Anh/chị "
            "gõ /canbo để xem các lệnh dành cho cán bộ ạ.")
