"""Fixtures for the Zalo channels: the fake servers, a scripted core, channels wired to them."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from cryptography.fernet import Fernet

from bot.types import Button, ContentKind, Incoming, Outgoing
from bot.zalo.bot_platform import ZaloBotChannel
from bot.zalo.client import ZaloBotClient
from bot.zalo.delivery import RetryPolicy
from bot.zalo.oa import ZaloOAChannel, ZaloOAClient, ZaloOASender
from bot.zalo.tokens import TokenCipher, TokenKeeper, TokenPair, ZaloOAuth
from storage.db import Database
from tests.bot.fake_zalo import BOT_TOKEN, FakeZaloBot
from tests.bot.fake_zalo_oa import APP_SECRET, OA_APP_ID, FakeZaloOA
from tests.bot.telegram.conftest import ScriptedCore
from tests.bot.telegram.server import serving
from tests.handlers.chat import copy_db

KEY = Fernet.generate_key().decode()
MENU = (Button("Tìm công nghệ", "menu:find_technology"),
        Button("Tìm chuyên gia", "menu:find_expert"),
        Button("Sự kiện sắp tới", "menu:events"))
__all__ = ["ScriptedCore", "KEY", "MENU"]


class ZaloScriptedCore(ScriptedCore):
    """The Telegram test double, answering with the Zalo menu."""

    @staticmethod
    def default_script(incoming: Incoming) -> list[Outgoing]:
        if incoming.kind is ContentKind.BUTTON:
            return [Outgoing(f"Anh/chị đã chọn {incoming.payload}.")]
        if incoming.kind is ContentKind.CONTACT:
            return [Outgoing(f"Cảm ơn anh/chị, số {incoming.text} đã được ghi nhận.")]
        return [Outgoing("Xin chào anh/chị! Em có thể giúp gì ạ?", buttons=MENU)]


class Followers:
    def __init__(self) -> None:
        self.followed: list[str] = []

    async def follow(self, user_id: str, name: str | None) -> None:
        self.followed.append(user_id)


@pytest.fixture
def core() -> ZaloScriptedCore:
    core = ZaloScriptedCore()
    core.script = core.default_script
    return core


@pytest.fixture
def sleeps() -> list[float]:
    """Delays the channels asked for; tests do not actually wait."""
    return []


@pytest.fixture
def no_wait(sleeps: list[float]) -> Callable[[float], Any]:
    async def sleep(seconds: float) -> None:
        sleeps.append(seconds)

    return sleep


POLICY = RetryPolicy(max_attempts=3, base_delay=0.01, max_delay=5.0)


@pytest.fixture
async def fake_bot() -> AsyncIterator[FakeZaloBot]:
    async with serving(api := FakeZaloBot()):
        yield api


@pytest.fixture
async def fake_oa() -> AsyncIterator[FakeZaloOA]:
    async with serving(api := FakeZaloOA()):
        yield api


@pytest.fixture
def make_bot(fake_bot: FakeZaloBot, no_wait: Any) -> Callable[..., ZaloBotChannel]:
    def make(core: object, **options: Any) -> ZaloBotChannel:
        client = ZaloBotClient(options.pop("token", BOT_TOKEN), fake_bot.url, timeout=5.0)
        options.setdefault("typing_after", 5.0)
        return ZaloBotChannel(core, client, policy=POLICY, sleep=no_wait,  # type: ignore[arg-type]
                              **options)

    return make


@pytest.fixture
async def token_db(tmp_path: Path) -> AsyncIterator[Database]:
    """A migrated SQLite database (a copy of the per-process template: fast)."""
    db = Database(copy_db(tmp_path / "tokens.db"))
    yield db
    await db.dispose()


def make_keeper(fake_oa: FakeZaloOA, db: Database, **options: Any) -> TokenKeeper:
    oauth = ZaloOAuth(fake_oa.url, OA_APP_ID, APP_SECRET, timeout=5.0)
    return TokenKeeper(db, oauth, TokenCipher(KEY), **options)


@pytest.fixture
async def keeper(fake_oa: FakeZaloOA, token_db: Database) -> AsyncIterator[TokenKeeper]:
    keeper = make_keeper(fake_oa, token_db)
    access, refresh = fake_oa.issue_pair()
    await keeper.store(TokenPair(access, refresh, datetime.now(UTC) + timedelta(hours=25)))
    yield keeper
    await keeper.oauth.aclose()


@pytest.fixture
def make_oa(fake_oa: FakeZaloOA, no_wait: Any) -> Callable[..., ZaloOAChannel]:
    def make(core: object, keeper: TokenKeeper, buttons: str = "template",
             followers: Any = None) -> ZaloOAChannel:
        sender = ZaloOASender(ZaloOAClient(fake_oa.url, 5.0), keeper, buttons)  # type: ignore[arg-type]
        return ZaloOAChannel(core, sender, followers or Followers(),  # type: ignore[arg-type]
                             policy=POLICY, sleep=no_wait)

    return make


@pytest.fixture(params=["sqlite", "postgresql"])
async def shared_db(request: pytest.FixtureRequest, tmp_path: Path) -> AsyncIterator[str]:
    """A migrated database that several `Database` objects (as many processes) can open:
    a SQLite file URL, or a PostgreSQL schema given as 'url#schema'."""
    if request.param == "sqlite":
        yield copy_db(tmp_path / "shared.db")
        return
    from sqlalchemy import text

    from tests.storage.conftest import PG_URL, _pg_database, create_schema

    db, admin = await _pg_database()
    await create_schema(db)
    await db.dispose()
    try:
        yield f"{PG_URL}#{db.schema}"
    finally:
        async with admin.engine.begin() as conn:
            await conn.execute(text(f'DROP SCHEMA "{db.schema}" CASCADE'))
        await admin.dispose()


def open_db(url: str) -> Database:
    if "#" in url:
        base, schema = url.split("#", 1)
        return Database(base, schema=schema)
    return Database(url)
