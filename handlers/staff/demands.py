"""`/nhucau`: staff work through the demands of their connection point (the national point sees
all): a paged list with filters, a card per demand with the allowed next steps as buttons, and
each step (take, propose, connected, close with an outcome and a note, move to another point).

Every button is checked again when pressed: the member must still be staff, the demand must be
of their point and still in the status the button was shown for (storage refuses the rest).
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

from handlers import parsers
from handlers.base import Context, Router
from handlers.forms import Form, Slot
from handlers.office_hours import local_tz
from handlers.pipeline_text import card_text, list_line, next_steps, staff_alert, user_update
from handlers.staff.access import current_member, staff_only
from handlers.ui import main_menu
from nlu.normalize import plain
from storage.errors import StorageError
from storage.repos import pipeline
from storage.repos.demands import OUTCOME_NAMES, STATUS_NAMES
from storage.repos.pipeline import Actor
from storage.repos.pipeline_view import DemandCard
from storage.repos.staff import StaffMember

router = Router("staff_demands")

PAGE = 5
STATUS_WORDS = {"moi": "new", "dang xu ly": "assigned", "da nhan": "assigned",
                "de xuat": "proposed", "ket noi": "connected", "dong": "closed"}
FILTERS = (("Mới", "new"), ("Đang xử lý", "assigned"), ("Đã đề xuất", "proposed"),
           ("Đã kết nối", "connected"))


def actor(member: StaffMember) -> Actor:
    return Actor(f"{member.channel}:{member.user_id}", member.name)


def parse_filter(text: str) -> tuple[str | None, str | None]:
    """(status, sector) named in "/nhucau moi", "/nhucau new", "/nhucau chế biến nông sản"."""
    folded = plain(text)
    if not folded:
        return None, None
    if folded in STATUS_NAMES:
        return folded, None
    for word, status in STATUS_WORDS.items():
        if folded.startswith(word):
            return status, None
    ranked = parsers.rank_sectors(text)
    return None, (ranked[0][0].id if ranked else "?")


async def show_list(ctx: Context, member: StaffMember, status: str | None, sector: str | None,
                    page: int) -> None:
    point = None if member.national else member.point
    found = await pipeline.open_demands(ctx.db, point=point, status=status, sector=sector,
                                        limit=PAGE + 1, offset=page * PAGE)
    where = "mọi điểm kết nối" if member.national else member.point_name
    if not found:
        ctx.say(f"Dạ, hiện không có yêu cầu nào cần xử lý ({where}) theo bộ lọc này ạ.",
                [(label, f"nc:ls:{code}:0") for label, code in FILTERS])
        return
    buttons = [(f"Xem số {c.id}", f"nc:card:{c.id}") for c in found[:PAGE]]
    if len(found) > PAGE:
        buttons.append(("Trang sau", f"nc:ls:{status or '-'}:{page + 1}:{sector or ''}"))
    if page > 0:
        buttons.append(("Trang trước", f"nc:ls:{status or '-'}:{page - 1}:{sector or ''}"))
    ctx.say(f"Yêu cầu đang mở ({where}), trang {page + 1}:\n"
            + "\n".join(f"• {list_line(c)}" for c in found[:PAGE]), buttons)


@router.command("nhucau")
@staff_only
async def list_demands(ctx: Context, member: StaffMember) -> None:
    status, sector = parse_filter(" ".join(ctx.args))
    if sector == "?":
        ctx.say("Dạ, em chưa nhận ra bộ lọc này. Anh/chị gõ /nhucau, /nhucau moi, /nhucau "
                "dang xu ly hoặc /nhucau <lĩnh vực>, hoặc chọn:",
                [(label, f"nc:ls:{code}:0") for label, code in FILTERS])
        return
    await show_list(ctx, member, status, sector, 0)


# --- buttons: nc:<action>:<demand id>[:<more>] --------------------------------------------------
async def _demand(ctx: Context, member: StaffMember, raw: str) -> DemandCard | None:
    """The demand of a button, if it exists and is the member's to see; else say why."""
    try:
        if len(raw) > 9:  # ids fit an INTEGER column
            raise ValueError(raw)
        found = await pipeline.card(ctx.db, int(raw))
    except (ValueError, StorageError):
        ctx.say("Dạ, em không tìm thấy yêu cầu này (có thể đã bị xoá). Anh/chị xem danh sách "
                "mới bằng /nhucau ạ.", [("Danh sách yêu cầu", "nc:ls:-:0")])
        return None
    if not member.sees(found.point_code):
        where = found.point_name or "chưa có điểm"
        ctx.say(f"Dạ, yêu cầu số {found.id} thuộc điểm kết nối khác ({where}), anh/chị không "
                "xem hay xử lý được ạ.", main_menu())
        return None
    return found


def show_card(ctx: Context, found: DemandCard, head: str = "") -> None:
    intros = [("Giới thiệu chuyên gia", f"gt:dm:{found.id}")] if found.type == "find_expert" else []
    ctx.say((head + "\n\n" if head else "") + card_text(found, local_tz(ctx)),
            [*next_steps(found), *intros])


