"""`/gioithieu`: staff work through the expert introductions of their point (the national point
sees all): each request with its next steps as buttons, "Đã liên hệ chuyên gia" / "Chuyên gia
đồng ý" / "Không phù hợp" (`gt:<status>:<id>[:<expert>]`, the expert for a request that had
none). The user is told at each step; storage refuses a stale or already decided request.
"""

from __future__ import annotations

from handlers.base import Context, Router
from handlers.introduction_text import staff_buttons, staff_text, user_update
from handlers.staff.access import staff_only
from handlers.ui import main_menu
from storage.errors import StorageError
from storage.repos import introductions
from storage.repos.introductions import IntroCard
from storage.repos.staff import StaffMember

router = Router("staff_introductions")
PAGE = 5
DONE = {"contacted": "Dạ, đã ghi nhận: đã liên hệ chuyên gia; doanh nghiệp đã được báo.",
        "agreed": "Dạ, đã ghi nhận chuyên gia đồng ý; doanh nghiệp đã nhận cách liên hệ.",
        "declined": "Dạ, đã ghi nhận không phù hợp; doanh nghiệp đã được báo."}


def who(member: StaffMember) -> str:
    return f"{member.channel}:{member.user_id}" + (f" ({member.name})" if member.name else "")


async def show(ctx: Context, found: IntroCard, head: str = "") -> None:
    experts = (await introductions.demand_experts(ctx.db, found.id)
               if found.expert_id is None else [])
    ctx.say((head + "\n\n" if head else "") + staff_text(found), staff_buttons(found, experts))


@router.command("gioithieu")
@staff_only
async def list_introductions(ctx: Context, member: StaffMember) -> None:
    page = (int(ctx.args[0]) - 1 if ctx.args and ctx.args[0].isdecimal() and len(ctx.args[0]) < 5
            and int(ctx.args[0]) > 0 else 0)
    found = await introductions.open_list(ctx.db, point=None if member.national else member.point,
                                          limit=PAGE + 1, offset=min(page, 1000) * PAGE)
    if not found:
        ctx.say("Dạ, hiện không có yêu cầu giới thiệu chuyên gia nào đang chờ ạ.", main_menu())
        return
    for item in found[:PAGE]:
        await show(ctx, item)
    if len(found) > PAGE:
        ctx.say(f"Còn yêu cầu khác: gõ /gioithieu {page + 2} để xem trang sau ạ.")


async def of_demand(ctx: Context, member: StaffMember, demand_id: int) -> None:
    """The introduction requests of one demand (from its card)."""
    found = [c for c in await introductions.of_demand(ctx.db, demand_id)
             if member.sees(c.point_code)]
    if not found:
        ctx.say(f"Dạ, yêu cầu số {demand_id} chưa có yêu cầu giới thiệu chuyên gia nào (của điểm "
                "anh/chị) ạ.", [("Xem yêu cầu", f"nc:card:{demand_id}")])
        return
    for item in found:
        await show(ctx, item)


@router.button("gt")
@staff_only
async def on_button(ctx: Context, member: StaffMember) -> None:
    status, *rest = ctx.args or [""]
    if status == "ls":
        ctx.args = []
        await list_introductions(ctx)
        return
    if status == "dm" and rest and rest[0].isdecimal() and len(rest[0]) <= 9:
        await of_demand(ctx, member, int(rest[0]))
        return
    numbers = [int(x) for x in rest if x.isdecimal() and len(x) <= 9]
    if status not in DONE or not rest or len(numbers) != len(rest) or len(rest) > 2:
        ctx.say("Dạ, nút này không còn dùng được. Anh/chị xem lại bằng /gioithieu ạ.", main_menu())
        return
    try:
        found = await introductions.card(ctx.db, numbers[0])
    except StorageError:
        ctx.say("Dạ, em không tìm thấy yêu cầu giới thiệu này (có thể đã bị xoá) ạ.", main_menu())
        return
    if not member.sees(found.point_code):
        ctx.say(f"Dạ, yêu cầu giới thiệu số {found.id} thuộc điểm kết nối khác, anh/chị không xử "
                "lý được ạ.", main_menu())
        return
    try:
        done = await introductions.decide(ctx.db, found.id, status, who(member),
                                          expert_id=numbers[1] if len(numbers) > 1 else None,
                                          tell=user_update)
    except StorageError as exc:
        ctx.say(f"Dạ, {str(exc)[0].lower()}{str(exc)[1:]}", [("Danh sách giới thiệu", "gt:ls")])
        return
    await show(ctx, done, DONE[status])
