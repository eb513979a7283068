"""`ketnoi import` / `ketnoi export`: catalog spreadsheets (XLSX via openpyxl, or CSV UTF-8).

The columns are documented in `storage.records`. Import is all-or-nothing per row: each bad row
is reported with its line number and reason and skipped; the good rows are written together in
the caller's transaction; a file that cannot be read as a whole (not XLSX/CSV, missing required
column, no data) raises `ImportFileError` before anything is written. Rows are matched by code,
so importing the same file again updates instead of duplicating.
"""

from __future__ import annotations

import csv
import io
import zipfile
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from openpyxl import Workbook, load_workbook
from openpyxl.utils.exceptions import InvalidFileException
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from storage import convert as cv
from storage.errors import ImportFileError
from storage.records import LAYOUTS, MODELS, Column, clean, flatten, header_key, header_map
from storage.upsert import UpsertCount, upsert

if TYPE_CHECKING:
    from storage.db import Database

MAX_ROWS = 200_000


@dataclass(frozen=True, slots=True)
class RowError:
    line: int  # 1-based line of the spreadsheet (the header is line 1 when it is first)
    reason: str


@dataclass(slots=True)
class ImportReport:
    kind: str
    counts: UpsertCount = field(default_factory=UpsertCount)
    errors: list[RowError] = field(default_factory=list)
    ignored_columns: list[str] = field(default_factory=list)

    @property
    def imported(self) -> int:
        return self.counts.created + self.counts.updated + self.counts.unchanged


def read_table(path: Path) -> list[tuple[int, list[Any]]]:
    """(line number, cells) of every row; ImportFileError when the file is not a table."""
    if not path.is_file():
        raise ImportFileError(f"Không tìm thấy tệp {path}.")
    suffix = path.suffix.lower()
    if suffix in (".xlsx", ".xlsm"):
        return _read_xlsx(path)
    if suffix == ".csv":
        return _read_csv(path)
    raise ImportFileError(f"Tệp {path.name}: chỉ nhận tệp Excel .xlsx hoặc .csv.")


def _read_xlsx(path: Path) -> list[tuple[int, list[Any]]]:
    try:
        workbook = load_workbook(path, read_only=True, data_only=True)
    except (zipfile.BadZipFile, InvalidFileException, KeyError, OSError, ValueError) as exc:
        raise ImportFileError(f"Tệp {path.name} không phải tệp Excel (.xlsx) hợp lệ "
                              f"({type(exc).__name__}).") from None
    try:
        sheet = workbook.worksheets[0]
        return [(n, list(row)) for n, row in enumerate(sheet.iter_rows(values_only=True), 1)]
    finally:
        workbook.close()


def _read_csv(path: Path) -> list[tuple[int, list[Any]]]:
    data = path.read_bytes()
    if b"\x00" in data[:4096]:
        raise ImportFileError(f"Tệp {path.name} không phải tệp CSV dạng văn bản.")
    try:
        content = data.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise ImportFileError(f"Tệp {path.name} phải dùng bảng mã UTF-8 (trong Excel: "
                              "Lưu thành → CSV UTF-8).") from None
    first = content.split("\n", 1)[0]
    delimiter = max((";", ",", "\t"), key=first.count)
    reader = csv.reader(io.StringIO(content, newline=""), delimiter=delimiter)
    return [(reader.line_num, row) for row in reader]


def _columns(kind: str, header: Sequence[Any],
             report: ImportReport) -> dict[int, Column]:
    known = header_map(kind)
    columns: dict[int, Column] = {}
    for i, cell in enumerate(header):
        col = known.get(header_key(cell))
        if col is None or col in columns.values():
            if not cv.is_empty(cell):
                report.ignored_columns.append(str(cell))
            continue
        columns[i] = col
    missing = [c.header for c in LAYOUTS[kind] if c.required and c not in columns.values()]
    if missing:
        raise ImportFileError("Thiếu cột bắt buộc: " + ", ".join(f"“{m}”" for m in missing)
                              + ". Dòng đầu tiên của tệp phải là tên cột.")
    return columns


