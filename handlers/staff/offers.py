"""`/duyet`: staff review the technologies offered in chat (`pending_review`): "Duyệt" puts one
in the catalog at once, "Cần bổ sung" puts a question to the offerer in their chat (their answer
comes back to the reviewer and shows in the queue), "Từ chối" asks for a reason and archives it;
the offerer is told."""

from __future__ import annotations

from typing import Any

from handlers import parsers
from handlers.base import Context, Router
from handlers.forms import Form, Slot
from handlers.offer_text import (
    approved,
    offer_line,
    question_to_offerer,
    rejected,
    review_buttons,
)
from handlers.staff.access import current_member, staff_only
from handlers.ui import main_menu
from storage.errors import StorageError
from storage.repos import offers
from storage.repos.staff import StaffMember

router = Router("staff_offers")
SHOWN = 5


def reviews(member: StaffMember, point_code: str | None) -> bool:
    """An offer is reviewed by its point's staff and the national point; one whose point is
    unknown (no province given) by any staff member."""
    return point_code is None or member.sees(point_code)


async def _mine(ctx: Context, member: StaffMember, key: int) -> bool:
    """Is the offer of a button the member's to decide? Says why not."""
    try:
        offer = await offers.get(ctx.db, key)
    except StorageError as exc:
        ctx.say(f"Dạ, {exc}", [("Danh sách chờ duyệt", "dt:list")])
        return False
    if not reviews(member, offer.point_code):
        ctx.say(f"Dạ, công nghệ {offer.code} thuộc điểm kết nối khác ({offer.point_code}), "
                "anh/chị không duyệt được ạ.", [("Danh sách chờ duyệt", "dt:list")])
        return False
    return True


def who(member: StaffMember) -> str:
    return f"{member.channel}:{member.user_id}" + (f" ({member.name})" if member.name else "")


@router.command("duyet")
@staff_only
async def review(ctx: Context, member: StaffMember) -> None:
    waiting = await offers.pending(ctx.db, limit=SHOWN, visible=lambda p: reviews(member, p))
    if not waiting:
        ctx.say("Dạ, hiện không có công nghệ nào chờ duyệt ạ.", main_menu())
        return
    for offer in waiting:
        ctx.say(offer_line(offer), review_buttons(offer))


async def _decide(ctx: Context, member: StaffMember, key: str | int, approve: bool,
                  reason: str | None = None) -> None:
    try:
        offer = await offers.decide(ctx.db, key, approve, who(member), reason=reason,
                                    tell=approved if approve else rejected(reason))
    except StorageError as exc:
        ctx.say(f"Dạ, {exc}", [("Danh sách chờ duyệt", "dt:list")])
        return
    if approve:  # searchable by the next query here; other processes rebuild within seconds
        ctx.services.search.invalidate()
    done = "đã duyệt, công nghệ có trong danh mục và kết quả tìm kiếm" if approve else "đã từ chối"
    ctx.say(f"Dạ, {offer.code} {done}; người chào bán đã được báo.",
            [("Danh sách chờ duyệt", "dt:list")])


@router.button("dt")
@staff_only
async def on_button(ctx: Context, member: StaffMember) -> None:
    action, key = (ctx.args + ["", ""])[:2]
    key = key if len(key) <= 9 else ""  # ids fit an INTEGER column
    if action == "list":
        await review(ctx)
        return
    if action not in ("ok", "no", "ask") or not key.isdecimal():
        ctx.say("Dạ, nút này không còn dùng được. Anh/chị gõ /duyet để xem lại ạ.", main_menu())
        return
    if not await _mine(ctx, member, int(key)):
        return
    if action == "ok":
        await _decide(ctx, member, int(key), True)
    else:
        form = REJECT_FORM if action == "no" else ASK_FORM
        await ctx.start_form(form.name, {"technology": int(key)})


async def _reject(ctx: Context, values: dict[str, Any]) -> None:
    ctx.state.clear_form()
    member = await current_member(ctx)
    if member is None:  # removed while the form was open
        ctx.say("Dạ, tài khoản này không còn là cán bộ nên em chưa từ chối công nghệ ạ.",
                main_menu())
        return
    await _decide(ctx, member, int(values["technology"]), False, values.get("reason"))


REJECT_FORM = router.form(Form(
    name="offer_reject", title="việc từ chối công nghệ", confirm=False, on_done=_reject,
    slots=(Slot("reason", "Lý do", "Anh/chị cho biết lý do từ chối (người chào bán sẽ đọc) ạ.",
                parsers.short_text, switchable=False),),
))


async def _ask(ctx: Context, values: dict[str, Any]) -> None:
    ctx.state.clear_form()
    member = await current_member(ctx)
    if member is None:  # removed while the form was open
        ctx.say("Dạ, tài khoản này không còn là cán bộ nên em chưa gửi câu hỏi ạ.", main_menu())
        return
    try:
        offer = await offers.ask(ctx.db, int(values["technology"]), values["question"],
                                 who(member), tell=question_to_offerer)
    except StorageError as exc:
        ctx.say(f"Dạ, {exc}", [("Danh sách chờ duyệt", "dt:list")])
        return
    ctx.say(f"Dạ, em đã gửi câu hỏi cho người chào bán {offer.code}; khi họ trả lời, em sẽ báo "
            "anh/chị và công nghệ trở lại danh sách chờ duyệt ạ.",
            [("Danh sách chờ duyệt", "dt:list")])


ASK_FORM = router.form(Form(
    name="offer_question", title="việc hỏi bổ sung thông tin công nghệ", confirm=False,
    on_done=_ask,
    slots=(Slot("question", "Câu hỏi", "Anh/chị cần người chào bán bổ sung gì ạ? (Em sẽ gửi "
                "nguyên văn câu hỏi vào chat của họ.)", parsers.text, switchable=False,
                recap=False),),
))
