"""Who is on duty, and the admin's staff management in chat.

`/trucban [bật|tắt]`: a staff member starts or ends their duty (alerts of their point go to
the staff on duty; nobody on duty → the point's fallback staff → the national point).
`/canbo` (admins): the point's staff with buttons to set duty, fallback, point, or remove;
`/canbo them <kênh> <mã người dùng> [họ tên]` adds a member to the admin's point, `/canbo ma`
gives a one-time share code the new member sends with `/thamgia <mã>` from their own chat.

An admin manages the staff of their own point; an admin of the national point manages all.
Every change is checked again when its button is pressed, and audited.
"""

from __future__ import annotations

from typing import Any

from bot.types import ContentKind
from handlers import parsers
from handlers.base import Context, Router
from handlers.forms import Form, Slot
from handlers.office_hours import local_tz
from handlers.staff.access import admin_only, current_member, staff_only
from handlers.ui import main_menu
from nlu.normalize import plain
from storage.errors import StorageError
from storage.repos import pipeline, staff, staff_invites
from storage.repos.staff import StaffMember

router = Router("staff_team")
SHOWN = 40

ON_WORDS = {"bat", "on", "co", "vao", "bat dau", "vao ca"}
OFF_WORDS = {"tat", "off", "nghi", "khong", "ket thuc", "het ca"}


def who(member: StaffMember) -> str:
    return f"{member.channel}:{member.user_id}" + (f" ({member.name})" if member.name else "")


def duty_line(member: StaffMember) -> str:
    state = "đang trực" if member.on_duty else "nghỉ trực"
    extra = ", dự phòng" if member.fallback else ""
    role = ", quản trị" if member.is_admin else ""
    return f"{member.label} ({member.channel}:{member.user_id}) · {member.point} · {state}{extra}{role}"


# --- /trucban ---------------------------------------------------------------------------------
@router.command("trucban")
@staff_only
async def duty(ctx: Context, member: StaffMember) -> None:
    word = plain(" ".join(ctx.args))
    if word in ON_WORDS or word in OFF_WORDS:
        await _set_own_duty(ctx, member, word in ON_WORDS)
        return
    now = "đang trực: cảnh báo nhu cầu mới của điểm sẽ gửi cho anh/chị" if member.on_duty \
        else "đang nghỉ trực: anh/chị không nhận cảnh báo nhu cầu mới"
    ctx.say(f"Dạ, anh/chị {now} ạ.",
            [("Nghỉ trực", "tb:off")] if member.on_duty else [("Bắt đầu trực", "tb:on")])


@router.button("tb")
@staff_only
async def on_duty_button(ctx: Context, member: StaffMember) -> None:
    if ctx.args[:1] not in (["on"], ["off"]):
        ctx.say("Dạ, nút này không còn dùng được. Anh/chị gõ /trucban ạ.", main_menu())
        return
    await _set_own_duty(ctx, member, ctx.args[0] == "on")


async def _set_own_duty(ctx: Context, member: StaffMember, on: bool) -> None:
    changed = await staff.set_duty(ctx.db, member.channel, member.user_id, on, actor=who(member))
    if changed.on_duty:
        ctx.say(f"Dạ, anh/chị đã vào trực: cảnh báo nhu cầu mới của {changed.point_name} sẽ gửi "
                "cho anh/chị ạ.", [("Nghỉ trực", "tb:off")])
    else:
        ctx.say("Dạ, anh/chị đã nghỉ trực: cảnh báo sẽ gửi cho cán bộ khác đang trực (hoặc cán "
                "bộ dự phòng) ạ.", [("Bắt đầu trực", "tb:on")])


