"""XLSX/CSV import and export: happy paths, every error class, re-import, round trip."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from openpyxl import Workbook
from sqlalchemy import func, select

from storage.convert import LOCAL_TZ
from storage.db import Database
from storage.errors import ImportFileError
from storage.importer import export_file, import_file
from storage.models import Event, Expert, Technology
from storage.seed import seed

from .conftest import SEED_FIXTURE

TECH_HEADER = ["Mã *", "Tên công nghệ *", "Tóm tắt", "Lĩnh vực", "Từ khóa", "Giai đoạn",
               "Hình thức chuyển giao", "Giá từ (VNĐ)", "Giá đến (VNĐ)", "Đơn vị cung cấp",
               "Điện thoại", "Tỉnh/Thành", "Ghi chú nội bộ"]


def tech_row(code: str, title: str = "Máy sấy cà phê", **kw: Any) -> list[Any]:
    row = {"sector": "Chế biến nông sản, thực phẩm", "keywords": "sấy; cà phê",
           "stage": "thương mại hóa", "modes": "bán; đào tạo", "low": "350 triệu",
           "high": 1_200_000_000, "provider": "Công ty Cơ khí Tây Nguyên",
           "phone": "0912345678", "province": "Đắk Nông", "note": "x"} | kw
    return [code, title, "Sấy 2 tấn/mẻ", row["sector"], row["keywords"], row["stage"],
            row["modes"], row["low"], row["high"], row["provider"], row["phone"],
            row["province"], row["note"]]


def write_xlsx(path: Path, rows: list[list[Any]]) -> Path:
    wb = Workbook()
    sheet = wb.active
    assert sheet is not None
    for row in rows:
        sheet.append(row)
    wb.save(path)
    return path


async def _import(db: Database, kind: str, path: Path) -> Any:
    async with db.transaction() as s:
        return await import_file(s, kind, path)


async def _count(db: Database, model: Any) -> int:
    async with db.session() as s:
        return int((await s.execute(select(func.count()).select_from(model))).scalar_one())


async def test_xlsx_happy_path_and_reimport(db: Database, tmp_path: Path) -> None:
    path = write_xlsx(tmp_path / "cn.xlsx", [TECH_HEADER, tech_row("cn-x01"),
                                             tech_row("CN-X02", "Lò sấy hồ tiêu")])
    report = await _import(db, "technologies", path)
    assert (report.counts.created, report.errors) == (2, [])
    assert report.ignored_columns == ["Ghi chú nội bộ"]
    async with db.session() as s:
        tech = (await s.execute(select(Technology).where(Technology.code == "CN-X01"))).scalar_one()
    assert (tech.sector, tech.province, tech.stage) == ("agri_processing", "lam_dong", "commercial")
    assert tech.transfer_modes == ["sale", "training"] and tech.keywords == ["sấy", "cà phê"]
    assert (tech.price_min, tech.price_max) == (350_000_000, 1_200_000_000)
    assert tech.provider_contact == {"phone": "0912345678"} and tech.status == "published"
    path = write_xlsx(tmp_path / "cn2.xlsx", [TECH_HEADER, tech_row("CN-X01", "Máy sấy cà phê v2"),
                                              tech_row("CN-X02", "Lò sấy hồ tiêu")])
    again = await _import(db, "technologies", path)
    assert (again.counts.created, again.counts.updated, again.counts.unchanged) == (0, 1, 1)
    assert await _count(db, Technology) == 2


async def test_csv_events_with_vietnamese_dates(db: Database, tmp_path: Path) -> None:
    path = tmp_path / "sk.csv"
    path.write_text(
        "Mã;Loại;Tên sự kiện;Bắt đầu;Kết thúc;Tỉnh/Thành;Lĩnh vực;Hạn đăng ký;Số chỗ\n"
        "SK-X1;Hội thảo;Hội thảo sấy nông sản;01/12/2030 08:00;01/12/2030 11:30;Hà Nội;"
        "Chế biến nông sản, thực phẩm;28/11/2030;100\n"
        "SK-X2;chợ công nghệ;Techmart;2030-12-05;;TP HCM;agri_processing, post_harvest;;\n",
        encoding="utf-8-sig")
    report = await _import(db, "events", path)
    assert report.errors == [] and report.counts.created == 2
    async with db.session() as s:
        events = {e.code: e for e in (await s.execute(select(Event))).scalars()}
    x1 = events["SK-X1"]
    assert x1.kind == "workshop" and x1.sectors == ["agri_processing"] and x1.capacity == 100
    assert x1.starts_at.astimezone(LOCAL_TZ).strftime("%d/%m/%Y %H:%M") == "01/12/2030 08:00"
    assert x1.ends_at is not None and (x1.ends_at - x1.starts_at).seconds == 3.5 * 3600
    assert "SK-X2" in events and events["SK-X2"].province == "ho_chi_minh"
    assert events["SK-X2"].sectors == ["agri_processing", "post_harvest"]
    assert events["SK-X2"].kind == "techmart"


async def test_row_errors_are_reported_and_good_rows_imported(db: Database,
                                                              tmp_path: Path) -> None:
    rows: list[list[Any]] = [TECH_HEADER,
            tech_row("CN-OK1"),
            tech_row("CN-BAD1", province="Atlantis"),
            tech_row("CN-BAD2", sector="du hành vũ trụ"),
            tech_row("CN-BAD3", low="rất rẻ"),
            tech_row("CN-BAD4", low=2_000_000_000),  # "Giá từ" above "Giá đến"
            tech_row("CN-DUP"), tech_row("CN-DUP", "Bản trùng"),
            tech_row("", "Không có mã"),
            tech_row("CN-BAD5", stage="sắp ra mắt"),
            tech_row("CN-OK2")]
    report = await _import(db, "technologies", write_xlsx(tmp_path / "mixed.xlsx", rows))
    lines = {e.line: e.reason for e in report.errors}
    assert set(lines) == {3, 4, 5, 6, 7, 8, 9, 10}
    assert "tỉnh/thành" in lines[3] and "lĩnh vực" in lines[4] and "không phải là số" in lines[5]
    assert "trùng" in lines[7] and "dòng 8" in lines[7] and "trùng" in lines[8]
    assert "thiếu “Mã”" in lines[9] and "giai đoạn" in lines[10]
    assert report.counts.created == 2
    async with db.session() as s:
        codes = set((await s.execute(select(Technology.code))).scalars())
    assert codes == {"CN-OK1", "CN-OK2"}


async def test_bad_event_date_is_a_row_error(db: Database, tmp_path: Path) -> None:
    rows: list[list[Any]] = [["Mã", "Tên sự kiện", "Bắt đầu", "Hạn đăng ký"],
            ["SK-1", "Đúng", "2030-12-01 08:00", "2030-11-30"],
            ["SK-2", "Sai ngày", "31/02/2030", None],
            ["SK-3", "Hạn sau ngày diễn ra", "2030-12-01 08:00", "2030-12-05"]]
    report = await _import(db, "events", write_xlsx(tmp_path / "ev.xlsx", rows))
    assert [e.line for e in report.errors] == [3, 4]
    assert "thời gian bắt đầu" in report.errors[0].reason
    assert await _count(db, Event) == 1


@pytest.mark.parametrize("case", ["not_xlsx", "wrong_suffix", "missing_column", "empty",
                                  "header_only", "not_utf8", "missing_file"])
async def test_broken_files_write_nothing(db: Database, tmp_path: Path, case: str) -> None:
    path = tmp_path / "f.xlsx"
    if case == "not_xlsx":
        path.write_text("Mã,Tên công nghệ\nCN-1,abc\n", encoding="utf-8")
    elif case == "wrong_suffix":
        path = tmp_path / "f.pdf"
        path.write_bytes(b"%PDF-1.4")
    elif case == "missing_column":
        write_xlsx(path, [["Mã", "Lĩnh vực"], ["CN-1", "energy"]])
    elif case == "empty":
        write_xlsx(path, [])
    elif case == "header_only":
        write_xlsx(path, [TECH_HEADER])
    elif case == "not_utf8":
        path = tmp_path / "f.csv"
        path.write_bytes("Mã,Tên công nghệ,Lĩnh vực\nCN-1,Máy sấy,energy\n".encode("latin-1", "replace"))
    else:
        path = tmp_path / "absent.xlsx"
    with pytest.raises(ImportFileError) as err:
        await _import(db, "technologies", path)
    message = str(err.value)
    expected = {"not_xlsx": "không phải tệp Excel", "wrong_suffix": ".xlsx hoặc .csv",
                "missing_column": "Thiếu cột bắt buộc: “Tên công nghệ”",
                "empty": "không có dữ liệu", "header_only": "không có dữ liệu",
                "not_utf8": "UTF-8", "missing_file": "Không tìm thấy"}[case]
    assert expected in message
    assert await _count(db, Technology) == 0


@pytest.mark.parametrize("suffix", ["xlsx", "csv"])
async def test_export_then_import_round_trips(small_catalog: Database, tmp_path: Path,
                                              suffix: str) -> None:
    for kind, model in (("technologies", Technology), ("experts", Expert), ("events", Event)):
        path = tmp_path / f"{kind}.{suffix}"
        async with small_catalog.session() as s:
            n = await export_file(s, kind, path)
        assert n == await _count(small_catalog, model)
        report = await _import(small_catalog, kind, path)
        assert report.errors == [], (kind, report.errors)
        assert (report.counts.created, report.counts.updated) == (0, 0), kind
        assert report.counts.unchanged == n


async def test_import_into_fresh_database_matches_seed(sqlite_db: Database,
                                                       tmp_path: Path) -> None:
    async with sqlite_db.transaction() as s:
        await seed(s, SEED_FIXTURE)
        await export_file(s, "experts", tmp_path / "e.xlsx")
    other = Database(f"sqlite+aiosqlite:///{tmp_path / 'other.db'}")
    await other.upgrade()
    report = await _import(other, "experts", tmp_path / "e.xlsx")
    async with other.session() as s:
        tanaka = (await s.execute(select(Expert).where(Expert.code == "E-002"))).scalar_one()
    await other.dispose()
    assert report.counts.created == 3
    assert tanaka.foreign and tanaka.country == "Nhật Bản" and tanaka.province is None
    assert tanaka.languages == ["ja", "en"] and tanaka.contact == {"email": "tanaka@u-tokyo.example"}


async def test_oversized_fields_and_invalid_phones_are_row_errors(db: Database,
                                                                  tmp_path: Path) -> None:
    rows: list[list[Any]] = [TECH_HEADER,
            tech_row("CN-OK1", phone="024 3825 1234"),
            tech_row("CN-LONG", "Máy sấy " * 5000),  # a 40,000-character paste
            tech_row("CN-ABC", phone="abc123"),
            tech_row("CN-SHORT", phone="12345"),
            tech_row("CN-" + "X" * 40),
            tech_row("CN-HOT", phone="1900 1234"),
            tech_row("CN-INT", phone="+1 617 555 0100"),
            tech_row("CN-RICH", high=10**30)]
    report = await _import(db, "technologies", write_xlsx(tmp_path / "big.xlsx", rows))
    lines = {e.line: e.reason for e in report.errors}
    assert set(lines) == {3, 4, 5, 6, 9}
    # Excel keeps at most 32.767 characters of a cell
    assert "“Tên công nghệ”: dài 32.767 ký tự, tối đa 300 ký tự" in lines[3]
    assert "số điện thoại “abc123” không hợp lệ" in lines[4]
    assert "số điện thoại “12345”" in lines[5]
    assert "“Mã”" in lines[6] and "tối đa 32" in lines[6]
    assert "quá lớn" in lines[9]
    async with db.session() as s:
        codes = set((await s.execute(select(Technology.code))).scalars())
    assert codes == {"CN-OK1", "CN-HOT", "CN-INT"}


async def test_a_40000_character_csv_title_is_a_row_error(db: Database, tmp_path: Path) -> None:
    path = tmp_path / "cn.csv"
    path.write_text("Mã;Tên công nghệ;Lĩnh vực\nCN-1;" + "x" * 40_000 + ";agri_processing\n"
                    "CN-2;Máy sấy;agri_processing\n", encoding="utf-8")
    report = await _import(db, "technologies", path)
    assert [(e.line, e.reason) for e in report.errors] == [
        (2, "cột “Tên công nghệ”: dài 40.000 ký tự, tối đa 300 ký tự")]
    assert report.counts.created == 1
