"""What staff and enterprises read about a demand moving through the pipeline: the staff alert,
the demand card with its next steps as buttons, and the short notes to the enterprise.

Shared by the demand features (alert on submit), the staff demand commands and the CLI; each
`compose` function takes a `storage.repos.pipeline_view.DemandCard` and returns a serialised
`Outgoing` for the outbox.
"""

from __future__ import annotations

from typing import Any
from zoneinfo import ZoneInfo

from bot.types import Button, Outgoing, outgoing_to_dict
from handlers.ui import TYPE_LABELS
from nlu.taxonomy import PROVINCE_BY_ID, SECTOR_BY_ID
from storage.convert import LOCAL_TZ
from storage.repos.demands import OUTCOME_NAMES, STATUS_NAMES
from storage.repos.pipeline_view import DemandCard, Supplier

TAKE, VIEW, MOVE = "Nhận xử lý", "Xem", "Chuyển điểm khác"


def money(amount: int | None) -> str:
    if not amount:
        return "chưa nêu"
    if amount >= 1_000_000_000:
        return f"{amount / 1_000_000_000:g} tỷ đồng".replace(".", ",")
    return f"{amount // 1_000_000:,} triệu đồng".replace(",", ".")


def place(card: DemandCard) -> str:
    """The province as written and the unit in force ("Bắc Giang → nay thuộc Bắc Ninh")."""
    unit = PROVINCE_BY_ID[card.province].name if card.province in PROVINCE_BY_ID else ""
    written = (card.province_mentioned or "").strip()
    if written and unit and written.casefold() != unit.casefold():
        return f"{written} (nay thuộc {unit})"
    return unit or written or "chưa nêu"


def supplier_line(s: Supplier, with_contact: bool = False) -> str:
    line = f"{s.name}" + (f" — {s.by}" if s.by else "")
    if with_contact and s.contact:
        line += " (liên hệ: " + ", ".join(str(v) for v in s.contact.values()) + ")"
    return line


def summary(card: DemandCard) -> str:
    """Type, who, sector, product, province, budget and the top matches: the alert's body."""
    who = card.organisation or card.user_name or "chưa rõ đơn vị"
    contact = card.contact or "chưa đồng ý chia sẻ liên hệ"
    sector = SECTOR_BY_ID[card.sector].name if card.sector in SECTOR_BY_ID else "chưa rõ"
    lines = [f"Yêu cầu số {card.id} · {TYPE_LABELS.get(card.type, card.type)}",
             f"Đơn vị: {who} · Liên hệ: {contact}",
             f"Lĩnh vực: {sector} · Sản phẩm: {card.product or 'chưa nêu'}",
             f"Tỉnh/thành: {place(card)} · Kinh phí: {money(card.budget)}"]
    if card.raw_text:
        lines.append(f"Nội dung: {card.raw_text[:300]}")
    if card.matches:
        lines.append("Gợi ý đã gửi doanh nghiệp:\n" + "\n".join(
            f"  – {supplier_line(s)}" for s in card.matches[:3]))
    return "\n".join(lines)


def staff_alert(card: DemandCard) -> dict[str, Any]:
    where = f" ({card.point_name})" if card.point_name else ""
    return outgoing_to_dict(Outgoing(
        f"🔔 Nhu cầu mới{where}\n{summary(card)}",
        (Button(TAKE, f"nc:take:{card.id}"), Button(VIEW, f"nc:card:{card.id}"),
         Button(MOVE, f"nc:move:{card.id}"))))


def next_steps(card: DemandCard) -> list[tuple[str, str]]:
    """The buttons of a card: the steps allowed from its status."""
    i = card.id
    steps = {
        "new": [(TAKE, f"nc:take:{i}"), (MOVE, f"nc:move:{i}"), ("Đóng", f"nc:close:{i}")],
        "assigned": [("Đề xuất công nghệ/chuyên gia", f"nc:prop:{i}"),
                     ("Đã kết nối", f"nc:conn:{i}"), (MOVE, f"nc:move:{i}"),
                     ("Đóng", f"nc:close:{i}")],
        "proposed": [("Đã kết nối", f"nc:conn:{i}"), ("Đóng", f"nc:close:{i}")],
        "connected": [("Đóng", f"nc:close:{i}")],
        "closed": [("Mở lại", f"nc:reopen:{i}")],
    }
    steps["matched"] = steps["new"]
    return steps.get(card.status, [])


