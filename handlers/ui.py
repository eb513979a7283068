"""Shared Vietnamese labels and menus (intent names → what the user sees)."""

from __future__ import annotations

from bot.types import Button

INTENT_LABELS: dict[str, str] = {
    "find_technology": "Tìm công nghệ",
    "find_expert": "Tìm chuyên gia",
    "offer_technology": "Chào bán công nghệ",
    "ask_events": "Sự kiện sắp tới",
    "ask_training": "Khóa đào tạo",
    "ask_funding": "Hỗ trợ kinh phí",
    "ip_support": "Sở hữu trí tuệ",
    "subscribe": "Đăng ký nhận tin",
    "unsubscribe": "Hủy nhận tin",
    "demand_status": "Yêu cầu của tôi",
    "human_handoff": "Gặp cán bộ",
    "greet": "Chào hỏi",
    "help": "Hướng dẫn",
}

# Intents that start a piece of work: a message with one of these, said with high confidence
# in the middle of another form, makes the bot ask whether to switch.
DOMAIN_INTENTS: frozenset[str] = frozenset(
    {
        "find_technology", "find_expert", "offer_technology", "ask_events", "ask_training",
        "ask_funding", "ip_support", "subscribe", "unsubscribe", "demand_status", "human_handoff",
    }
)

MAIN_MENU: tuple[str, ...] = (
    "find_technology", "find_expert", "offer_technology", "ask_events", "ask_training",
    "ask_funding", "ip_support", "demand_status", "human_handoff",
)


# A demand's type as the user sees it (its intent, or the consultation it came from).
TYPE_LABELS = {**INTENT_LABELS, "human_handoff": "Gặp cán bộ", "ask_funding": "Tư vấn hỗ trợ kinh phí",
               "ip_support": "Tư vấn sở hữu trí tuệ"}

# How far a technology is and how it can be transferred (catalog values → Vietnamese).
STAGE_NAMES = {
    "research": "đang nghiên cứu",
    "prototype": "đã có mẫu thử",
    "pilot": "đang sản xuất thử nghiệm",
    "commercial": "đã thương mại hóa",
}
MODE_NAMES = {
    "licence": "chuyển giao quyền sử dụng (li-xăng)",
    "sale": "mua bán, chuyển nhượng",
    "joint_development": "hợp tác phát triển",
    "consulting": "tư vấn kỹ thuật",
    "training": "đào tạo, chuyển giao kỹ năng",
}


def intent_button(intent: str, label: str | None = None) -> Button:
    return Button(label or INTENT_LABELS.get(intent, intent), f"menu:{intent}")


def main_menu() -> tuple[Button, ...]:
    return tuple(intent_button(i) for i in MAIN_MENU)


def bullet_list(lines: list[str]) -> str:
    return "\n".join(f"• {line}" for line in lines)
