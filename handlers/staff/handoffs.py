"""Staff side of a handoff: "Tiếp nhận" on the alert (the first who presses wins), then the staff
member's plain messages go to the user as "Cán bộ <tên>: ...". With several conversations at
once, a reply to (quote of) one of the user's relayed messages goes to that user, `/tra <số>
<nội dung>` says to whom, or a plain message is held and "Gửi cho ..." buttons ask (the same on
Telegram and on Zalo's numbered choices). `/hoithoai` lists the requests
waiting and the conversations the member has; `/ketthuc` is in `handlers.handoff`.

Every button is checked again when pressed: the member must still be staff and see the
request's point, and the request must still be open (storage refuses the rest).
"""

from __future__ import annotations

import re

from handlers import handoff_relay as relay
from handlers.base import Context, Router
from handlers.staff.access import current_member, staff_only
from handlers.ui import main_menu
from storage.errors import StorageError
from storage.repos import handoff_relay, handoffs
from storage.repos.handoffs import HandoffTaken, HandoffView
from storage.repos.staff import StaffMember

router = Router("staff_handoffs")

CHOICES_KEY = "handoff_choices"  # the conversations offered for a held message, in order

OUTCOMES = {
    "closed": "Dạ, cuộc trò chuyện #{id} đã kết thúc nên tin nhắn không được gửi ạ.",
    "not_yours": "Dạ, cuộc trò chuyện #{id} đang do cán bộ khác phụ trách, tin nhắn không được "
                 "gửi ạ.",
    "undeliverable": "Dạ, tin nhắn chưa gửi được tới {who}: người dùng đã chặn hoặc rời khỏi trợ "
                     "lý. Anh/chị có thể liên hệ qua số điện thoại/email trên yêu cầu ạ.",
}


async def send(ctx: Context, member: StaffMember, hid: int, text: str, *,
               confirm: bool = False) -> None:
    """Relay to the user; silent when it went (as in any chat), else say why not."""
    result = await handoff_relay.from_staff(ctx.db, hid, member.channel, member.user_id, text,
                                            relay.texts(ctx))
    if result.outcome == "sent":
        relay.mark_relayed(ctx)
        if confirm and result.handoff is not None:
            ctx.quiet = False
            ctx.say(f"Dạ, đã gửi cho {relay.user_label(result.handoff)}.")
        return
    who = relay.user_label(result.handoff) if result.handoff else "người dùng"
    ctx.say(OUTCOMES.get(result.outcome, OUTCOMES["closed"]).format(id=hid, who=who))


@router.intercept
async def from_staff(ctx: Context) -> bool:
    if not ctx.state.data.get(relay.STAFF_KEY):  # the cheap check: only staff who took one
        return False
    member = await current_member(ctx)
    mine = await handoffs.taken_by(ctx.db, ctx.incoming.channel, str(ctx.incoming.user_id))
    if member is None or not mine:
        ctx.state.data.pop(relay.STAFF_KEY, None)
        if member is None and mine:  # removed mid-handoff: the users go back to the queue
            await handoff_relay.requeue_orphans(ctx.db, relay.texts(ctx))
            ctx.say("Dạ, tài khoản này không còn là cán bộ nên tin nhắn không được chuyển; các "
                    "cuộc trò chuyện đã được chuyển lại cho cán bộ khác ạ.", main_menu())
            return True
        return False
    if await _numbered_pick(ctx, member):
        return True
    text, _ = relay.carried(ctx)
    quoted = _quoted_id(ctx.incoming.quoted)
    target = quoted if quoted in {h.id for h in mine} else mine[0].id if len(mine) == 1 else None
    if target is not None:
        await send(ctx, member, target, text)
        return True
    ctx.state.data[relay.DRAFT_KEY] = text[:2000]
    ctx.state.data[CHOICES_KEY] = [h.id for h in mine]
    ctx.say("Anh/chị đang trò chuyện với nhiều người. Gửi tin này cho ai ạ? (Lần sau có thể gõ "
            "/tra <số> <nội dung>.)",
            [*((f"Gửi cho {h.who[:30]} (#{h.id})", f"hf:send:{h.id}") for h in mine),
             ("Không gửi", "hf:send:-")])
    return True


def _quoted_id(quoted: str | None) -> int | None:
    """The conversation of a relayed message the staff member replied to ("💬 Nam (#12): ...")."""
    found = re.search(r"\(#(\d{1,9})[,)]", quoted or "")
    return int(found.group(1)) if found else None


async def _numbered_pick(ctx: Context, member: StaffMember) -> bool:
    """Where choices are numbered lines (Zalo), "2" answers "to whom?" for the held message;
    this check runs before the dispatcher's own typed-button check, so it is done here."""
    choices = ctx.state.data.get(CHOICES_KEY)
    number = ctx.text.strip().rstrip(".)")
    if not (ctx.incoming.numbered and choices and ctx.state.data.get(relay.DRAFT_KEY)
            and number.isdigit() and 1 <= int(number) <= len(choices) + 1):
        return False
    picked = choices[int(number) - 1] if int(number) <= len(choices) else "-"
    await on_send(ctx, member, str(picked))
    return True


