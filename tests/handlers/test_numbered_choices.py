"""Choices shown as numbered lines (console, Zalo): a bare number picks one, resolved by the core
from the chat's state, so it works after a restart and on PostgreSQL; elsewhere a number stays a
number."""

from __future__ import annotations

from bot.types import Incoming
from tests.handlers.chat import Bot

EXPERT_QUESTION = "chuyên gia tư vấn về vấn đề gì"


def typed(text: str, numbered: bool, chat: str = "n1") -> Incoming:
    return Incoming("zalo-bot", chat, chat, text=text, user_name="Lan", numbered=numbered)


async def test_number_picks_the_choice_even_after_a_restart(any_bot: Bot) -> None:
    [menu] = await any_bot.app.handle(typed("xin chào", True))
    assert menu.buttons[1].label == "Tìm chuyên gia"
    restarted = await any_bot.restart()  # the offered choices live in the chat's state
    replies = await restarted.app.handle(typed("2", True))
    assert EXPERT_QUESTION in replies[0].text


async def test_out_of_range_number_and_buttonless_channels_keep_the_text(bot: Bot) -> None:
    await bot.app.handle(typed("xin chào", True, "n2"))
    replies = await bot.app.handle(typed("9", True, "n2"))  # no ninth choice
    assert EXPERT_QUESTION not in replies[0].text
    await bot.app.handle(typed("xin chào", False, "n3"))
    replies = await bot.app.handle(typed("2", False, "n3"))  # Telegram shows buttons, not numbers
    assert EXPERT_QUESTION not in replies[0].text
