"""The Zalo commands against the fakes (served from a thread): webhook registration, the OA's
token pair, and bad settings answered with a bilingual message and exit code 2."""

from __future__ import annotations

import asyncio
import socket
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest
import uvicorn
from typer.testing import CliRunner

from bot.cli import app
from bot.config import get_settings
from storage.db import Database
from storage.repos import channel_tokens
from tests.bot.fake_zalo import BOT_TOKEN, FakeZaloBot
from tests.bot.fake_zalo_oa import APP_SECRET, OA_APP_ID, FakeZaloOA
from tests.bot.zalo.conftest import KEY
from tests.handlers.chat import copy_db


class ThreadServer:
    """An ASGI app on 127.0.0.1 in its own thread, for commands that run their own event loop."""

    def __init__(self, asgi: Any) -> None:
        sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM, socket.IPPROTO_TCP)
        sock.bind(("127.0.0.1", 0))
        self.url = f"http://127.0.0.1:{sock.getsockname()[1]}"
        self.server = uvicorn.Server(uvicorn.Config(asgi, log_level="warning"))
        self.thread = threading.Thread(target=self.server.run, kwargs={"sockets": [sock]},
                                       daemon=True)

    def __enter__(self) -> ThreadServer:
        self.thread.start()
        deadline = time.monotonic() + 15
        while not self.server.started and time.monotonic() < deadline:
            time.sleep(0.01)
        return self

    def __exit__(self, *_: object) -> None:
        self.server.should_exit = True
        self.thread.join(10)


