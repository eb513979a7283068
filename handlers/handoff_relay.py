"""What the two sides of a handoff are told (the `HandoffTexts` storage asks for), how a message
is carried across (text, or a short note for photos, stickers...), and the chat-state markers
that let the dispatcher's cheap check find a chat handed to a person.

Shared by `handlers.handoff` (the user's side) and `handlers.staff.handoffs` (the staff's side).
"""

from __future__ import annotations

from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from bot.types import Button, ContentKind, Outgoing, outgoing_to_dict
from handlers.base import Context
from handlers.office_hours import HOURS_TEXT, in_working_hours, local_tz, next_opening, say_when
from handlers.ui import main_menu
from storage.errors import StorageError
from storage.repos import handoffs
from storage.repos.handoffs import RELAY_INTENT, HandoffView
from storage.repos.staff import StaffMember

# Keys in `ctx.state.data`: the user's handoff id; a staff member has taken one or more.
USER_KEY = "handoff"
STAFF_KEY = "handoff_staff"
DRAFT_KEY = "handoff_draft"  # a staff member's message waiting for "to whom?"

CHANNELS = {"telegram": "Telegram", "zalo-bot": "Zalo", "zalo-oa": "Zalo OA", "zalo": "Zalo",
            "console": "dòng lệnh"}
KIND_NOTES = {
    ContentKind.PHOTO: "một ảnh", ContentKind.STICKER: "một nhãn dán",
    ContentKind.VOICE: "một tin nhắn thoại", ContentKind.AUDIO: "một tệp âm thanh",
    ContentKind.VIDEO: "một video", ContentKind.DOCUMENT: "một tệp tài liệu",
    ContentKind.LOCATION: "một vị trí",
}
STAFF_HELP = ("Tin anh/chị nhắn (không bắt đầu bằng /) sẽ được gửi tới người dùng với tên "
              "“Cán bộ {name}”. Đang trò chuyện với nhiều người: /tra <số> <nội dung>. "
              "Kết thúc: /ketthuc.")


def _out(text: str, buttons: tuple[Button, ...] = ()) -> dict[str, Any]:
    return outgoing_to_dict(Outgoing(text, buttons))


def carried(ctx: Context) -> tuple[str, bool]:
    """The message as it goes to the other side, and whether it is only a note (a photo,
    sticker... that is not forwarded as a file)."""
    kind = ctx.incoming.kind
    if kind == ContentKind.CONTACT:
        return f"[Số điện thoại] {ctx.text}", False
    if kind in (ContentKind.TEXT, ContentKind.COMMAND) and ctx.text:
        return ctx.text, False
    what = KIND_NOTES.get(kind, "một nội dung không phải chữ")
    return f"[đã gửi {what}; trợ lý chỉ chuyển được tin nhắn chữ]", True


def mark_relayed(ctx: Context) -> None:
    """The message went to a person: no bot reply, and the log line says it was relayed."""
    ctx.nlu = {"intent": {"name": RELAY_INTENT, "confidence": 1.0}}
    ctx.quiet = True


def staff_label(h: HandoffView) -> str:
    return h.staff_name or "của Trung tâm"


def user_label(h: HandoffView) -> str:
    return f"{h.who} (#{h.id}, {CHANNELS.get(h.channel, h.channel)})"


