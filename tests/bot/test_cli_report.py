"""`ketnoi report`, `ketnoi demands list --limit` and `ketnoi seed --history` through the typer app."""

from __future__ import annotations

import asyncio
import io
import json
from collections.abc import Iterator
from pathlib import Path

import pytest
from openpyxl import load_workbook
from PIL import Image
from typer.testing import CliRunner

from bot.cli import app
from bot.config import get_settings
from storage.db import Database
from tests.storage import report_data
from tests.storage.conftest import create_schema

Q1 = ["--from", "2026-01-01", "--to", "31/03/2026"]


@pytest.fixture
def cli(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[CliRunner]:
    url = f"sqlite+aiosqlite:///{tmp_path / 'k.db'}"

    async def build() -> None:
        db = Database(url)
        await create_schema(db)
        await report_data.build(db)
        await db.dispose()

    asyncio.run(build())
    monkeypatch.setenv("KETNOI_DATABASE_URL", url)
    get_settings.cache_clear()
    yield CliRunner()
    get_settings.cache_clear()


def test_report_json_matches_the_demand_list(cli: CliRunner) -> None:
    out = cli.invoke(app, ["report", *Q1, "--json"])
    assert out.exit_code == 0, out.output
    data = json.loads(out.output)
    assert data["period"] == {"from": "2026-01-01", "to": "2026-03-31",
                              "timezone": "Asia/Ho_Chi_Minh"}
    assert data["headline"]["demands"] == 4 and data["supply"]["connections"] == 3
    assert data["demands"]["by_month"] == {"2026-01": 1, "2026-02": 1, "2026-03": 2}
    listed = json.loads(cli.invoke(app, ["demands", "list", "--json"]).output)
    assert len(listed) == 6  # all by default
    in_q1 = [d for d in listed if "2026-01-01" <= d["created_at"][:10] <= "2026-03-31"
             and d["created_at"] < "2026-03-31T17:00"]  # the quarter ends at 17:00 UTC
    assert len(in_q1) == data["demands"]["total"]
    two = json.loads(cli.invoke(app, ["demands", "list", "--json", "--limit", "2"]).output)
    assert [d["id"] for d in two] == [d["id"] for d in listed[:2]]


def test_report_point_and_text(cli: CliRunner) -> None:
    out = cli.invoke(app, ["report", *Q1, "--point", "BN"])
    assert out.exit_code == 0, out.output
    assert "Báo cáo Điểm Bắc Ninh, 01/01/2026 – 31/03/2026:" in out.output
    assert "Nhu cầu công nghệ tiếp nhận: 2" in out.output
    unknown = cli.invoke(app, ["report", "--point", "XX"])
    assert unknown.exit_code == 1 and "Không tìm thấy điểm kết nối" in unknown.output


def test_report_files(cli: CliRunner, tmp_path: Path) -> None:
    xlsx, png = tmp_path / "out" / "baocao.xlsx", tmp_path / "out" / "baocao.png"
    out = cli.invoke(app, ["report", *Q1, "--xlsx", str(xlsx), "--png", str(png)])
    assert out.exit_code == 0, out.output
    wb = load_workbook(io.BytesIO(xlsx.read_bytes()))
    assert wb["Tổng hợp"]["B6"].value == 4
    assert Image.open(png).size == (1600, 1000)


def test_report_bad_dates(cli: CliRunner) -> None:
    bad = cli.invoke(app, ["report", "--from", "31/02/2026"])
    assert bad.exit_code == 2 and "không phải ngày hợp lệ" in bad.output
    backwards = cli.invoke(app, ["report", "--from", "2026-03-01", "--to", "2026-01-01"])
    assert backwards.exit_code == 2


def test_report_of_an_empty_period(cli: CliRunner) -> None:
    out = cli.invoke(app, ["report", "--from", "2020-01-01", "--to", "2020-12-31", "--json"])
    assert out.exit_code == 0
    assert set(json.loads(out.output)["headline"].values()) == {0}


def test_seed_history_and_remove(cli: CliRunner) -> None:
    added = cli.invoke(app, ["seed", "--history"])
    assert added.exit_code == 0, added.output
    assert "420 nhu cầu" in added.output and "ketnoi seed --remove-history" in added.output
    total = len(json.loads(cli.invoke(app, ["demands", "list", "--json"]).output))
    assert total == 6 + 420
    removed = cli.invoke(app, ["seed", "--remove-history"])
    assert removed.exit_code == 0 and "420 nhu cầu" in removed.output
    plain = cli.invoke(app, ["seed"])
    assert plain.exit_code == 0 and "hoạt động mẫu" not in plain.output
    assert len(json.loads(cli.invoke(app, ["demands", "list", "--json"]).output)) == 6