# --- /canbo for admins ----------------------------------------------------------------------------
async def team_list(ctx: Context, admin: StaffMember) -> None:
    members = await staff.list_members(ctx.db, None if admin.national else admin.point)
    lines = [f"{i}. {duty_line(m)}" for i, m in enumerate(members[:SHOWN], 1)]
    if len(members) > SHOWN:  # a chat message has room for about this many
        lines.append(f"... và {len(members) - SHOWN} cán bộ khác (xem đủ: ketnoi staff list).")
    buttons = [(f"Sửa: {m.label[:30]}", f"cb:m:{m.channel}:{m.user_id}") for m in members[:20]]
    ctx.say("Cán bộ " + ("mọi điểm" if admin.national else admin.point_name) + ":\n"
            + "\n".join(lines) + "\n\nThêm cán bộ: /canbo them <kênh> <mã người dùng> [họ tên] "
            "(ví dụ: /canbo them zalo 8123456 Nguyễn Văn A).", buttons)


async def add_member(ctx: Context, admin: StaffMember, args: list[str]) -> None:
    if len(args) < 2:
        await ctx.start_form(ADD_FORM.name)
        return
    channel, user_id, name = args[0], args[1], " ".join(args[2:]) or None
    current = await staff.find(ctx.db, channel, user_id)
    if current is not None and not admin.sees(current.point):
        ctx.say(f"Dạ, {channel}:{user_id} đang là cán bộ của {current.point_name}; anh/chị không "
                "thay đổi được cán bộ của điểm khác ạ.")
        return
    try:
        added = await staff.add(ctx.db, channel, user_id, point=admin.point, name=name,
                                role=current.role if current else "staff", actor=who(admin))
    except StorageError as exc:
        ctx.say(f"Dạ, chưa thêm được cán bộ: {exc}")
        return
    ctx.say(f"Dạ, đã thêm {duty_line(added)}. Cán bộ gõ /canbo trong chat với em để bắt đầu ạ.",
            _member_buttons(added))


async def invite(ctx: Context, admin: StaffMember) -> None:
    code, until = await staff_invites.create(ctx.db, admin.point, who(admin), now=ctx.now())
    ctx.say(f"Dạ, mã mời cán bộ mới của {admin.point_name}: {code}\nNgười được mời gõ "
            f"/thamgia {code} trong chat với em (Telegram hoặc Zalo) để trở thành cán bộ của "
            f"điểm. Mã dùng một lần, hết hạn lúc {until.astimezone(local_tz(ctx)):%H:%M %d/%m}.")


def _member_buttons(m: StaffMember) -> list[tuple[str, str]]:
    key = f"{m.channel}:{m.user_id}"
    return [("Nghỉ trực" if m.on_duty else "Vào trực", f"cb:duty:{key}:{'off' if m.on_duty else 'on'}"),
            ("Bỏ dự phòng" if m.fallback else "Đặt dự phòng",
             f"cb:fb:{key}:{'off' if m.fallback else 'on'}"),
            ("Chuyển điểm", f"cb:pt:{key}"), ("Xoá khỏi danh sách cán bộ", f"cb:rm:{key}"),
            ("Danh sách cán bộ", "cb:ls")]


@router.button("cb")
@admin_only
async def on_button(ctx: Context, admin: StaffMember) -> None:
    action, *rest = ctx.args or [""]
    if action == "ls":
        await team_list(ctx, admin)
        return
    if action not in ("m", "duty", "fb", "pt", "rm", "rmy") or len(rest) < 2:
        ctx.say("Dạ, nút này không còn dùng được. Anh/chị gõ /canbo ạ.", main_menu())
        return
    target = await staff.find(ctx.db, rest[0], rest[1])
    if target is None or not admin.sees(target.point):
        ctx.say("Dạ, tài khoản này không (còn) là cán bộ của điểm anh/chị quản lý ạ.",
                [("Danh sách cán bộ", "cb:ls")])
        return
    try:
        await _act(ctx, admin, target, action, rest[2:])
    except StorageError as exc:
        ctx.say(f"Dạ, chưa thay đổi được: {exc}", [("Danh sách cán bộ", "cb:ls")])


