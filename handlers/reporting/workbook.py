"""The report as an XLSX workbook: a Vietnamese summary sheet, then one sheet per breakdown.

Cells hold numbers (with number formats), header rows are frozen and columns fit their text, so
staff can paste the tables straight into their own report.
"""

from __future__ import annotations

import io
from datetime import datetime
from typing import Any

from openpyxl import Workbook
from openpyxl.styles import Alignment, Font, PatternFill
from openpyxl.utils import get_column_letter
from openpyxl.worksheet.worksheet import Worksheet

from handlers.reporting.sections import BREAKDOWNS, summary_rows
from storage.reports import Figures

COUNT_FORMAT = "#,##0"
HOURS_FORMAT = "#,##0.0"
HEADER_FILL = PatternFill("solid", fgColor="1F4E79")
HEADER_FONT = Font(bold=True, color="FFFFFF")
TITLE = "Báo cáo kết nối cung cầu công nghệ"


def _header(ws: Worksheet, row: int, names: tuple[str, ...]) -> None:
    for col, name in enumerate(names, 1):
        cell = ws.cell(row=row, column=col, value=name)
        cell.font, cell.fill = HEADER_FONT, HEADER_FILL
        cell.alignment = Alignment(vertical="center")
    ws.freeze_panes = ws.cell(row=row + 1, column=1)


def _value(ws: Worksheet, row: int, col: int, value: Any) -> None:
    cell = ws.cell(row=row, column=col, value=value)
    if isinstance(value, float):
        cell.number_format = HOURS_FORMAT
    elif isinstance(value, int):
        cell.number_format = COUNT_FORMAT


def _fit(ws: Worksheet, first_row: int = 1) -> None:
    """Column widths from the longest text in each column, from `first_row` down."""
    widths: dict[int, int] = {}
    for row in ws.iter_rows(min_row=first_row):
        for cell in row:
            if cell.value is None:
                continue
            shown = f"{cell.value:,}" if isinstance(cell.value, int | float) else str(cell.value)
            widths[cell.column] = max(widths.get(cell.column, 0), len(shown))
    for col, width in widths.items():
        ws.column_dimensions[get_column_letter(col)].width = min(80, width + 3)


def _summary(ws: Worksheet, fig: Figures, made: datetime) -> None:
    ws.title = "Tổng hợp"
    ws["A1"] = TITLE
    ws["A1"].font = Font(bold=True, size=14)
    ws["A2"] = f"Phạm vi: {fig.scope}"
    ws["A3"] = f"Thời gian: {fig.period.label()} (lập lúc {made:%H:%M %d/%m/%Y})"
    _header(ws, 5, ("Chỉ tiêu", "Số lượng"))
    row = 6
    for name, value in summary_rows(fig):
        ws.cell(row=row, column=1, value=name)
        _value(ws, row, 2, value)
        row += 1
    _fit(ws, first_row=5)  # before the notes: long sentences may overflow into empty cells
    if fig.notes:
        ws.cell(row=row + 1, column=1, value="Ghi chú").font = Font(bold=True)
        for n, note in enumerate(fig.notes, row + 2):
            ws.cell(row=n, column=1, value=note)


def render(fig: Figures, made: datetime | None = None) -> bytes:
    """The workbook as XLSX bytes."""
    made = made or datetime.now(fig.period.zone)
    wb = Workbook()
    _summary(wb.active, fig, made.astimezone(fig.period.zone))
    for part in BREAKDOWNS:
        ws = wb.create_sheet(part.title[:31])
        _header(ws, 1, (part.column, "Số lượng"))
        values = part.values(fig)
        for row, (key, count) in enumerate(values.items(), 2):
            ws.cell(row=row, column=1, value=part.name(key))
            _value(ws, row, 2, int(count))
        if part.total:
            total = len(values) + 2
            ws.cell(row=total, column=1, value="Tổng cộng").font = Font(bold=True)
            _value(ws, total, 2, sum(int(v) for v in values.values()))
            ws.cell(row=total, column=2).font = Font(bold=True)
        _fit(ws)
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()
