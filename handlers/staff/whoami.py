"""`/canbo`: a staff member checks their role, their point and the staff commands."""

from __future__ import annotations

from handlers.base import Context, Router
from handlers.staff import team
from handlers.staff.access import NOT_ADMIN, staff_only
from handlers.ui import bullet_list, main_menu
from nlu.normalize import plain
from storage.repos.staff import StaffMember

router = Router("staff_whoami")

STAFF_COMMANDS = (
    "/duyet: duyệt công nghệ doanh nghiệp/viện chào bán qua chat",
    "/nhucau [trạng thái | lĩnh vực]: các yêu cầu đang mở của điểm, xử lý từng yêu cầu",
    "/guitin: soạn và gửi tin cho người đăng ký nhận tin",
    "/baocaotin <số>: kết quả gửi của một đợt tin",
    "/baocao: báo cáo số liệu (ảnh tổng quan và bảng tính Excel)",
    "/web: đường dẫn đăng nhập trang quản trị trên web",
    "/hoithoai: yêu cầu gặp cán bộ đang chờ và các cuộc trò chuyện của anh/chị",
    "/tra <số> <nội dung>: trả lời một người khi đang trò chuyện với nhiều người",
    "/ketthuc [số]: kết thúc cuộc trò chuyện với người dùng",
    "/trucban [bật|tắt]: vào/nghỉ trực (chỉ cán bộ đang trực nhận cảnh báo nhu cầu mới)",
    "/gioithieu: các yêu cầu giới thiệu chuyên gia của điểm",
)
ADMIN_WORDS = {"them": "add", "add": "add", "ds": "list", "danh sach": "list", "list": "list",
               "ma": "invite", "ma moi": "invite", "moi": "invite", "invite": "invite"}


@router.command("canbo")
@staff_only
async def whoami(ctx: Context, member: StaffMember) -> None:
    if ctx.args:  # "/canbo them ...": staff management, for admins only
        if not member.is_admin:
            ctx.say(NOT_ADMIN, main_menu())
            return
        action = ADMIN_WORDS.get(plain(ctx.args[0]))
        if action == "add":
            await team.add_member(ctx, member, ctx.args[1:])
        elif action == "invite":
            await team.invite(ctx, member)
        else:
            await team.team_list(ctx, member)
        return
    role = "quản trị viên" if member.is_admin else "cán bộ"
    scope = " (xem được công việc của mọi điểm)" if member.national else ""
    who = f"anh/chị {member.name}" if member.name else "anh/chị"
    ctx.say(f"Dạ, {who} là {role} của {member.point_name} ({member.point}){scope}.\n\n"
            + ("Anh/chị đang trực.\n\n" if member.on_duty else "Anh/chị đang nghỉ trực.\n\n")
            + "Các lệnh dành cho cán bộ:\n" + bullet_list(list(STAFF_COMMANDS))
            + ("\n• /canbo ds: quản lý cán bộ của điểm (thêm, bỏ, trực, dự phòng)"
               "\n• /canbo ma: tạo mã mời cán bộ mới"
               if member.is_admin else ""))