async def _step(ctx: Context, step: Awaitable[DemandCard], done: str) -> None:
    try:
        show_card(ctx, await step, done)
    except StorageError as exc:
        ctx.say(f"Dạ, {str(exc)[0].lower()}{str(exc)[1:]}", [("Danh sách yêu cầu", "nc:ls:-:0")])


async def on_card(ctx: Context, m: StaffMember, d: DemandCard, rest: list[str]) -> None:
    show_card(ctx, d)


async def on_take(ctx: Context, m: StaffMember, d: DemandCard, rest: list[str]) -> None:
    await _step(ctx, pipeline.take(ctx.db, d.id, actor(m), tell=user_update),
                f"Dạ, anh/chị đã nhận xử lý yêu cầu số {d.id}; doanh nghiệp đã được báo.")


async def on_move(ctx: Context, m: StaffMember, d: DemandCard, rest: list[str]) -> None:
    if rest:
        await _step(ctx, pipeline.move(ctx.db, d.id, rest[0], actor(m), alert=staff_alert),
                    f"Dạ, đã chuyển yêu cầu số {d.id} sang điểm {rest[0]}; cán bộ điểm đó đã "
                    "được báo.")
        return
    others = [(name, f"nc:move:{d.id}:{code}") for code, name in await pipeline.points(ctx.db)
              if code != d.point_code]
    ctx.say(f"Anh/chị chuyển yêu cầu số {d.id} sang điểm kết nối nào ạ?", others[:12])


def _ref(raw: str) -> tuple[list[int], list[int]]:
    """"t5" → a technology, "e3" → an expert, "t5.t9.e3" → several; "all" handled by the
    caller."""
    techs: list[int] = []
    experts: list[int] = []
    for part in raw.split(".")[:8]:
        kind, number = part[:1], part[1:]
        if kind not in ("t", "e") or not number.isdecimal() or len(number) > 9:
            raise ValueError(raw)
        (techs if kind == "t" else experts).append(int(number))
    return techs, experts


async def on_propose(ctx: Context, m: StaffMember, d: DemandCard, rest: list[str]) -> None:
    if not rest:
        choices = [(f"Đề xuất: {s.name[:40]}", f"nc:prop:{d.id}:{s.kind[0]}{s.id}")
                   for s in d.matches]
        if d.matches:
            choices.insert(0, ("Đề xuất tất cả gợi ý", f"nc:prop:{d.id}:all"))
        ctx.say(f"Anh/chị đề xuất gì cho yêu cầu số {d.id}? Chọn từ các gợi ý, hoặc tìm trong "
                "danh mục bằng từ khoá khác:",
                [*choices, ("Tìm công nghệ/chuyên gia khác", f"nc:find:{d.id}"),
                 ("Quay lại", f"nc:card:{d.id}")])
        return
    picked = d.matches if rest[0] == "all" else None
    techs, experts = ([s.id for s in picked if s.kind == "technology"],
                      [s.id for s in picked if s.kind == "expert"]) if picked else _ref(rest[0])
    await _step(ctx, pipeline.change(ctx.db, d.id, "proposed", actor(m), technology_ids=techs,
                                     expert_ids=experts, tell=user_update),
                "Dạ, đã gửi đề xuất cho doanh nghiệp.")


async def on_find(ctx: Context, m: StaffMember, d: DemandCard, rest: list[str]) -> None:
    await ctx.start_form(SEARCH_FORM.name, {"demand": d.id})


async def show_found(ctx: Context, d: DemandCard, query: str) -> None:
    """The catalog's technologies and experts for the staff member's keywords, to propose."""
    search = ctx.services.search
    hits = [*await search.technologies(ctx.db, query, k=5),
            *await search.experts(ctx.db, query, k=3)]
    again = ("Tìm lại", f"nc:find:{d.id}")
    if not hits:
        ctx.say(f"Dạ, em không tìm thấy công nghệ hay chuyên gia nào cho “{query[:60]}”. "
                "Anh/chị thử từ khoá khác ạ.", [again, ("Quay lại", f"nc:card:{d.id}")])
        return
    refs = [f"{h.kind[0]}{h.id}" for h in hits]
    lines = [f"{i}. {'Chuyên gia' if h.kind == 'expert' else 'Công nghệ'}: {h.title}"
             for i, h in enumerate(hits, 1)]
    ctx.say(f"Kết quả cho “{query[:60]}” (yêu cầu số {d.id}):\n" + "\n".join(lines),
            [*((f"Đề xuất: {h.title[:40]}", f"nc:prop:{d.id}:{h.kind[0]}{h.id}") for h in hits),
             ("Đề xuất tất cả kết quả", f"nc:prop:{d.id}:{'.'.join(refs[:5])}"), again])


