"""`/dulieu` (what we store about me) and `/xoadulieu` (forget me, after a confirmation).

Forgetting anonymises contact fields on the user and on their demands (the demands stay, without
contact, for the network's statistics), removes subscriptions, event registrations and the chat
log, and clears the conversation state.
"""

from __future__ import annotations

from bot.types import Button
from handlers.base import Context, Router
from handlers.news_render import KIND_LABELS
from handlers.office_hours import local_tz
from handlers.ui import TYPE_LABELS, bullet_list, intent_button, main_menu
from nlu.taxonomy import PROVINCE_BY_ID, SECTOR_BY_ID
from storage.repos import privacy
from storage.repos.demands import STATUS_NAMES
from storage.repos.introductions import STATUS_NAMES as INTRO_STATUS

router = Router("privacy")

FORGET_BUTTON = Button("Xóa dữ liệu của tôi", "priv:forget")


def _names(ids: list[str], table: dict, everything: str) -> str:
    return ", ".join(table[i].name for i in ids if i in table) if ids else everything


def render(data: privacy.UserData, ctx: Context) -> str:
    u, tz = data.user, local_tz(ctx)
    profile = [
        f"Tên hiển thị: {u.display_name or '(chưa có)'}",
        f"Số điện thoại: {u.phone or '(chưa có)'}",
        f"Email: {u.email or '(chưa có)'}",
        f"Đơn vị: {u.organisation or '(chưa có)'}",
        f"Tỉnh/thành phố: {PROVINCE_BY_ID[u.province].name if u.province in PROVINCE_BY_ID else '(chưa có)'}",
        "Đồng ý cho Trung tâm liên hệ: "
        + (f"có, từ {u.consent_at.astimezone(tz):%d/%m/%Y}" if u.consent_at else "chưa"),
    ]
    parts = ["Dữ liệu Trung tâm đang lưu về anh/chị:", bullet_list(profile)]
    if data.demands:
        parts.append(f"Yêu cầu đã gửi ({len(data.demands)}):\n" + bullet_list([
            f"Số {d.id} · {TYPE_LABELS.get(d.type, d.type)} · "
            f"{STATUS_NAMES.get(d.status, d.status)} · "
            f"{d.created_at.astimezone(tz):%d/%m/%Y}" for d in data.demands[:10]]))
    subs = [s for s in data.subscriptions if s.active]
    if subs:
        parts.append("Đăng ký nhận tin:\n" + bullet_list([
            f"Lĩnh vực: {_names(s.sectors, SECTOR_BY_ID, 'tất cả')}; "
            f"địa bàn: {_names(s.provinces, PROVINCE_BY_ID, 'toàn quốc')}; "
            f"loại sự kiện: {', '.join(KIND_LABELS.get(k, k) for k in s.event_kinds) or 'tất cả'}"
            f"; báo tin mới ngay: {'có' if s.notify_new else 'không, chỉ bản tin tuần'}"
            for s in subs]) + "\n(Gõ /huynhantin để ngừng nhận tin.)")
    if data.offers:
        parts.append("Công nghệ anh/chị chào bán:\n" + bullet_list(
            [f"{t.code} · {t.title}" for t in data.offers[:10]]))
    if data.introductions:
        parts.append(f"Yêu cầu giới thiệu chuyên gia ({len(data.introductions)}):\n" + bullet_list(
            [f"{name or 'chưa chọn chuyên gia'} · {INTRO_STATUS.get(status, status)}"
             for status, name in data.introductions[:10]]))
    if data.answers:
        parts.append(f"Câu trả lời cho cán bộ thẩm định công nghệ: {data.answers}.")
    if data.registrations:
        parts.append("Đăng ký sự kiện:\n" + bullet_list([
            f"{ev.title} ({ev.starts_at.astimezone(tz):%d/%m/%Y})" for _, ev in data.registrations]))
    parts.append(f"Lịch sử trò chuyện: {data.messages} tin nhắn.")
    if data.handoff_lines:
        parts.append("Trò chuyện với cán bộ (các tin gần nhất):\n" + bullet_list([
            f"{m.created_at.astimezone(tz):%d/%m %H:%M} "
            + (f"Anh/chị: {m.text[:200]}" if m.direction == "in" else m.text[:200])
            for m in data.handoff_lines]))
    parts.append("Anh/chị có thể gõ /xoadulieu để yêu cầu xóa dữ liệu này.")
    return "\n\n".join(parts)


@router.command("dulieu", "mydata")
async def my_data(ctx: Context) -> None:
    user = await ctx.user()
    text = render(await privacy.what_we_store(ctx.db, user.id), ctx)
    ctx.say(text, [FORGET_BUTTON, intent_button("demand_status")])


def ask_to_forget(ctx: Context) -> None:
    ctx.ask_yes_no(
        "Anh/chị muốn xóa dữ liệu cá nhân của mình? Em sẽ:\n"
        "• xóa tên, số điện thoại, email, đơn vị trên hồ sơ, trên các yêu cầu đã gửi và trên công "
        "nghệ đã chào bán (nội dung được giữ lại ở dạng ẩn danh);\n"
        "• hủy mọi đăng ký nhận tin và đăng ký sự kiện;\n"
        "• xóa lịch sử trò chuyện.\n"
        "Việc này không hoàn tác được. Anh/chị xác nhận xóa chứ ạ?",
        ("Xóa dữ liệu", "priv:forget:yes"), ("Không xóa", "priv:forget:no"),
    )


@router.command("xoadulieu", "forgetme")
async def forget_command(ctx: Context) -> None:
    ask_to_forget(ctx)


async def forget(ctx: Context) -> None:
    user = await ctx.user()
    done = await privacy.forget(ctx.db, user.id)
    ctx.forget_user()
    ctx.state.clear_form()  # a half-filled form may hold a phone number or an e-mail
    ctx.state.data = {}
    ctx.erased = True
    ctx.say(
        "Em đã xóa dữ liệu cá nhân của anh/chị: thông tin liên hệ trên hồ sơ và trên "
        f"{done.demands} yêu cầu, {done.subscriptions} đăng ký nhận tin, {done.registrations} "
        "đăng ký sự kiện và lịch sử trò chuyện. Cảm ơn anh/chị đã sử dụng dịch vụ ạ.",
        main_menu(),
    )


@router.button("priv")
async def on_button(ctx: Context) -> None:
    action, answer = (ctx.args + ["", ""])[:2]
    if action == "forget" and answer == "yes":
        await forget(ctx)
    elif action == "forget" and answer == "no":
        if await ctx.resume("Dạ, em giữ nguyên dữ liệu ạ. "):  # asked inside a form: carry on
            return
        ctx.say("Dạ, em giữ nguyên dữ liệu của anh/chị ạ.", main_menu())
    else:
        ask_to_forget(ctx)
