"""Demands as a plain-text table (for `ketnoi demands list`)."""

from __future__ import annotations

from typing import Any


def table(rows: list[dict[str, Any]]) -> str:
    """A plain-text table: id, date, type, status, province, sector, product, budget."""
    if not rows:
        return "Chưa có yêu cầu nào."
    header = ("ID", "Ngày", "Loại", "Trạng thái", "Tỉnh/thành", "Lĩnh vực", "Sản phẩm", "Kinh phí")
    lines = [[str(r["id"]), (r["created_at"] or "")[:10], r["type"], r["status_name"],
              r["province"] or "-", r["sector_name"] or "-", r["product"] or "-",
              f"{r['budget']:,}".replace(",", ".") if r["budget"] else "-"] for r in rows]
    widths = [min(30, max(len(h), *(len(line[i]) for line in lines))) for i, h in enumerate(header)]
    fmt = "  ".join(f"{{:<{w}.{w}}}" for w in widths)
    return "\n".join([fmt.format(*header), *(fmt.format(*line) for line in lines)])
