"""The commands: bad settings give a short bilingual message and exit code 2, never a traceback."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from typer.testing import CliRunner

from bot.cli import app
from bot.config import get_settings

SETTINGS = ("KETNOI_TELEGRAM_TOKEN", "KETNOI_TELEGRAM_WEBHOOK_SECRET", "KETNOI_TELEGRAM_API_URL")


@pytest.fixture(autouse=True)
def clean_settings(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    for name in SETTINGS:
        monkeypatch.delenv(name, raising=False)
    get_settings.cache_clear()
    yield
    get_settings.cache_clear()


def run(*args: str, **env: str) -> tuple[int, str]:
    result = CliRunner().invoke(app, list(args), env=env)
    assert "Traceback" not in result.output
    return result.exit_code, result.output


def test_run_telegram_without_token() -> None:
    code, output = run("run", "telegram")
    assert code == 2
    assert "Chưa đặt KETNOI_TELEGRAM_TOKEN" in output and "@BotFather" in output


@pytest.mark.parametrize("token", ["abc", "123", "123:", "12:ab cd", "bot123:abc"])
def test_run_telegram_with_malformed_token(token: str) -> None:
    code, output = run("run", "telegram", KETNOI_TELEGRAM_TOKEN=token)
    assert code == 2
    assert "không đúng định dạng" in output and "malformed" in output


def test_serve_refuses_an_open_webhook() -> None:
    code, output = run("serve", KETNOI_TELEGRAM_TOKEN="123:abc")
    assert code == 2
    assert "KETNOI_TELEGRAM_WEBHOOK_SECRET" in output


def test_set_webhook_needs_a_valid_token() -> None:
    code, output = run("telegram", "set-webhook", "https://x.vn/telegram/webhook")
    assert code == 2 and "KETNOI_TELEGRAM_TOKEN" in output


def test_unreachable_api_is_a_clear_error() -> None:
    code, output = run(
        "telegram",
        "set-webhook",
        "https://x.vn/telegram/webhook",
        KETNOI_TELEGRAM_TOKEN="123:abc",
        KETNOI_TELEGRAM_WEBHOOK_SECRET="abc",
        KETNOI_TELEGRAM_API_URL="http://127.0.0.1:9",  # discard port: nothing listens
    )
    assert code == 2 and "Không kết nối được" in output


def test_serve_refuses_several_workers_on_sqlite(tmp_path: object) -> None:
    code, output = run("serve", "--workers", "2",
                       KETNOI_DATABASE_URL=f"sqlite+aiosqlite:///{tmp_path}/k.db")
    assert code == 2
    assert "PostgreSQL" in output and "SQLite" in output
