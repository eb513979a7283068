"""`ketnoi db|seed|import|export|search` through the real typer app, on a temporary SQLite file."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest
from typer.testing import CliRunner

from bot.cli import app
from bot.config import get_settings

from .conftest import SEED_FIXTURE


@pytest.fixture
def cli(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[CliRunner]:
    monkeypatch.setenv("KETNOI_DATABASE_URL", f"sqlite+aiosqlite:///{tmp_path / 'v' / 'k.db'}")
    get_settings.cache_clear()
    yield CliRunner()
    get_settings.cache_clear()


def test_db_upgrade_and_downgrade(cli: CliRunner) -> None:
    up = cli.invoke(app, ["db", "upgrade"])
    assert up.exit_code == 0 and "phiên bản hiện tại" in up.output
    down = cli.invoke(app, ["db", "downgrade", "base"])
    assert down.exit_code == 0 and "base" in down.output
    assert "base" in cli.invoke(app, ["db", "current"]).output


def test_seed_then_search(cli: CliRunner) -> None:
    first = cli.invoke(app, ["seed", "--dir", str(SEED_FIXTURE)])
    assert first.exit_code == 0, first.output
    assert "Công nghệ: thêm 7" in first.output
    again = cli.invoke(app, ["seed", "--dir", str(SEED_FIXTURE)])
    assert "thêm 0, cập nhật 0" in again.output
    out = cli.invoke(app, ["search", "technologies", "cong nghe say vai thieu"])
    assert out.exit_code == 0
    assert out.output.splitlines()[1].startswith("1. [T-001]")
    assert "Lý do: khớp:" in out.output and "Hà Nội (ha_noi)" in out.output
    data = json.loads(cli.invoke(app, ["search", "technologies", "sấy vải thiều", "-p",
                                       "Bắc Giang", "-k", "3", "--json"]).output)
    assert {r["province_id"] for r in data["results"]} == {"bac_ninh"}
    assert data["results"][0]["province"] == "Bắc Ninh"
    events = json.loads(cli.invoke(app, ["search", "events", "--json"]).output)["results"]
    assert [e["code"] for e in events] == ["V-002", "V-001", "V-003"]


def test_search_bad_input_messages(cli: CliRunner) -> None:
    cli.invoke(app, ["seed", "--dir", str(SEED_FIXTURE)])
    empty = cli.invoke(app, ["search", "technologies", ""])
    assert empty.exit_code == 2 and "vui lòng nhập" in empty.output
    unknown = cli.invoke(app, ["search", "experts", "sấy", "--sector", "vũ trụ"])
    assert unknown.exit_code == 1 and "Không nhận ra lĩnh vực" in unknown.output
    none = cli.invoke(app, ["search", "technologies", "'; DROP TABLE users; --"])
    assert none.exit_code == 0 and "Không tìm thấy" in none.output
    bad_kind = cli.invoke(app, ["search", "robots", "x"])
    assert bad_kind.exit_code != 0


def test_import_export_commands(cli: CliRunner, tmp_path: Path) -> None:
    csv_path = tmp_path / "cn.csv"
    csv_path.write_text("Mã,Tên công nghệ,Lĩnh vực,Tỉnh/Thành\n"
                        "CN-1,Máy sấy hồ tiêu,agri_processing,Gia Lai\n"
                        "CN-2,Lò hơi sinh khối,năng lượng lạ,Gia Lai\n", encoding="utf-8")
    result = cli.invoke(app, ["import", "technologies", str(csv_path)])
    assert result.exit_code == 1
    assert "Đã nhập 1 công nghệ" in result.output and "Dòng 3" in result.output
    broken = tmp_path / "x.xlsx"
    broken.write_text("không phải excel", encoding="utf-8")
    result = cli.invoke(app, ["import", "technologies", str(broken)])
    assert result.exit_code == 1 and "không phải tệp Excel" in result.output
    out = tmp_path / "out.xlsx"
    result = cli.invoke(app, ["export", "technologies", str(out)])
    assert result.exit_code == 0 and "Đã xuất 1 công nghệ" in result.output and out.exists()


def test_acceptance_seed_then_search_demo_catalog(cli: CliRunner) -> None:
    """`ketnoi seed`, then the same top 5 for the query with and without diacritics,
    drying/preservation of fruit first."""
    assert cli.invoke(app, ["seed"]).exit_code == 0
    results = []
    for query in ("cong nghe say vai thieu", "công nghệ sấy vải thiều"):
        out = cli.invoke(app, ["search", "technologies", query, "--json"])
        assert out.exit_code == 0
        results.append(json.loads(out.output)["results"])
    assert [r["code"] for r in results[0]] == [r["code"] for r in results[1]]
    assert len(results[0]) == 5
    first = results[0][0]
    assert "sấy" in first["title"].lower() and "vải thiều" in first["title"].lower()
    assert {r["sector"] for r in results[0][:3]} <= {"agri_processing", "post_harvest"}


def test_staff_add_list_remove(cli: CliRunner) -> None:
    assert cli.invoke(app, ["seed", "--dir", str(SEED_FIXTURE)]).exit_code == 0
    added = cli.invoke(app, ["staff", "add", "telegram", "111", "--point", "Bắc Giang",
                             "--name", "Nguyễn Thị Lan"])
    assert added.exit_code == 0, added.output
    assert "Nguyễn Thị Lan" in added.output and "P-BN" in added.output
    unknown = cli.invoke(app, ["staff", "add", "telegram", "222", "--point", "DKN-XX"])
    assert unknown.exit_code == 1 and "Không tìm thấy điểm kết nối" in unknown.output
    listed = json.loads(cli.invoke(app, ["staff", "list", "--json"]).output)
    assert [(m["channel"], m["user_id"], m["point"], m["role"]) for m in listed] == [
        ("telegram", "111", "P-BN", "staff")]
    assert "Nguyễn Thị Lan" in cli.invoke(app, ["staff", "list"]).output
    assert cli.invoke(app, ["staff", "remove", "telegram", "111"]).exit_code == 0
    assert cli.invoke(app, ["staff", "remove", "telegram", "111"]).exit_code == 1
    assert json.loads(cli.invoke(app, ["staff", "list", "--json"]).output) == []