class Texts:
    """`storage.repos.handoffs.HandoffTexts` in Vietnamese, times in the settings' zone."""

    def __init__(self, tz: ZoneInfo) -> None:
        self.tz = tz

    def alert(self, h: HandoffView) -> dict[str, Any]:
        lines = [f"🙋 Yêu cầu gặp cán bộ #{h.id}", f"Người dùng: {user_label(h)}"]
        if h.point_name:
            lines.append(f"Điểm kết nối: {h.point_name}")
        if h.note:
            lines.append(f"Nội dung: “{h.note[:300]}”")
        if h.demand_id:
            lines.append(f"Gắn với yêu cầu số {h.demand_id} (/nhucau).")
        lines.append("Bấm “Tiếp nhận” để trò chuyện trực tiếp với người dùng.")
        return _out("\n".join(lines), (Button("Tiếp nhận", f"hf:take:{h.id}"),))

    def taken(self, h: HandoffView) -> dict[str, Any]:
        where = f" ({h.point_name})" if h.point_name else ""
        return _out(f"Dạ, cán bộ {staff_label(h)}{where} đã tiếp nhận yêu cầu của anh/chị. "
                    "Từ bây giờ tin nhắn anh/chị gửi sẽ được chuyển trực tiếp tới cán bộ. "
                    "Khi xong, anh/chị gõ /ketthuc để quay lại trò chuyện với trợ lý tự động ạ.")

    def from_user(self, h: HandoffView, text: str) -> dict[str, Any]:
        return _out(f"💬 {h.who} (#{h.id}): {text}")

    def from_staff(self, h: HandoffView, text: str) -> dict[str, Any]:
        return _out(f"Cán bộ {staff_label(h)}: {text}")

    def ended_for_user(self, h: HandoffView) -> dict[str, Any]:
        return outgoing_to_dict(Outgoing(
            f"Dạ, cán bộ {staff_label(h)} đã kết thúc cuộc trò chuyện. Em (trợ lý tự động) tiếp "
            "tục hỗ trợ anh/chị ạ. Anh/chị cần gì cứ nhắn em:", main_menu()))

    def ended_for_staff(self, h: HandoffView) -> dict[str, Any]:
        return _out(f"{user_label(h)} đã kết thúc cuộc trò chuyện với anh/chị; người dùng "
                    "quay lại trò chuyện với trợ lý tự động.")

    def requeued(self, h: HandoffView) -> dict[str, Any]:
        return _out(f"Dạ, cán bộ {staff_label(h)} hiện không còn phụ trách cuộc trò chuyện này. "
                    "Em đã chuyển yêu cầu của anh/chị tới các cán bộ khác của điểm kết nối; "
                    "khi có cán bộ tiếp nhận em sẽ báo ngay. Trong lúc chờ, em (trợ lý tự động) "
                    "vẫn hỗ trợ anh/chị ạ.")

    def undeliverable(self, h: HandoffView) -> dict[str, Any]:
        more = f" Yêu cầu số {h.demand_id} vẫn ở /nhucau." if h.demand_id else ""
        return _out(f"Tin nhắn tới {user_label(h)} không gửi được: người dùng đã chặn hoặc rời "
                    f"khỏi trợ lý. Cuộc trò chuyện đã kết thúc.{more}")

    def waiting(self, h: HandoffView, now: datetime) -> dict[str, Any]:
        return outgoing_to_dict(Outgoing(waiting_text(now, self.tz), main_menu()))


def waiting_text(now: datetime, tz: ZoneInfo) -> str:
    """Nobody has taken the request yet: when someone will answer."""
    if in_working_hours(now, tz):
        return ("Dạ, các cán bộ đang bận nên chưa tiếp nhận được yêu cầu gặp cán bộ của anh/chị. "
                "Yêu cầu vẫn được giữ, cán bộ sẽ trả lời anh/chị trong giờ làm việc hôm nay "
                "(đến 17:00). Trong lúc chờ, em (trợ lý tự động) vẫn hỗ trợ anh/chị ạ.")
    opening = say_when(next_opening(now, tz), now, tz)
    return (f"Dạ, hiện đang ngoài giờ làm việc ({HOURS_TEXT}) nên chưa có cán bộ tiếp nhận. "
            f"Yêu cầu của anh/chị vẫn được giữ, cán bộ sẽ trả lời anh/chị từ {opening} ạ.")


def texts(ctx: Context) -> Texts:
    return Texts(local_tz(ctx))


def handoff_id(raw: str) -> int | None:
    """"12" or "#12" → 12; anything else (a forged payload, a typo) → None."""
    raw = (raw or "").strip().lstrip("#")
    return int(raw) if raw.isdigit() and len(raw) < 10 else None


async def end_as_staff(ctx: Context, member: StaffMember, args: list[str]) -> None:
    """`/ketthuc [số]` or "Kết thúc" from a staff member: end one of their conversations."""
    mine = await handoffs.taken_by(ctx.db, member.channel, member.user_id)
    wanted = handoff_id(args[0]) if args else None
    if wanted is None and len(mine) != 1:
        if not mine:
            ctx.state.data.pop(STAFF_KEY, None)
            ctx.say("Dạ, anh/chị không có cuộc trò chuyện nào đang mở với người dùng ạ.",
                    [Button("Yêu cầu đang chờ", "hf:list")])
        else:
            ctx.say("Anh/chị kết thúc cuộc trò chuyện nào ạ?",
                    [Button(f"Kết thúc: {h.who[:30]} (#{h.id})", f"hf:end:{h.id}") for h in mine])
        return
    target = mine[0] if wanted is None else next((h for h in mine if h.id == wanted), None)
    if target is None:
        ctx.say(f"Dạ, cuộc trò chuyện #{wanted} không do anh/chị phụ trách hoặc đã kết thúc ạ.",
                [Button("Yêu cầu đang chờ", "hf:list")])
        return
    try:
        await handoffs.close(ctx.db, target.id, by="staff", texts=texts(ctx),
                             staff=(member.channel, member.user_id, member.name))
    except StorageError as exc:
        ctx.say(f"Dạ, {exc}")
        return
    if len(mine) <= 1:
        ctx.state.data.pop(STAFF_KEY, None)
    ctx.say(f"Dạ, đã kết thúc cuộc trò chuyện với {user_label(target)}; người dùng đã được báo "
            "và quay lại trò chuyện với trợ lý tự động.")
