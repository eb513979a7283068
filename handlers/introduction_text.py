"""What staff and the user read about an expert introduction (shared by the user's "Kết nối"
button, the staff commands and their alerts). Each `compose` takes a
`storage.repos.introductions.IntroCard` and returns a serialised `Outgoing` for the outbox.

The expert's contact goes to the user only through `IntroCard.contact_for_user`.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from bot.types import Button, Outgoing, outgoing_to_dict
from storage.repos.introductions import STATUS_NAMES, IntroCard


def reach(contact: dict[str, Any]) -> str:
    return ", ".join(str(v) for v in contact.values())


def expert_of(card: IntroCard) -> str:
    if card.expert_name is None:
        return "(cán bộ đang tìm chuyên gia phù hợp)"
    return card.expert_name + (f" — {card.expert_organisation}" if card.expert_organisation
                               else "")


def staff_text(card: IntroCard) -> str:
    who = card.organisation or card.user_name or "chưa rõ đơn vị"
    lines = [f"Giới thiệu chuyên gia số {card.id} · {STATUS_NAMES.get(card.status, card.status)}",
             f"Chuyên gia: {expert_of(card)}"]
    if card.expert_contact:
        shared = "đã đồng ý chia sẻ" if card.expert_consented else "chưa đồng ý chia sẻ với DN"
        lines.append(f"Liên hệ chuyên gia (cho cán bộ; {shared}): {reach(card.expert_contact)}")
    lines.append(f"Doanh nghiệp: {who} · Liên hệ: {card.user_contact or 'chưa đồng ý chia sẻ'}")
    if card.demand_id:
        lines.append(f"Theo yêu cầu số {card.demand_id} ({card.point_name or 'chưa có điểm'})")
    if card.handled_by:
        lines.append(f"Cán bộ: {card.handled_by}")
    return "\n".join(lines)


def staff_buttons(card: IntroCard, experts: Sequence[tuple[int, str]] = ()
                  ) -> list[tuple[str, str]]:
    i = card.id
    if card.status not in ("requested", "contacted"):
        return []
    if card.expert_id is None:
        picks = [(f"Đã liên hệ: {name[:30]}", f"gt:contacted:{i}:{eid}") for eid, name in experts[:4]]
        return [*picks, ("Không phù hợp", f"gt:declined:{i}")]
    steps = [("Chuyên gia đồng ý", f"gt:agreed:{i}"), ("Không phù hợp", f"gt:declined:{i}")]
    if card.status == "requested":
        steps.insert(0, ("Đã liên hệ chuyên gia", f"gt:contacted:{i}"))
    return steps


def staff_alert(card: IntroCard) -> dict[str, Any]:
    return outgoing_to_dict(Outgoing(
        "🔔 Yêu cầu giới thiệu chuyên gia\n" + staff_text(card),
        tuple(Button(label, payload) for label, payload in staff_buttons(card))))


def _note(text: str) -> dict[str, Any]:
    return outgoing_to_dict(Outgoing(text, (Button("Yêu cầu của tôi", "menu:demand_status"),)))


def user_update(card: IntroCard) -> dict[str, Any] | None:
    """The user hears of each step; the expert's contact only as `contact_for_user` allows."""
    name = card.expert_name or "chuyên gia"
    shared = card.contact_for_user
    if card.status == "contacted":
        return _note(f"Dạ, cán bộ Trung tâm đã liên hệ {name} về yêu cầu của anh/chị; em sẽ báo "
                     "ngay khi chuyên gia phản hồi ạ.")
    if card.status == "agreed":
        how = (f" Anh/chị liên hệ chuyên gia qua: {reach(shared)}." if shared
               else " Cán bộ sẽ gửi anh/chị cách liên hệ.")
        return _note(f"Dạ, {name} đã đồng ý trao đổi với anh/chị.{how} Chúc anh/chị làm việc "
                     "hiệu quả ạ.")
    if card.status == "declined":
        return _note(f"Dạ, rất tiếc lần giới thiệu {name} chưa phù hợp. Cán bộ Trung tâm sẽ tìm "
                     "chuyên gia khác và báo lại anh/chị ạ.")
    return None
