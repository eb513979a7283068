"""What the fuzzer found, kept as plain tests (each failed before its fix)."""

from __future__ import annotations

import pytest

from bot.app import APOLOGY, App
from bot.console import Console
from bot.types import ContentKind
from tests.fuzz.conftest import ErrorLog
from tests.handlers.chat import Chat


@pytest.mark.parametrize("payload", [
    "ev:unreg:11076514246",  # beyond an integer id: PostgreSQL refused the query
    "ev:reg:99999999999999999999", "ev:unreg:²", "ev:more:²", "ev:more:99999999999999",
    "tm:more:²", "tm:like:1:99999999999", "fc:need:²",
])
async def test_forged_numbers_in_buttons_are_answered(app: App, errors: ErrorLog,
                                                      payload: str) -> None:
    chat = Chat(app, user="forger", channel="telegram")
    await chat.send("tôi cần tìm công nghệ")  # inside a form, so "fc:" reaches the engine
    replies = await chat.send("", ContentKind.BUTTON, payload)
    assert replies and APOLOGY not in [r.text for r in replies]
    assert errors.lines() == []


async def test_a_superscript_digit_on_the_console_is_text_not_a_button(app: App) -> None:
    if app.services.db.dialect != "sqlite":
        pytest.skip("the console runs on the local SQLite file")
    console = Console(app, "sup")
    menu = await console.send("/menu")
    assert any(r.buttons for r in menu)
    replies = await console.send("²")
    assert replies and APOLOGY not in [r.text for r in replies]
