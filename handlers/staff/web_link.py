"""`/web`: a staff member asks for a one-time link that signs them in to the web console."""

from __future__ import annotations

from handlers.base import Context, Router
from handlers.staff.access import staff_only
from storage.repos import web_logins
from storage.repos.staff import StaffMember

router = Router("staff_web_link")

NOT_ENABLED = ("Dạ, trang quản trị trên web chưa được bật trên máy chủ này ạ. Anh/chị vui lòng "
               "báo quản trị viên đặt KETNOI_SECRET_KEY và KETNOI_PUBLIC_URL.")
LINK = ("Dạ, đây là đường dẫn đăng nhập trang quản trị của {point}:\n{url}\n\n"
        "Đường dẫn dùng được một lần trong 10 phút. Anh/chị vui lòng không chuyển cho người khác; "
        "khi cần, gõ /web để lấy đường dẫn mới.")


@router.command("web")
@staff_only
async def web_link(ctx: Context, member: StaffMember) -> None:
    settings = ctx.services.settings
    if settings is None or not getattr(settings, "secret_key", None):
        ctx.say(NOT_ENABLED)
        return
    _, token = await web_logins.issue(ctx.db, member.channel, member.user_id)
    url = settings.console_login_url(token)
    ctx.say(LINK.format(point=member.point_name, url=url), link=url)
