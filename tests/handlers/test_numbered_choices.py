"""Choices shown as numbered lines (console, Zalo): a bare number picks one, resolved by the core
from the chat's state, so it works after a restart; elsewhere a number stays a number."""

from __future__ import annotations

from pathlib import Path

from bot.app import App
from bot.types import Incoming
from tests.handlers.support import fresh_app, make_app


def typed(text: str, numbered: bool, chat: str = "n1") -> Incoming:
    return Incoming("zalo-bot", chat, chat, text=text, user_name="Lan", numbered=numbered)


async def test_number_picks_the_choice_even_after_a_restart(tmp_path: Path) -> None:
    app = await fresh_app(tmp_path)
    [menu] = await app.handle(typed("xin chào", True))
    assert menu.buttons[1].label == "Tìm chuyên gia"
    url = str(app.services.db.url)
    nlu = app.services.nlu
    await app.close()
    restarted: App = await make_app(url, nlu)
    replies = await restarted.handle(typed("2", True))
    assert "chuyên gia tư vấn về vấn đề gì" in replies[0].text
    await restarted.close()


async def test_out_of_range_number_and_buttonless_channels_keep_the_text(tmp_path: Path) -> None:
    app = await fresh_app(tmp_path)
    await app.handle(typed("xin chào", True, "n2"))
    replies = await app.handle(typed("9", True, "n2"))  # no ninth choice
    assert "chuyên gia tư vấn về vấn đề gì" not in replies[0].text
    await app.handle(typed("xin chào", False, "n3"))
    replies = await app.handle(typed("2", False, "n3"))  # Telegram shows buttons, not numbers
    assert "chuyên gia tư vấn về vấn đề gì" not in replies[0].text
    await app.close()
