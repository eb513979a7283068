"""How events are shown in replies: the card, the date and place, the register button, and what a
list of events is about. Shared by the event features and the demand matches."""

from __future__ import annotations

from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from bot.types import Button
from handlers.office_hours import WEEKDAYS
from nlu.normalize import plain
from nlu.taxonomy import PROVINCE_BY_ID, SECTOR_BY_ID
from storage.models import Event

KIND_NAMES = {
    "techmart": "Chợ công nghệ và thiết bị (Techmart)",
    "techdemo": "Trình diễn công nghệ (Techdemo)",
    "techfest": "Ngày hội khởi nghiệp đổi mới sáng tạo (Techfest)",
    "workshop": "Hội thảo",
    "training": "Khóa đào tạo, tập huấn",
    "connection_session": "Phiên kết nối cung cầu công nghệ",
    "other": "Sự kiện",
}
KIND_PLURAL = {
    "training": "khóa đào tạo, tập huấn", "workshop": "hội thảo",
    "connection_session": "phiên kết nối cung cầu", "techmart": "chợ công nghệ (Techmart)",
    "techdemo": "sự kiện trình diễn công nghệ", "techfest": "ngày hội Techfest",
}



def show_time(moment: datetime, tz: ZoneInfo) -> str:
    local = moment.astimezone(tz)
    return f"{WEEKDAYS[local.weekday()]}, {local:%d/%m/%Y} lúc {local:%H:%M}"


def where(event: Event) -> str:
    place = [event.venue] if event.venue else []
    province = PROVINCE_BY_ID[event.province].name if event.province in PROVINCE_BY_ID else None
    if province and plain(province) not in plain(event.venue or ""):
        place.append(province)
    if event.online_url and "truc tuyen" not in plain(" ".join(place)):
        place.append("trực tuyến")
    return ", ".join(place) or "sẽ thông báo sau"


def event_card(event: Event, tz: ZoneInfo, seats: int | None, index: int | None = None) -> str:
    head = f"{index}. " if index is not None else ""
    lines = [f"{head}{event.title}"]
    kind = KIND_NAMES.get(event.kind, "Sự kiện")
    if plain(kind.split(" (")[0]) not in plain(event.title):  # "Hội thảo ..." says it already
        lines.append(f"   {kind}")
    lines += [f"   🗓 {show_time(event.starts_at, tz)}", f"   📍 {where(event)}"]
    extra = []
    if event.registration_deadline is not None:
        extra.append(f"hạn đăng ký {event.registration_deadline.astimezone(tz):%d/%m/%Y}")
    if seats is not None:
        extra.append(f"còn {seats} chỗ" if seats > 0 else "đã đủ chỗ")
    if extra:
        lines.append("   " + "; ".join(extra).capitalize())
    return "\n".join(lines)


def register_button(event: Event) -> Button:
    title = event.title if len(event.title) <= 28 else event.title[:27] + "…"
    return Button(f"Đăng ký: {title}", f"ev:reg:{event.code}")


def describe_filters(f: dict[str, Any]) -> str:
    what = KIND_PLURAL.get(f.get("kind") or "", "sự kiện")
    if f.get("sector") in SECTOR_BY_ID:
        what += f" về {SECTOR_BY_ID[f['sector']].name.lower()}"
    if f.get("province") in PROVINCE_BY_ID:
        what += f" tại {PROVINCE_BY_ID[f['province']].name}"
    return what