@pytest.fixture(autouse=True)
def clean_settings(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    import os

    for name in list(os.environ):
        if name.startswith(("KETNOI_ZALO", "KETNOI_TELEGRAM")):
            monkeypatch.delenv(name, raising=False)
    get_settings.cache_clear()
    yield
    get_settings.cache_clear()


def run(*args: str, **env: str) -> tuple[int, str]:
    get_settings.cache_clear()  # each command reads its own environment
    result = CliRunner().invoke(app, list(args), env=env)
    assert "Traceback" not in result.output, result.output
    return result.exit_code, result.output


@pytest.fixture
def bot_api() -> Iterator[FakeZaloBot]:
    fake = FakeZaloBot()
    with ThreadServer(fake.app) as server:
        fake.url = server.url
        yield fake


def test_set_webhook_and_webhook_info(bot_api: FakeZaloBot) -> None:
    env = {"KETNOI_ZALO_BOT_TOKEN": BOT_TOKEN, "KETNOI_ZALO_BOT_API_URL": bot_api.url,
           "KETNOI_ZALO_BOT_WEBHOOK_SECRET": "a-long-secret"}
    code, output = run("zalo-bot", "set-webhook", "https://ketnoi.vn/zalo-bot/webhook", **env)
    assert code == 0 and "https://ketnoi.vn/zalo-bot/webhook" in output
    [call] = bot_api.calls_to("setWebhook")
    assert call.params["secret_token"] == "a-long-secret"
    code, output = run("zalo-bot", "webhook-info", **env)
    assert code == 0 and "url: https://ketnoi.vn/zalo-bot/webhook" in output


@pytest.mark.parametrize(("url", "secret", "expected"), [
    ("http://ketnoi.vn/zalo-bot/webhook", "a-long-secret", "HTTPS"),
    ("https://ketnoi.vn/zalo-bot/webhook", "short", "8-256"),
    ("https://ketnoi.vn/zalo-bot/webhook", "", "KETNOI_ZALO_BOT_WEBHOOK_SECRET"),
])
def test_set_webhook_bad_settings(bot_api: FakeZaloBot, url: str, secret: str,
                                  expected: str) -> None:
    code, output = run("zalo-bot", "set-webhook", url, KETNOI_ZALO_BOT_TOKEN=BOT_TOKEN,
                       KETNOI_ZALO_BOT_API_URL=bot_api.url, KETNOI_ZALO_BOT_WEBHOOK_SECRET=secret)
    assert code == 2 and expected in output and bot_api.calls_to("setWebhook") == []


def test_run_zalo_bot_token_missing_malformed_or_refused(bot_api: FakeZaloBot,
                                                          tmp_path: Path) -> None:
    code, output = run("run", "zalo-bot")
    assert code == 2 and "Chưa đặt KETNOI_ZALO_BOT_TOKEN" in output
    code, output = run("run", "zalo-bot", KETNOI_ZALO_BOT_TOKEN="12 34/abc")
    assert code == 2 and "không đúng định dạng" in output
    db_url = copy_db(tmp_path / "k.db")
    code, output = run("run", "zalo-bot", KETNOI_ZALO_BOT_TOKEN="999:wrong-token",
                       KETNOI_ZALO_BOT_API_URL=bot_api.url, KETNOI_DATABASE_URL=db_url)
    assert code == 2 and "từ chối token" in output and "wrong-token" not in output


def test_serve_needs_the_zalo_secrets() -> None:
    code, output = run("serve", KETNOI_ZALO_BOT_TOKEN=BOT_TOKEN)
    assert code == 2 and "KETNOI_ZALO_BOT_WEBHOOK_SECRET" in output
    code, output = run("serve", KETNOI_ZALO_OA_APP_ID=OA_APP_ID)
    assert code == 2 and "KETNOI_ZALO_OA_SECRET_KEY" in output
    code, output = run("serve", KETNOI_ZALO_OA_APP_ID=OA_APP_ID, KETNOI_ZALO_OA_SECRET_KEY="k",
                       KETNOI_ZALO_APP_SECRET="s")
    assert code == 2 and "KETNOI_ZALO_TOKEN_KEY" in output and "Fernet" in output


@pytest.fixture
def oa_env(tmp_path: Path) -> Iterator[tuple[FakeZaloOA, dict[str, str]]]:
    fake = FakeZaloOA()
    with ThreadServer(fake.app) as server:
        fake.url = server.url
        yield fake, {"KETNOI_DATABASE_URL": copy_db(tmp_path / "oa.db"),
                     "KETNOI_ZALO_OA_APP_ID": OA_APP_ID, "KETNOI_ZALO_APP_SECRET": APP_SECRET,
                     "KETNOI_ZALO_TOKEN_KEY": KEY, "KETNOI_ZALO_OAUTH_URL": server.url,
                     "KETNOI_ZALO_OA_REDIRECT_URI": "https://ketnoi.vn/zalo/callback"}


def stored(env: dict[str, str]) -> channel_tokens.StoredTokens | None:
    async def read() -> channel_tokens.StoredTokens | None:
        db = Database(env["KETNOI_DATABASE_URL"])
        try:
            return await channel_tokens.read(db, f"zalo-oa:{OA_APP_ID}")
        finally:
            await db.dispose()

    return asyncio.run(read())


def test_set_tokens_stores_the_pair_encrypted(oa_env: tuple[FakeZaloOA, dict[str, str]]) -> None:
    _, env = oa_env
    code, output = run("zalo-oa", "set-tokens", "AT-plain-access", "RT-plain-refresh", **env)
    assert code == 0 and "Đã lưu" in output and "RT-plain-refresh" not in output
    pair = stored(env)
    assert pair is not None and "RT-plain" not in pair.refresh_token


def test_authorize_then_exchange(oa_env: tuple[FakeZaloOA, dict[str, str]]) -> None:
    fake, env = oa_env
    code, output = run("zalo-oa", "authorize", **env)
    assert code == 0
    url = next(line for line in output.splitlines() if "/v4/oa/permission?" in line)
    query = parse_qs(urlsplit(url).query)
    assert query["redirect_uri"] == ["https://ketnoi.vn/zalo/callback"]
    code_ = fake.issue_code(query["code_challenge"][0])
    code, output = run("zalo-oa", "exchange", code_, **env)
    assert code == 0 and "Đã lưu" in output
    assert stored(env) is not None
    code, output = run("zalo-oa", "exchange", "code-forged", **env)
    assert code == 2 and "authorize" in output  # the verifier was used up by the exchange


def test_oa_commands_need_their_settings(oa_env: tuple[FakeZaloOA, dict[str, str]]) -> None:
    _, env = oa_env
    code, output = run("zalo-oa", "set-tokens", "a", "b",
                       **{**env, "KETNOI_ZALO_TOKEN_KEY": ""})
    assert code == 2 and "KETNOI_ZALO_TOKEN_KEY" in output
    code, output = run("zalo-oa", "authorize",
                       **{**env, "KETNOI_ZALO_OA_REDIRECT_URI": ""})
    assert code == 2 and "--redirect-uri" in output


def test_serve_with_a_refused_bot_token_is_a_clear_error(bot_api: FakeZaloBot,
                                                         tmp_path: Path) -> None:
    code, output = run("serve", "--port", "0", KETNOI_ZALO_BOT_TOKEN="999:wrong-token",
                       KETNOI_ZALO_BOT_WEBHOOK_SECRET="a-long-secret",
                       KETNOI_ZALO_BOT_API_URL=bot_api.url,
                       KETNOI_DATABASE_URL=copy_db(tmp_path / "s.db"))
    assert code == 2 and "từ chối token" in output
