"""What the report shows, declared once for the workbook, the dashboard and the chat summary."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from handlers.reporting import labels
from storage.reports import HEADLINE, Figures


@dataclass(frozen=True)
class Breakdown:
    """One {key: count} figure shown as a table: sheet title, first column, how to name keys."""

    title: str
    column: str
    values: Callable[[Figures], dict[str, int]]
    name: Callable[[str], str]
    total: bool = True  # False when one item may count under several keys


BREAKDOWNS = (
    Breakdown("Theo tháng", "Tháng", lambda f: f.demands["by_month"], labels.month),
    Breakdown("Theo loại nhu cầu", "Loại nhu cầu", lambda f: f.demands["by_type"],
              labels.table(labels.DEMAND_TYPES)),
    Breakdown("Theo lĩnh vực", "Lĩnh vực", lambda f: f.demands["by_sector"], labels.sector),
    Breakdown("Theo tỉnh thành", "Tỉnh/thành phố", lambda f: f.demands["by_province"],
              labels.province),
    Breakdown("Theo kênh", "Kênh", lambda f: f.demands["by_channel"],
              labels.table(labels.CHANNELS)),
    Breakdown("Quy trình xử lý", "Bước", lambda f: f.pipeline["reached"],
              labels.table(labels.STATUSES), total=False),
    Breakdown("Kết quả đóng hồ sơ", "Kết quả", lambda f: f.pipeline["outcomes"],
              labels.table(labels.OUTCOMES)),
    Breakdown("Công nghệ theo lĩnh vực", "Lĩnh vực", lambda f: f.catalog["by_sector"],
              labels.sector),
    Breakdown("Công nghệ theo giai đoạn", "Giai đoạn", lambda f: f.catalog["by_stage"],
              labels.table(labels.STAGES)),
    Breakdown("Sự kiện theo loại", "Loại sự kiện", lambda f: f.events["by_kind"],
              labels.table(labels.EVENT_KINDS)),
    Breakdown("Người dùng theo kênh", "Kênh", lambda f: f.audience["users_by_channel"],
              labels.table(labels.CHANNELS)),
    Breakdown("Nhận tin theo lĩnh vực", "Lĩnh vực",
              lambda f: f.audience["subscribers_by_sector"], labels.sector, total=False),
    Breakdown("Nhận tin theo tỉnh thành", "Tỉnh/thành phố",
              lambda f: f.audience["subscribers_by_province"], labels.province, total=False),
)


def summary_rows(fig: Figures) -> list[tuple[str, Any]]:
    """The summary sheet: the headline figures, then the other single numbers."""
    rows: list[tuple[str, Any]] = [(HEADLINE[k], v) for k, v in fig.headline.items()]
    median = fig.pipeline["median_hours"]
    rows += [
        ("Lượt giới thiệu chuyên gia", fig.supply["introductions"]),
        ("Công nghệ trong danh mục", fig.catalog["technologies"]),
        ("Công nghệ chào bán qua chatbot", fig.catalog["offers_received"]),
        ("Công nghệ chào bán đã duyệt", fig.catalog["offers_approved"]),
        ("Sự kiện đã tổ chức", fig.events["held"]),
        ("Lượt đăng ký sự kiện", fig.events["registrations"]),
        ("Lượt tham dự ghi nhận", fig.events["attendance"]),
        ("Người dùng mới", fig.audience["new_users"]),
        ("Người đăng ký nhận tin", fig.audience["subscribers"]),
        ("Bản tin đã gửi", fig.audience["broadcasts"]),
        ("Tin nhắn bản tin đã chuyển tới", fig.audience["broadcast_messages_delivered"]),
        ("Trung vị giờ từ tiếp nhận đến phân công", median["new_to_assigned"]),
        ("Trung vị giờ từ tiếp nhận đến kết nối", median["new_to_connected"]),
    ]
    return rows


def number(value: int | float | None) -> str:
    """1234 → "1.234" (Vietnamese grouping), 37.5 → "37,5", None → "—"."""
    if value is None:
        return "—"
    if isinstance(value, float) and not value.is_integer():
        return f"{value:,.1f}".replace(",", " ").replace(".", ",").replace(" ", ".")
    return f"{int(value):,}".replace(",", ".")


def summary_text(fig: Figures) -> str:
    """The headline figures as a chat message (also what channels without files show)."""
    lines = [f"Báo cáo {fig.scope}, {fig.period.label()}:"]
    lines += [f"• {HEADLINE[k]}: {number(v)}" for k, v in fig.headline.items()]
    if fig.notes:
        lines.append(f"(Ghi chú: {len(fig.notes)} chỉ tiêu chưa có dữ liệu, xem trang Tổng hợp.)")
    return "\n".join(lines)