async def _act(ctx: Context, admin: StaffMember, m: StaffMember, action: str,
               extra: list[str]) -> None:
    flag = extra[:1] == ["on"]
    if action == "m":
        ctx.say(duty_line(m), _member_buttons(m))
    elif action == "duty" and extra[:1] in (["on"], ["off"]):
        changed = await staff.set_duty(ctx.db, m.channel, m.user_id, flag, actor=who(admin))
        ctx.say(f"Dạ, đã cập nhật: {duty_line(changed)}.", _member_buttons(changed))
    elif action == "fb" and extra[:1] in (["on"], ["off"]):
        changed = await staff.add(ctx.db, m.channel, m.user_id, point=m.point, role=m.role,
                                  fallback=flag, actor=who(admin))
        ctx.say(f"Dạ, đã cập nhật: {duty_line(changed)}.", _member_buttons(changed))
    elif action == "pt":
        await _move(ctx, admin, m, extra)
    elif action == "rm" and (m.channel, m.user_id) == (admin.channel, admin.user_id):
        ctx.say("Dạ, anh/chị không tự xoá quyền của mình được; nhờ quản trị viên khác giúp ạ.")
    elif action == "rm":
        ctx.ask_yes_no(f"Anh/chị chắc chắn bỏ quyền cán bộ của {m.label}?",
                       ("Xoá", f"cb:rmy:{m.channel}:{m.user_id}"), ("Không", "cb:ls"))
    elif action == "rmy" and (m.channel, m.user_id) != (admin.channel, admin.user_id):
        await staff.remove(ctx.db, m.channel, m.user_id, actor=who(admin))
        ctx.say(f"Dạ, đã bỏ quyền cán bộ của {m.label}.", [("Danh sách cán bộ", "cb:ls")])
    else:
        ctx.say("Dạ, nút này không còn dùng được. Anh/chị gõ /canbo ạ.", main_menu())


async def _move(ctx: Context, admin: StaffMember, m: StaffMember, extra: list[str]) -> None:
    if not admin.national:
        ctx.say("Dạ, chỉ quản trị viên của điểm quốc gia chuyển cán bộ sang điểm khác được ạ.",
                _member_buttons(m))
        return
    if not extra:
        ctx.say(f"Chuyển {m.label} sang điểm nào ạ?",
                [(name[:40], f"cb:pt:{m.channel}:{m.user_id}:{code}")
                 for code, name in await pipeline.points(ctx.db) if code != m.point][:20])
        return
    changed = await staff.add(ctx.db, m.channel, m.user_id, point=extra[0], role=m.role,
                              actor=who(admin))
    ctx.say(f"Dạ, đã chuyển: {duty_line(changed)}.", _member_buttons(changed))


# --- adding by a shared contact card, or by typing "<kênh> <mã>" ---------------------------------
async def _add_done(ctx: Context, values: dict[str, Any]) -> None:
    ctx.state.clear_form()
    admin = await current_member(ctx)
    if admin is None or not admin.is_admin:  # no longer an admin while the form was open
        ctx.say("Dạ, tài khoản này không còn là quản trị viên nên em chưa thêm cán bộ ạ.",
                main_menu())
        return
    inc = ctx.incoming
    if inc.kind == ContentKind.CONTACT:
        if not inc.shared_user_id or inc.shared_user_id == str(inc.user_id):
            ctx.say("Dạ, danh bạ này không kèm tài khoản Telegram của người được mời. Anh/chị "
                    "gõ /canbo ma để tạo mã mời, hoặc /canbo them <kênh> <mã người dùng> ạ.")
            return
        await add_member(ctx, admin, [inc.channel, inc.shared_user_id])
        return
    words = str(values.get("who") or "").split()
    if len(words) < 2:
        ctx.say("Dạ, em chưa đọc được. Anh/chị gõ: /canbo them <kênh> <mã người dùng> [họ tên], "
                "ví dụ /canbo them telegram 123456789 Trần Thị B, hoặc /canbo ma để tạo mã mời ạ.")
        return
    await add_member(ctx, admin, words)


ADD_FORM = router.form(Form(
    name="staff_add", title="việc thêm cán bộ", confirm=False, on_done=_add_done,
    slots=(Slot("who", "Cán bộ mới", "Anh/chị chia sẻ danh bạ (contact) Telegram của cán bộ mới, "
                "hoặc gõ kênh và mã người dùng (ví dụ: zalo 8123456 Trần Thị B) ạ.",
                parsers.short_text, switchable=False, recap=False),),
))
