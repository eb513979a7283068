"""`/web` in chat and `ketnoi staff login-link`: a one-time link to the web console, staff only."""

from __future__ import annotations

from pathlib import Path

import pytest
from typer.testing import CliRunner

from bot.cli import app
from bot.config import get_settings
from handlers.staff.access import NOT_STAFF
from handlers.staff.web_link import NOT_ENABLED
from storage.repos import staff, web_logins
from tests.handlers.chat import Bot


async def test_staff_get_a_link_that_signs_them_in(bot: Bot) -> None:
    bot.app.services.settings.secret_key = "chat-test-secret-key-0123"
    bot.app.services.settings.public_url = "https://ketnoi.example.vn/"
    await staff.add(bot.db, "telegram", "321", point="DKN-BN", name="Lan")
    chat = bot.chat("321", channel="telegram")
    await chat.send("/web")
    assert "10 phút" in chat.text and "https://ketnoi.example.vn/admin/login?token=" in chat.text
    token = chat.text.split("token=", 1)[1].split()[0]
    member = await web_logins.redeem(bot.db, token)
    assert member.user_id == "321" and member.point == "DKN-BN"
    with pytest.raises(web_logins.LinkUsed):
        await web_logins.redeem(bot.db, token)


async def test_web_refuses_non_staff_and_says_when_the_console_is_off(bot: Bot) -> None:
    chat = bot.chat("654", channel="telegram")
    await chat.send("/web")
    assert chat.text.startswith(NOT_STAFF[:40]) and "token=" not in chat.text
    bot.app.services.settings.secret_key = None
    await staff.add(bot.db, "telegram", "654", point="DKN-BN")
    await chat.send("/web")
    assert chat.text == NOT_ENABLED


def test_login_link_command(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("KETNOI_DATABASE_URL", f"sqlite+aiosqlite:///{tmp_path / 'k.db'}")
    monkeypatch.setenv("KETNOI_PUBLIC_URL", "https://ketnoi.example.vn")
    get_settings.cache_clear()
    cli = CliRunner()
    try:
        off = cli.invoke(app, ["staff", "login-link", "telegram", "1"])
        assert off.exit_code == 1 and "KETNOI_SECRET_KEY" in off.output
        monkeypatch.setenv("KETNOI_SECRET_KEY", "cli-test-secret-key-0123")
        get_settings.cache_clear()
        points = Path(__file__).parents[2] / "storage" / "fixtures" / "seed"
        assert cli.invoke(app, ["seed", "--dir", str(points)]).exit_code == 0
        refused = cli.invoke(app, ["staff", "login-link", "telegram", "1"])
        assert refused.exit_code == 1 and "không phải cán bộ" in refused.output
        assert cli.invoke(app, ["staff", "add", "telegram", "1", "--point", "Bắc Ninh"]
                          ).exit_code == 0
        given = cli.invoke(app, ["staff", "login-link", "telegram", "1"])
        assert given.exit_code == 0, given.output
        assert "https://ketnoi.example.vn/admin/login?token=" in given.output
    finally:
        get_settings.cache_clear()
