"""The report's workbook, dashboard and chat summary, from the hand-counted dataset."""

from __future__ import annotations

import io
import warnings
from collections.abc import AsyncIterator
from datetime import date
from pathlib import Path

import pytest
from fontTools.ttLib import TTFont
from matplotlib import font_manager
from matplotlib.text import Text
from openpyxl import load_workbook
from PIL import Image

from handlers.reporting import dashboard, sections, workbook
from storage import reports
from storage.db import Database
from storage.reports import Figures, Period
from tests.storage import report_data
from tests.storage.conftest import create_schema

Q1 = Period(date(2026, 1, 1), date(2026, 3, 31))


@pytest.fixture
async def sqlite_db(tmp_path: Path) -> AsyncIterator[Database]:
    db = Database(f"sqlite+aiosqlite:///{tmp_path / 'report.db'}")
    await create_schema(db)
    yield db
    await db.dispose()


@pytest.fixture
async def fig(sqlite_db: Database) -> Figures:
    data = await report_data.build(sqlite_db)
    return await reports.figures(sqlite_db, Q1, now=data["now"])


@pytest.fixture
async def empty(sqlite_db: Database) -> Figures:
    return await reports.figures(sqlite_db, Q1)


def test_workbook_summary_holds_numbers(fig: Figures) -> None:
    wb = load_workbook(io.BytesIO(workbook.render(fig)))
    ws = wb["Tổng hợp"]
    assert ws["A1"].value == "Báo cáo kết nối cung cầu công nghệ"
    assert "Toàn mạng lưới" in ws["A2"].value and "01/01/2026" in ws["A3"].value
    assert (ws["A5"].value, ws["B5"].value) == ("Chỉ tiêu", "Số lượng")
    assert ws.freeze_panes == "A6"
    rows = {ws.cell(r, 1).value: ws.cell(r, 2) for r in range(6, ws.max_row + 1)}
    demands = rows["Nhu cầu công nghệ tiếp nhận"]
    assert demands.value == 4 and isinstance(demands.value, int)
    assert demands.number_format == "#,##0"
    assert rows["Lượt học viên đăng ký đào tạo"].value == 3
    hours = rows["Trung vị giờ từ tiếp nhận đến kết nối"]
    assert hours.value == 37.5 and hours.number_format == "#,##0.0"
    assert "Ghi chú" in rows  # figures that read 0 for now are explained
    widest = max(len(str(name)) for name in rows if name and name != "Ghi chú"
                 and not name.startswith(("Các bước", "Số ")))
    assert ws.column_dimensions["A"].width >= widest


def test_workbook_one_sheet_per_breakdown(fig: Figures) -> None:
    wb = load_workbook(io.BytesIO(workbook.render(fig)))
    assert wb.sheetnames == ["Tổng hợp", *(b.title for b in sections.BREAKDOWNS)]
    ws = wb["Theo tháng"]
    assert ws.freeze_panes == "A2"
    assert [[c.value for c in row] for row in ws.iter_rows()] == [
        ["Tháng", "Số lượng"], ["01/2026", 1], ["02/2026", 1], ["03/2026", 2],
        ["Tổng cộng", 4]]
    sectors = {r[0].value: r[1].value for r in wb["Theo lĩnh vực"].iter_rows(min_row=2)}
    assert sectors == {"Bảo quản sau thu hoạch": 2, "Công nghệ sinh học, chế phẩm vi sinh": 1,
                       "Chưa rõ": 1, "Tổng cộng": 4}
    assert all(isinstance(r[1].value, int) for r in wb["Theo kênh"].iter_rows(min_row=2))
    assert wb["Theo kênh"]["B2"].number_format == "#,##0"
    # A status reached counts a demand once per step: no misleading total.
    assert "Tổng cộng" not in {r[0].value for r in wb["Quy trình xử lý"].iter_rows()}
    width = wb["Theo lĩnh vực"].column_dimensions["A"].width
    assert width >= len("Công nghệ sinh học, chế phẩm vi sinh")


def test_workbook_of_an_empty_period(empty: Figures) -> None:
    wb = load_workbook(io.BytesIO(workbook.render(empty)))
    values = [wb["Tổng hợp"].cell(r, 2).value for r in range(6, 14)]
    assert values == [0] * 8
    assert wb["Theo tháng"]["B2"].value == 0


def test_dashboard_is_a_png_of_the_expected_size(fig: Figures) -> None:
    data = dashboard.render(fig)
    assert data.startswith(b"\x89PNG\r\n\x1a\n")
    image = Image.open(io.BytesIO(data))
    assert image.format == "PNG" and image.size == dashboard.SIZE == (1600, 1000)
    assert len(image.getcolors(1_000_000) or []) > 20  # drawn, not blank


def test_dashboard_text_is_vietnamese_and_in_the_font(fig: Figures) -> None:
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        figure = dashboard.draw(fig)
        figure.canvas.draw()
    assert not [w for w in caught if "missing from" in str(w.message)]
    texts = [t for t in figure.findobj(Text) if t.get_text().strip()]
    shown = " ".join(t.get_text() for t in texts)
    for words in ("Nhu cầu tiếp nhận theo tháng", "Hồ sơ chuyên gia", "Quy trình xử lý",
                  "Bảo quản sau thu hoạch", "Đã kết nối", "Kết nối cung cầu công nghệ"):
        assert words in shown.replace("\n", " ")
    fonts = {font_manager.findfont(t.get_fontproperties(), fallback_to_default=False)
             for t in texts}
    assert {f.rsplit("/", 1)[-1] for f in fonts} <= {"DejaVuSans.ttf", "DejaVuSans-Bold.ttf"}
    for path in fonts:
        cmap = TTFont(path).getBestCmap()
        used = {c for t in texts for c in t.get_text() if not c.isspace()}
        assert not [c for c in used if ord(c) not in cmap], path
        assert {ord(c) for c in "ạảấầẩẫậắằẳẵặẹẻẽếềểễệỉịọỏốồổỗộớờởỡợụủứừửữựỳỵỷỹđ"} <= set(cmap)


def test_empty_dashboard_draws_zeros(empty: Figures) -> None:
    image = Image.open(io.BytesIO(dashboard.render(empty)))
    assert image.size == (1600, 1000)


def test_summary_text(fig: Figures) -> None:
    text = sections.summary_text(fig)
    assert text.splitlines()[0] == "Báo cáo Toàn mạng lưới, 01/01/2026 – 31/03/2026:"
    assert "• Nhu cầu công nghệ tiếp nhận: 4" in text
    assert "• Kết nối cung cầu thành công: 3" in text
    assert sections.number(1234567) == "1.234.567" and sections.number(37.5) == "37,5"
    assert sections.number(None) == "—"
