"""What subscribers receive: broadcasts, event reminders, news of new items, weekly digests.

Shared by the staff broadcast form, the CLI and the scheduled jobs, so every pushed message
looks the same and carries the unsubscribe hint.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from zoneinfo import ZoneInfo

from bot.types import Button, Outgoing
from handlers.ui import bullet_list
from nlu.taxonomy import PROVINCE_BY_ID
from storage.models import Event, Technology
from storage.repos.broadcasts import BroadcastInfo

REASONS = {"blocked": "đã chặn bot", "unsubscribed": "đã hủy nhận tin",
           "cancelled": "đợt tin bị hủy", "forgotten": "đã xóa dữ liệu",
           "outside the Zalo window": "ngoài khung thời gian Zalo cho phép"}
# Short labels of the event kinds subscribers can choose (buttons).
KIND_LABELS = {"techmart": "Techmart (chợ công nghệ)", "techdemo": "Trình diễn công nghệ",
               "techfest": "Techfest (khởi nghiệp)", "workshop": "Hội thảo",
               "training": "Đào tạo, tập huấn", "connection_session": "Phiên kết nối cung cầu"}
# Words that name a kind in a typed answer (compared without diacritics).
KIND_WORDS = {"techmart": "techmart", "cho cong nghe": "techmart", "techdemo": "techdemo",
              "trinh dien": "techdemo", "techfest": "techfest", "khoi nghiep": "techfest",
              "hoi thao": "workshop", "workshop": "workshop", "tap huan": "training",
              "dao tao": "training", "ket noi": "connection_session"}
UNSUBSCRIBE_HINT = "Gõ /huynhantin để ngừng nhận tin."
TZ = ZoneInfo("Asia/Ho_Chi_Minh")
MAX_ITEMS = 5


def when(moment: datetime, tz: ZoneInfo = TZ) -> str:
    local = moment.astimezone(tz)
    return f"{local:%H:%M} ngày {local:%d/%m/%Y}"


def place(event: Event) -> str:
    parts = [p for p in (event.venue, PROVINCE_BY_ID[event.province].name
                         if event.province in PROVINCE_BY_ID else None) if p]
    if event.online_url:
        parts.append("trực tuyến")
    return ", ".join(parts) or "sẽ thông báo sau"


def event_lines(event: Event, tz: ZoneInfo = TZ) -> str:
    return f"{event.title}\n🗓 {when(event.starts_at, tz)}\n📍 {place(event)}"


def register_button(event: Event) -> Button:
    return Button("Đăng ký tham dự", f"ev:reg:{event.code}")


def with_hint(text: str) -> str:
    return f"{text.strip()}\n\n{UNSUBSCRIBE_HINT}"


def broadcast_message(text: str, event: Event | None, tz: ZoneInfo = TZ) -> Outgoing:
    """A staff broadcast: their text, the event (with its registration button), the hint."""
    parts = [text.strip()] if text.strip() else []
    if event is not None:
        parts.append(event_lines(event, tz))
    buttons = (register_button(event),) if event is not None else ()
    return Outgoing(with_hint("\n\n".join(parts)), buttons)


def reminder_message(event: Event, which: str, tz: ZoneInfo = TZ) -> Outgoing:
    lead = "ngày mai" if which == "1d" else "sau khoảng một giờ nữa"
    text = (f"Nhắc lịch: sự kiện anh/chị đã đăng ký sẽ diễn ra {lead}.\n\n"
            f"{event_lines(event, tz)}")
    if event.online_url:
        text += f"\nLink tham dự: {event.online_url}"
    return Outgoing(with_hint(text))


def new_event_message(event: Event, tz: ZoneInfo = TZ) -> Outgoing:
    return Outgoing(with_hint(f"Sự kiện mới phù hợp với đăng ký của anh/chị:\n\n"
                              f"{event_lines(event, tz)}"), (register_button(event),))


def new_technology_message(tech: Technology) -> Outgoing:
    lines = [f"Công nghệ mới phù hợp với đăng ký của anh/chị:\n\n{tech.title}"]
    if tech.provider:
        lines.append(f"Đơn vị: {tech.provider}")
    if tech.summary:
        lines.append(tech.summary[:300])
    return Outgoing(with_hint("\n".join(lines)),
                    (Button("Tìm công nghệ khác", "menu:find_technology"),))


def digest_message(techs: Sequence[Technology], events: Sequence[Event],
                   tz: ZoneInfo = TZ) -> Outgoing:
    parts = ["Bản tin tuần: những gì mới phù hợp với đăng ký của anh/chị."]
    if techs:
        parts.append(f"Công nghệ mới ({len(techs)}):\n" + bullet_list(
            [f"{t.title}" + (f" · {t.provider}" if t.provider else "")
             for t in techs[:MAX_ITEMS]]))
    if events:
        parts.append(f"Sự kiện mới ({len(events)}):\n" + bullet_list(
            [f"{e.title} · {when(e.starts_at, tz)}" for e in events[:MAX_ITEMS]]))
    buttons = [Button("Xem sự kiện sắp tới", "ev:list")] if events else []
    return Outgoing(with_hint("\n\n".join(parts)), tuple(buttons))


def report_lines(info: BroadcastInfo) -> list[str]:
    """The report in Vietnamese (shared with /baocaotin)."""
    c = info.counts

    def by_reason(table: dict[str, int]) -> str:
        return "; ".join(f"{REASONS.get(r, r)}: {n}" for r, n in sorted(table.items()))

    status = {"done": "đã xong", "sending": "đang gửi", "scheduled": "đang chờ giờ gửi",
              "cancelled": "đã hủy"}[info.status]
    lines = [f"Đợt tin số {info.id} ({status}): {info.recipients} người nhận.",
             f"Đã gửi: {c.sent}", f"Đang chờ gửi: {c.pending}",
             f"Lỗi: {sum(c.failed.values())}" + (f" ({by_reason(c.failed)})" if c.failed else ""),
             f"Bỏ qua: {sum(c.skipped.values())}"
             + (f" ({by_reason(c.skipped)})" if c.skipped else "")]
    if c.unknown:  # the sender stopped during these requests: not sent again, so no duplicate
        lines.append(f"Không rõ đã tới hay chưa (bộ gửi dừng giữa chừng, không gửi lại để "
                     f"tránh trùng): {c.unknown}")
    return lines
