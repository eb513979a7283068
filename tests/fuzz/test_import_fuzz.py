"""Fuzz `ketnoi import`: any header and any cells (text, numbers, dates, empty, huge, formulas).
Every data row is imported or reported with its line and a reason; nothing else escapes; what
is imported fits the database (SQLite and PostgreSQL)."""

from __future__ import annotations

import csv
from datetime import datetime
from pathlib import Path
from typing import Any

from hypothesis import given
from hypothesis import strategies as st

from storage.db import Database
from storage.errors import ImportFileError
from storage.importer import ImportReport, import_file, parse_rows
from storage.records import LAYOUTS
from tests.fuzz import strategies as fz
from tests.fuzz.consistency import problems
from tests.fuzz.tally import tried

KINDS = sorted(LAYOUTS)
REAL_CELLS = st.sampled_from([
    "CN-001", "Máy sấy vải thiều", "Chế biến nông sản, thực phẩm", "agri_processing",
    "thương mại hóa", "bán; đào tạo", "350 triệu", "1,5 tỷ", "0912345678", "abc123",
    "lan@congty.vn", "Bắc Giang", "Hà Tây", "có", "không", "01/12/2030 08:00", "2030-12-05",
    "31/02/2030", "hội thảo", "=SUM(A1:A3)", "-5", "1e309", "NaN",
])
CELLS = st.one_of(
    st.none(), REAL_CELLS, fz.any_text, fz.vietnamese,
    st.integers(-(2**70), 2**70), st.floats(allow_nan=True, allow_infinity=True),
    st.booleans(), st.datetimes(min_value=datetime(1900, 1, 1)),
    st.integers(250, 40_000).map(lambda n: "x" * n),
)


# One good value per column (by key); a row starts from these and gets a few cells broken.
GOOD = {
    "code": "CN-{n}", "title": "Máy sấy vải thiều {n}", "name": "Nguyễn Văn {n}",
    "sector": "agri_processing", "sectors": "agri_processing; post_harvest",
    "keywords": "sấy; vải", "stage": "thương mại hóa", "transfer_modes": "bán",
    "price_min": "350 triệu", "price_max": "1,5 tỷ", "contact_phone": "0912345678",
    "contact_email": "lan@congty.vn", "province": "Bắc Giang", "status": "công bố",
    "kind": "hội thảo", "starts_at": "2030-12-01 08:00", "ends_at": "2030-12-01 11:00",
    "registration_deadline": "2030-11-28", "capacity": "100", "foreign": "không",
    "consent_contact": "có", "languages": "Tiếng Việt", "fields": "sấy nông sản",
}


@st.composite
def good_row(draw: st.DrawFn, kind: str) -> list[Any]:
    n = fz.next_id()
    row: list[Any] = [GOOD.get(c.key, "Thông tin {n}").format(n=n) for c in LAYOUTS[kind]]
    for _ in range(draw(st.integers(0, 2))):
        row[draw(st.integers(0, len(row) - 1))] = draw(CELLS)
    return row


@st.composite
def tables(draw: st.DrawFn) -> tuple[str, list[tuple[int, list[Any]]]]:
    kind = draw(st.sampled_from(KINDS))
    headers = [c.header for c in LAYOUTS[kind]]
    if draw(st.booleans()):  # a file made from the documented columns, rows mostly right
        rows = draw(st.lists(good_row(kind), min_size=1, max_size=6))
        return kind, [(n, cells) for n, cells in enumerate([headers, *rows], 1)]
    header = draw(st.lists(st.one_of(st.sampled_from(headers), fz.any_text), min_size=1,
                           max_size=len(headers) + 2))
    if draw(st.booleans()):
        header = [c.header for c in LAYOUTS[kind] if c.required] + header
    rows = draw(st.lists(st.lists(CELLS, max_size=len(header) + 1), max_size=6))
    return kind, [(n, cells) for n, cells in enumerate([header, *rows], 1)]


def data_lines(table: list[tuple[int, list[Any]]]) -> set[int]:
    filled = [n for n, cells in table if any(c is not None and str(c).strip() for c in cells)]
    return set(filled[1:])


@given(case=tables())
def test_every_row_is_imported_or_has_a_reason(case: tuple[str, list[Any]]) -> None:
    kind, table = case
    tried("import rows", max(0, len(table) - 1))
    report = ImportReport(kind)
    try:
        records = parse_rows(kind, table, report)
    except ImportFileError as error:
        assert str(error)  # the whole file is refused, with a reason
        return
    reported = {e.line for e in report.errors}
    assert all(e.reason for e in report.errors)
    assert len(records) + len(reported) == len(data_lines(table))


@given(case=tables())
async def test_imported_rows_fit_the_database(db: Database, tmp_path: Path,
                                              case: tuple[str, list[Any]]) -> None:
    kind, table = case
    tried(f"import file ({db.dialect})")
    path = tmp_path / f"{kind}.csv"
    with path.open("w", encoding="utf-8", newline="") as fh:
        csv.writer(fh, delimiter=";").writerows(cells for _, cells in table)
    async with db.session() as s:
        try:
            await import_file(s, kind, path)
        except ImportFileError:
            return
        await s.commit()
    assert await problems(db) == []