def parse_rows(kind: str, table: list[tuple[int, list[Any]]],
               report: ImportReport) -> list[dict[str, Any]]:
    """Clean records of the good rows; bad rows (and every row of a repeated code) go to errors."""
    rows = [(n, cells) for n, cells in table if any(not cv.is_empty(c) for c in cells)]
    if not rows:
        raise ImportFileError("Tệp không có dữ liệu.")
    if len(rows) > MAX_ROWS + 1:
        raise ImportFileError(f"Tệp quá lớn: tối đa {MAX_ROWS} dòng mỗi lần nhập.")
    columns = _columns(kind, rows[0][1], report)
    good: list[tuple[int, dict[str, Any]]] = []
    lines_by_code: dict[str, list[int]] = defaultdict(list)
    for line, cells in rows[1:]:
        raw = {col.key: cells[i] if i < len(cells) else None for i, col in columns.items()}
        code = cv.text(raw.get("code")).upper()
        if code:
            lines_by_code[code].append(line)
        try:
            good.append((line, clean(kind, raw)))
        except ValueError as exc:
            report.errors.append(RowError(line, str(exc)))
    if not good and not report.errors:
        raise ImportFileError("Tệp chỉ có dòng tên cột, không có dữ liệu.")
    out = []
    for line, values in good:
        lines = lines_by_code[values["code"]]
        if len(lines) > 1:
            others = ", ".join(str(x) for x in lines if x != line)
            report.errors.append(RowError(line, f"mã {values['code']} bị trùng với dòng {others} "
                                                "trong cùng tệp; không nhập dòng nào có mã này"))
            continue
        out.append(values)
    report.errors.sort(key=lambda e: e.line)
    return out


async def import_file(session: AsyncSession, kind: str, path: Path) -> ImportReport:
    """Read, check and upsert; flushes, the caller commits (or rolls back)."""
    report = ImportReport(kind)
    records = parse_rows(kind, read_table(path), report)
    if records:
        report.counts = await upsert(session, kind, records)
    return report


def _cell(col: Column, value: Any) -> Any:
    """Export form of a value: names rather than ids, so staff can read and edit the sheet."""
    if value is None:
        return None
    exporters = {cv.sector: cv.sector_label, cv.sectors: lambda v: "; ".join(
        cv.sector_label(x) for x in v), cv.province: cv.province_label,
        cv.stage: lambda v: cv.STAGE_NAMES[v][0],
        cv.transfer_modes: lambda v: "; ".join(cv.MODE_NAMES[x][0] for x in v),
        cv.event_kind: lambda v: cv.EVENT_KIND_NAMES[v][0], cv.text_list: "; ".join,
        cv.status: lambda v: v}
    if col.convert in exporters:
        return exporters[col.convert](value)
    if isinstance(value, bool):
        return "có" if value else "không"
    if hasattr(value, "astimezone"):
        return value.astimezone(cv.LOCAL_TZ).strftime("%Y-%m-%d %H:%M")
    return value


async def export_file(session: AsyncSession, kind: str, path: Path) -> int:
    """Write every row of `kind` (same columns as import); returns the number of rows."""
    model = MODELS[kind]
    objs = list((await session.execute(select(model).order_by(model.code))).scalars())
    layout = LAYOUTS[kind]
    table = [[col.header for col in layout]]
    for obj in objs:
        raw = flatten(kind, obj)
        table.append([_cell(col, raw[col.key]) for col in layout])
    path.parent.mkdir(parents=True, exist_ok=True)
    if path.suffix.lower() == ".csv":
        with path.open("w", encoding="utf-8-sig", newline="") as fh:
            csv.writer(fh).writerows(table)
    elif path.suffix.lower() == ".xlsx":
        workbook = Workbook()
        sheet = workbook.active
        assert sheet is not None
        sheet.title = kind
        for row in table:
            sheet.append(row)
        workbook.save(path)
    else:
        raise ImportFileError("Chỉ xuất được tệp .xlsx hoặc .csv.")
    return len(objs)


async def import_into(db: Database, kind: str, path: Path) -> ImportReport:
    """`import_file` in its own transaction (`ketnoi import`)."""
    async with db.transaction() as s:
        return await import_file(s, kind, path)


async def export_from(db: Database, kind: str, path: Path) -> int:
    """`export_file` reading through its own session (`ketnoi export`)."""
    async with db.session() as s:
        return await export_file(s, kind, path)
