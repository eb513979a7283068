"""/admin/reports: the reports feature's figures, dashboard and workbook for a period and a
point; a point's staff see their own point only."""

from __future__ import annotations

import io

from openpyxl import load_workbook

from tests.bot.admin.conftest import Console


async def test_a_points_staff_see_their_point_whatever_they_ask(console: Console) -> None:
    assert (await console.web.get("/admin/reports")).status_code == 401
    await console.sign_in("telegram", "100")
    page = await console.web.get("/admin/reports?point=DKN-HN")
    assert page.status_code == 200 and "Báo cáo Điểm kết nối Bắc Ninh" in page.text
    assert "<li><strong>1</strong>Nhu cầu" in page.text.replace("\n", "")  # its own demand
    assert 'name="point"' not in page.text  # no choice of point
    sheet = await console.web.get("/admin/reports/report.xlsx?point=DKN-HN")
    assert sheet.status_code == 200 and "attachment" in sheet.headers["content-disposition"]
    assert "dkn-bn" in sheet.headers["content-disposition"]
    workbook = load_workbook(io.BytesIO(sheet.content))
    cells = [c for row in workbook.worksheets[0].iter_rows(values_only=True) for c in row]
    assert "Điểm kết nối Bắc Ninh" in " ".join(str(c) for c in cells if c)


async def test_national_staff_choose_a_point_and_any_period(console: Console) -> None:
    await console.sign_in("telegram", "200")
    network = await console.web.get("/admin/reports?period=year")
    assert "Báo cáo Toàn mạng lưới" in network.text and 'name="point"' in network.text
    # Both demands were received this year; the headline counts them.
    assert "<li><strong>2</strong>Nhu cầu" in network.text.replace("\n", "")
    hanoi = await console.web.get("/admin/reports?period=year&point=DKN-HN")
    assert "Báo cáo Điểm kết nối Hà Nội" in hanoi.text
    assert "<li><strong>1</strong>Nhu cầu" in hanoi.text.replace("\n", "")
    old = await console.web.get("/admin/reports?from=2001-01-01&to=2001-12-31")
    assert "01/01/2001 – 31/12/2001" in old.text
    assert "<li><strong>0</strong>Nhu cầu" in old.text.replace("\n", "")
    backwards = await console.web.get("/admin/reports?from=2026-12-31&to=2026-01-01")
    assert backwards.status_code == 400 and "Khoảng thời gian không hợp lệ" in backwards.text
    unknown = await console.web.get("/admin/reports?point=DKN-XX")
    assert unknown.status_code == 400 and "Không tìm thấy điểm kết nối" in unknown.text
    assert (await console.web.get("/admin/reports/report.pdf")).status_code == 404


async def test_the_dashboard_image(console: Console) -> None:
    await console.sign_in("telegram", "100")
    image = await console.web.get("/admin/reports/report.png?period=quarter")
    assert image.status_code == 200 and image.headers["content-type"] == "image/png"
    assert image.content.startswith(b"\x89PNG")