@router.command("tra", "reply")
@staff_only
async def reply_to(ctx: Context, member: StaffMember) -> None:
    hid = relay.handoff_id(ctx.args[0]) if ctx.args else None
    text = " ".join(ctx.args[1:]).strip()
    if hid is None or not text:
        ctx.say("Dạ, anh/chị gõ: /tra <số cuộc trò chuyện> <nội dung>, ví dụ: /tra 12 Chào anh, "
                "em là cán bộ điểm kết nối.", [("Cuộc trò chuyện của tôi", "hf:list")])
        return
    await send(ctx, member, hid, text, confirm=True)


# --- buttons: hf:<action>:<handoff id> -------------------------------------------------------
async def _visible(ctx: Context, member: StaffMember, raw: str) -> HandoffView | None:
    hid = relay.handoff_id(raw)
    found = await handoffs.get(ctx.db, hid) if hid is not None else None
    if found is None:
        ctx.say("Dạ, nút này không còn dùng được (yêu cầu không còn) ạ.",
                [("Yêu cầu đang chờ", "hf:list")])
        return None
    if not member.sees(found.point_code):
        ctx.say(f"Dạ, yêu cầu #{found.id} thuộc điểm kết nối khác "
                f"({found.point_name or 'chưa có điểm'}), anh/chị không tiếp nhận được ạ.",
                main_menu())
        return None
    return found


async def on_take(ctx: Context, member: StaffMember, raw: str) -> None:
    found = await _visible(ctx, member, raw)
    if found is None:
        return
    try:
        h = await handoffs.take(ctx.db, found.id, channel=member.channel, chat=member.user_id,
                                name=member.name, texts=relay.texts(ctx))
    except HandoffTaken as exc:
        ctx.say(f"Dạ, {exc}", [("Yêu cầu đang chờ", "hf:list")])
        return
    except StorageError as exc:
        ctx.say(f"Dạ, {exc} Người dùng đã quay lại trò chuyện với trợ lý.",
                [("Yêu cầu đang chờ", "hf:list")])
        return
    ctx.state.data[relay.STAFF_KEY] = True
    said = f"\nNgười dùng đã nhắn: “{h.note[:300]}”" if h.note else ""
    ctx.say(f"Dạ, anh/chị đã tiếp nhận cuộc trò chuyện với {relay.user_label(h)}; người dùng đã "
            f"được báo.{said}\n\n" + relay.STAFF_HELP.format(name=member.label),
            [("Kết thúc", f"hf:end:{h.id}")])


async def on_send(ctx: Context, member: StaffMember, raw: str) -> None:
    draft = ctx.state.data.pop(relay.DRAFT_KEY, None)
    ctx.state.data.pop(CHOICES_KEY, None)
    hid = relay.handoff_id(raw)
    if hid is None or not draft:
        ctx.say("Dạ, em chưa gửi tin nào ạ." if raw == "-" or not draft else
                "Dạ, nút này không còn dùng được ạ.")
        return
    await send(ctx, member, hid, draft, confirm=True)


async def on_end(ctx: Context, member: StaffMember, raw: str) -> None:
    await relay.end_as_staff(ctx, member, [raw])


async def on_list(ctx: Context, member: StaffMember, raw: str) -> None:
    mine = await handoffs.taken_by(ctx.db, member.channel, member.user_id)
    waiting = await handoffs.waiting(ctx.db, None if member.national else member.point)
    if not mine and not waiting:
        ctx.say("Dạ, hiện không có yêu cầu gặp cán bộ nào đang chờ ạ.")
        return
    lines = [f"• #{h.id} {relay.user_label(h)}: đang trò chuyện với anh/chị" for h in mine]
    lines += [f"• #{h.id} {relay.user_label(h)}: đang chờ"
              + (f" (“{h.note[:60]}”)" if h.note else "") for h in waiting]
    ctx.say("Yêu cầu gặp cán bộ:\n" + "\n".join(lines),
            [*((f"Tiếp nhận #{h.id}", f"hf:take:{h.id}") for h in waiting),
             *((f"Kết thúc #{h.id}", f"hf:end:{h.id}") for h in mine)])


ACTIONS = {"take": on_take, "send": on_send, "end": on_end, "list": on_list}


@router.button("hf")
@staff_only
async def on_button(ctx: Context, member: StaffMember) -> None:
    name, *rest = ctx.args or [""]
    action = ACTIONS.get(name)
    if action is None or (not rest and name != "list"):
        ctx.say("Dạ, nút này không còn dùng được ạ.", [("Yêu cầu đang chờ", "hf:list")])
        return
    await action(ctx, member, rest[0] if rest else "")


@router.command("hoithoai", "handoffs")
@staff_only
async def list_handoffs(ctx: Context, member: StaffMember) -> None:
    await on_list(ctx, member, "")
