"""`/canbo`: a staff member checks their role, their point and the staff commands."""

from __future__ import annotations

from handlers.base import Context, Router
from handlers.staff.access import staff_only
from handlers.ui import bullet_list
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
)


@router.command("canbo")
@staff_only
async def whoami(ctx: Context, member: StaffMember) -> None:
    role = "quản trị viên" if member.is_admin else "cán bộ"
    scope = " (xem được công việc của mọi điểm)" if member.national else ""
    who = f"anh/chị {member.name}" if member.name else "anh/chị"
    ctx.say(f"Dạ, {who} là {role} của {member.point_name} ({member.point}){scope}.\n\n"
            "Các lệnh dành cho cán bộ:\n" + bullet_list(list(STAFF_COMMANDS)))
