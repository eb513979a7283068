"""Vietnamese names for the keys of the figures (ids of types, sectors, provinces, statuses...)."""

from __future__ import annotations

from collections.abc import Callable

from nlu.taxonomy import PROVINCE_BY_ID, SECTOR_BY_ID
from storage.reports.query import UNKNOWN

UNKNOWN_LABEL = "Chưa rõ"
EVERY_LABEL = "Tất cả"

DEMAND_TYPES = {
    "find_technology": "Tìm công nghệ", "find_expert": "Tìm chuyên gia",
    "offer_technology": "Chào bán công nghệ", "ask_events": "Hỏi sự kiện",
    "ask_training": "Hỏi đào tạo", "ask_funding": "Hỗ trợ kinh phí",
    "ip_support": "Sở hữu trí tuệ", "human_handoff": "Gặp cán bộ",
}
STATUSES = {
    "new": "Tiếp nhận", "assigned": "Đã phân công", "proposed": "Đã đề xuất",
    "matched": "Đã gợi ý tự động", "connected": "Đã kết nối", "closed": "Đã đóng",
    "rejected": "Từ chối",
}
OUTCOMES = {"deal": "Thành công", "no_match": "Không tìm được", "withdrawn": "Rút yêu cầu",
            "duplicate": "Trùng lặp"}
CHANNELS = {"telegram": "Telegram", "zalo": "Zalo", "zalo_oa": "Zalo OA", "console": "Dòng lệnh"}
EVENT_KINDS = {"techmart": "Techmart", "techdemo": "Techdemo", "techfest": "Techfest",
               "workshop": "Hội thảo", "training": "Đào tạo",
               "connection_session": "Phiên kết nối", "other": "Khác"}
STAGES = {"research": "Nghiên cứu", "prototype": "Mẫu thử", "pilot": "Thử nghiệm",
          "commercial": "Thương mại hoá"}


def _special(key: str) -> str | None:
    if key == UNKNOWN:
        return UNKNOWN_LABEL
    if key == "all":
        return EVERY_LABEL
    return None


def sector(key: str) -> str:
    found = SECTOR_BY_ID.get(key)
    return _special(key) or (found.name if found else key)


def province(key: str) -> str:
    found = PROVINCE_BY_ID.get(key)
    return _special(key) or (found.name if found else key)


def table(names: dict[str, str]) -> Callable[[str], str]:
    return lambda key: _special(key) or names.get(key, key)


def month(key: str) -> str:
    """"2026-03" → "03/2026"."""
    year, _, mon = key.partition("-")
    return f"{mon}/{year}"
