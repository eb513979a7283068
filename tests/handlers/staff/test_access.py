"""Every staff command refuses non-staff politely and changes nothing; staff get through."""

from __future__ import annotations

import pytest

from bot.app import App
from handlers.staff.access import NOT_ADMIN, NOT_STAFF, is_admin_only, is_gated
from storage.models import (
    AuditEntry,
    Event,
    Introduction,
    OfferQuestion,
    Staff,
    Subscription,
    Technology,
)
from storage.repos import staff
from tests.handlers.chat import Bot


def staff_commands(app: App) -> list[str]:
    return sorted(name for name, handler in app.dispatcher.commands.items() if is_gated(handler))


def staff_buttons(app: App) -> list[str]:
    return sorted(prefix for prefix, handler in app.dispatcher.buttons.items()
                  if is_gated(handler))


def test_every_staff_module_handler_is_gated(bot: Bot) -> None:
    """A handler registered by a module under handlers/staff/ must sit behind the gate."""
    for router in bot.app.dispatcher.routers:
        handlers = [*router.commands.values(), *router.buttons.values(),
                    *router.intents.values()]
        modules = {h.__module__ for h in handlers}
        if any(m.startswith("handlers.staff.") for m in modules):
            assert all(is_gated(h) for h in handlers), router.name
    assert "canbo" in staff_commands(bot.app)


async def _snapshot(bot: Bot) -> tuple[int, ...]:
    """Row counts of the tables a staff command could change."""
    return tuple([len(await bot.rows(m)) for m in (Staff, Subscription, Event, Technology,
                                                   Introduction, OfferQuestion, AuditEntry)])


async def test_non_staff_refused_for_every_staff_command(bot: Bot) -> None:
    chat = bot.chat("555", channel="telegram")
    before = await _snapshot(bot)
    commands = staff_commands(bot.app)
    assert commands
    for command in commands:
        await chat.send(f"/{command} 1")
        assert chat.text.startswith(NOT_STAFF[:40]), command
        assert chat.buttons, command  # the main menu, so the user can carry on
    for prefix in staff_buttons(bot.app):
        await chat.press_payload(f"{prefix}:1")
        assert chat.text.startswith(NOT_STAFF[:40]), prefix
    assert await _snapshot(bot) == before


async def test_staff_refused_for_every_admin_handler(bot: Bot) -> None:
    await staff.add(bot.db, "telegram", "556", point="DKN-BN", name="Cán bộ")
    await staff.add(bot.db, "telegram", "557", point="DKN-BN", name="Đồng nghiệp")
    chat = bot.chat("556", channel="telegram")
    before = await _snapshot(bot)
    admin_buttons = sorted(prefix for prefix, handler in bot.app.dispatcher.buttons.items()
                           if is_admin_only(handler))
    assert "cb" in admin_buttons
    for prefix in admin_buttons:
        for rest in ("ls", "rmy:telegram:557", "duty:telegram:557:off", "pt:telegram:557:DKN-TW"):
            await chat.press_payload(f"{prefix}:{rest}")
            assert chat.text.startswith(NOT_ADMIN[:40]), (prefix, rest)
    await chat.send("/canbo them telegram 558")
    assert chat.text.startswith(NOT_ADMIN[:40])
    assert await _snapshot(bot) == before


async def test_removed_staff_is_refused_again(bot: Bot) -> None:
    db = bot.db
    chat = bot.chat("777", channel="telegram")
    await staff.add(db, "telegram", "777", point="DKN-BN", name="Trần Minh")
    await chat.send("/canbo")
    assert "Trần Minh" in chat.text and "DKN-BN" in chat.text and "/guitin" in chat.text
    await staff.remove(db, "telegram", "777")
    await chat.send("/canbo")
    assert chat.text.startswith(NOT_STAFF[:40])


@pytest.mark.parametrize("channel", ["console", "zalo"])
async def test_staff_of_one_channel_is_not_staff_on_another(bot: Bot, channel: str) -> None:
    await staff.add(bot.db, "telegram", "888", point="DKN-TW")
    chat = bot.chat("888", channel=channel)
    await chat.send("/canbo")
    assert chat.text.startswith(NOT_STAFF[:40])
