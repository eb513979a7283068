"""`ketnoi broadcast create|report|cancel` through the real typer app on a SQLite file."""

from __future__ import annotations

import asyncio
import json
from collections.abc import Iterator
from pathlib import Path

import pytest
from typer.testing import CliRunner

from bot.cli import app
from bot.config import get_settings
from storage.db import Database
from tests.bot.outbox.support import add_subscribers
from tests.storage.conftest import SEED_FIXTURE


@pytest.fixture
def cli(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[tuple[CliRunner, str]]:
    url = f"sqlite+aiosqlite:///{tmp_path / 'k.db'}"
    monkeypatch.setenv("KETNOI_DATABASE_URL", url)
    get_settings.cache_clear()
    runner = CliRunner()
    assert runner.invoke(app, ["seed", "--dir", str(SEED_FIXTURE)]).exit_code == 0

    async def subscribers() -> None:
        db = Database(url)
        await add_subscribers(db, 4, sectors=["agri_processing"])
        await add_subscribers(db, 2, sectors=["biotech"], first=900)
        await db.dispose()

    asyncio.run(subscribers())
    yield runner, url
    get_settings.cache_clear()


def test_create_report_cancel(cli: tuple[CliRunner, str]) -> None:
    runner, _ = cli
    out = runner.invoke(app, ["broadcast", "create", "--text", "Mời dự hội thảo chế biến",
                              "--sector", "Chế biến nông sản", "--yes", "--json"])
    assert out.exit_code == 0, out.output
    created = json.loads(out.output)
    assert created["recipients"] == 4 and created["per_channel"] == {"telegram": 4}
    report = json.loads(runner.invoke(app, ["broadcast", "report", str(created["id"]),
                                            "--json"]).output)
    assert (report["pending"], report["sent"], report["status"]) == (4, 0, "sending")
    cancel = runner.invoke(app, ["broadcast", "cancel", str(created["id"])])
    assert cancel.exit_code == 0 and "4 tin chưa gửi" in cancel.output
    text = runner.invoke(app, ["broadcast", "report", str(created["id"])]).output
    assert "đã hủy" in text and "đợt tin bị hủy: 4" in text


def test_event_scheduled_and_bad_input(cli: tuple[CliRunner, str]) -> None:
    runner, _ = cli
    out = runner.invoke(app, ["broadcast", "create", "--event", "V-001", "--at",
                              "2099-12-01 08:00", "--yes"])
    assert out.exit_code == 0, out.output
    assert "6 người nhận" in out.output and "08:00 01/12/2099" in out.output
    both = runner.invoke(app, ["broadcast", "create", "--text", "x", "--event", "V-001", "--yes"])
    assert both.exit_code != 0
    unknown = runner.invoke(app, ["broadcast", "create", "--event", "NOPE", "--yes"])
    assert unknown.exit_code == 1 and "Không tìm thấy sự kiện" in unknown.output
    bad_time = runner.invoke(app, ["broadcast", "create", "--text", "Tin", "--at", "mai", "--yes"])
    assert bad_time.exit_code != 0
    missing = runner.invoke(app, ["broadcast", "report", "42"])
    assert missing.exit_code == 1 and "Không tìm thấy đợt tin số 42" in missing.output


def test_without_yes_asks_with_the_count(cli: tuple[CliRunner, str]) -> None:
    runner, _ = cli
    out = runner.invoke(app, ["broadcast", "create", "--text", "Tin chung"], input="n\n")
    assert "Sẽ gửi tới 6 người (telegram: 6)" in out.output and out.exit_code == 1
    report = runner.invoke(app, ["broadcast", "report", "1"])
    assert report.exit_code == 1  # nothing was created