def history(card: DemandCard, tz: ZoneInfo = LOCAL_TZ) -> str:
    return "\n".join(
        f"  {h.at.astimezone(tz):%d/%m %H:%M} · {STATUS_NAMES.get(h.new, h.new)}"
        + (f" — {h.note}" if h.note else "") + (f" ({h.by})" if h.by else "")
        for h in card.history)


def card_text(card: DemandCard, tz: ZoneInfo = LOCAL_TZ) -> str:
    status = STATUS_NAMES.get(card.status, card.status)
    if card.outcome:
        status += f" ({OUTCOME_NAMES.get(card.outcome, card.outcome)})"
    who = f" · cán bộ: {card.assigned_name or card.assigned_to}" if card.assigned_to else ""
    parts = [summary(card), f"Điểm: {card.point_name or 'chưa có'} · Trạng thái: {status}{who}"]
    if card.proposed:
        parts.append("Đã đề xuất: " + "; ".join(supplier_line(s) for s in card.proposed))
    if card.connected_with:
        parts.append("Đã kết nối với: " + "; ".join(supplier_line(s)
                                                   for s in card.connected_with))
    parts.append("Lịch sử:\n" + history(card, tz))
    return "\n".join(parts)


def list_line(card: DemandCard) -> str:
    who = card.organisation or card.user_name or "chưa rõ đơn vị"
    about = card.product or (card.raw_text[:40] if card.raw_text else "")
    return (f"Số {card.id} · {STATUS_NAMES.get(card.status, card.status)} · {who}"
            + (f" · {about}" if about else "") + f" · {place(card)}")


# --- what the enterprise is told ---------------------------------------------------------------
def _note(text: str) -> dict[str, Any]:
    return outgoing_to_dict(Outgoing(text, (Button("Yêu cầu của tôi", "menu:demand_status"),)))


def user_update(card: DemandCard) -> dict[str, Any] | None:
    """A short message telling the enterprise their demand moved on (None: nothing to say)."""
    head = f"Dạ, về yêu cầu số {card.id} của anh/chị: "
    staff = card.assigned_name or "của Trung tâm"
    if card.status == "assigned":
        return _note(head + f"cán bộ {staff} ({card.point_name or 'Trung tâm'}) đã tiếp nhận "
                     "và sẽ liên hệ anh/chị ạ.")
    if card.status == "proposed":
        items = "\n".join(f"• {supplier_line(s)}" for s in card.proposed) or "• (cán bộ sẽ gửi chi tiết)"
        return _note(head + f"cán bộ {staff} đề xuất:\n{items}\nAnh/chị quan tâm đơn vị nào, "
                     "vui lòng nhắn để cán bộ kết nối ạ.")
    if card.status == "connected":
        items = "\n".join(f"• {supplier_line(s, with_contact=True)}" for s in card.connected_with)
        tail = ("\nThông tin liên hệ chỉ hiện khi đơn vị/chuyên gia đã đồng ý chia sẻ; nếu chưa "
                "có, cán bộ sẽ giới thiệu trực tiếp ạ.")
        return _note(head + "Trung tâm đã kết nối anh/chị với:\n"
                     + (items or "• đơn vị cung ứng phù hợp") + tail)
    if card.status == "closed":
        outcome = OUTCOME_NAMES.get(card.outcome or "", "")
        return _note(head + f"yêu cầu đã hoàn tất ({outcome}). Cảm ơn anh/chị đã sử dụng dịch "
                     "vụ của Trung tâm ạ.")
    return None