async def on_connect(ctx: Context, m: StaffMember, d: DemandCard, rest: list[str]) -> None:
    if not rest:
        options = d.proposed or d.matches
        choices = [(s.name[:50], f"nc:conn:{d.id}:{s.kind[0]}{s.id}") for s in options]
        ctx.say(f"Yêu cầu số {d.id} đã kết nối với đơn vị/chuyên gia nào ạ?",
                [*choices, ("Đơn vị khác (không có trong danh sách)", f"nc:conn:{d.id}:-")])
        return
    techs, experts = ([], []) if rest[0] == "-" else _ref(rest[0])
    await _step(ctx, pipeline.change(ctx.db, d.id, "connected", actor(m), technology_ids=techs,
                                     expert_ids=experts, tell=user_update),
                "Dạ, đã ghi nhận kết nối và báo doanh nghiệp.")


async def on_close(ctx: Context, m: StaffMember, d: DemandCard, rest: list[str]) -> None:
    if not rest:
        ctx.say(f"Anh/chị đóng yêu cầu số {d.id} với kết quả nào ạ?",
                [(name.capitalize(), f"nc:close:{d.id}:{code}")
                 for code, name in OUTCOME_NAMES.items()])
        return
    if rest[0] not in OUTCOME_NAMES:
        raise ValueError(rest[0])
    await ctx.start_form(CLOSE_FORM.name, {"demand": d.id, "outcome": rest[0]})


async def on_reopen(ctx: Context, m: StaffMember, d: DemandCard, rest: list[str]) -> None:
    await _step(ctx, pipeline.change(ctx.db, d.id, "new", actor(m), note="Mở lại"),
                f"Dạ, đã mở lại yêu cầu số {d.id}.")


Action = Callable[[Context, StaffMember, DemandCard, list[str]], Awaitable[None]]
ACTIONS: dict[str, Action] = {"card": on_card, "take": on_take, "move": on_move,
                              "prop": on_propose, "find": on_find, "conn": on_connect,
                              "close": on_close, "reopen": on_reopen}


@router.button("nc")
@staff_only
async def on_button(ctx: Context, member: StaffMember) -> None:
    name, *rest = ctx.args or [""]
    if name == "ls":
        await _list_page(ctx, member, rest)
        return
    action = ACTIONS.get(name)
    if action is None or not rest:
        ctx.say("Dạ, nút này không còn dùng được. Anh/chị xem lại bằng /nhucau ạ.", main_menu())
        return
    found = await _demand(ctx, member, rest[0])
    if found is None:
        return
    try:
        await action(ctx, member, found, rest[1:])
    except ValueError:
        ctx.say("Dạ, nút này không còn dùng được. Anh/chị xem lại yêu cầu ạ.",
                [("Xem yêu cầu", f"nc:card:{found.id}")])


async def _list_page(ctx: Context, member: StaffMember, rest: list[str]) -> None:
    status = rest[0] if rest and rest[0] in STATUS_NAMES else None
    page = int(rest[1]) if len(rest) > 1 and rest[1].isdecimal() else 0
    sector = rest[2] if len(rest) > 2 and rest[2] else None
    await show_list(ctx, member, status, sector, min(page, 1000))


# --- closing with a note: a one-question form --------------------------------------------------
async def _close(ctx: Context, values: dict[str, Any]) -> None:
    ctx.state.clear_form()
    member = await current_member(ctx)
    if member is None:  # removed while the form was open
        ctx.say("Dạ, tài khoản này không còn là cán bộ nên em chưa đóng yêu cầu ạ.", main_menu())
        return
    found = await _demand(ctx, member, str(values.get("demand")))
    if found is not None:
        await _step(ctx, pipeline.change(
            ctx.db, found.id, "closed", actor(member), outcome=values.get("outcome"),
            note=values.get("note") or None, tell=user_update),
            f"Dạ, đã đóng yêu cầu số {found.id} và báo doanh nghiệp.")


CLOSE_FORM = router.form(Form(
    name="demand_close", title="việc đóng yêu cầu", confirm=False, on_done=_close,
    slots=(Slot("note", "Ghi chú", "Anh/chị ghi chú ngắn về kết quả (hoặc bấm Bỏ qua) ạ.",
                parsers.short_text, required=False, switchable=False),),
))


# --- proposing from a search: the keywords, then the results as buttons ------------------------
async def _search(ctx: Context, values: dict[str, Any]) -> None:
    ctx.state.clear_form()
    member = await current_member(ctx)
    if member is None:  # removed while the form was open
        ctx.say("Dạ, tài khoản này không còn là cán bộ ạ.", main_menu())
        return
    found = await _demand(ctx, member, str(values.get("demand")))
    if found is not None:
        await show_found(ctx, found, values["query"])


SEARCH_FORM = router.form(Form(
    name="demand_propose_search", title="việc tìm đề xuất", confirm=False, on_done=_search,
    slots=(Slot("query", "Từ khoá", "Anh/chị gõ từ khoá tìm công nghệ hoặc chuyên gia (ví dụ: "
                "“sấy bơm nhiệt nông sản”) ạ.", parsers.short_text, switchable=False,
                recap=False),),
))
