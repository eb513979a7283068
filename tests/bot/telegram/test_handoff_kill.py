"""A conversation with staff survives crashes: a real bot process, SIGKILLed at random moments
after a user's or a staff member's message arrived and restarted each time (Telegram redelivers
what the killed process did not confirm). Every message is relayed to the other side exactly
once: none lost, none doubled."""

from __future__ import annotations

import asyncio
import json
import random
import sqlite3
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from storage.db import Database
from storage.models import User
from storage.repos import staff
from tests.bot.telegram.kill import BotProcess, kill_and_restart, killable_bot

NAM, LAN = 811, 850
MESSAGES, KILLS = 12, 8


async def with_staff(db_url: str) -> None:
    """Lan is staff at Bắc Ninh; Nam, a known user there, will ask for a person."""
    db = Database(db_url)
    await staff.add(db, "telegram", str(LAN), point="Bắc Ninh", name="Lan")
    async with db.transaction() as s:
        s.add(User(channel="telegram", external_id=str(NAM), province="bac_ninh",
                   phone="0912345678", display_name="Nam"))
    await db.dispose()


@pytest.fixture
async def bot(tmp_path: Path) -> AsyncIterator[tuple[BotProcess, Path]]:
    async with killable_bot(tmp_path, with_staff) as started:
        yield started


def relayed(db_path: Path) -> list[tuple[str, str]]:
    """(recipient, text) of every relayed message in the outbox."""
    with sqlite3.connect(db_path) as conn:
        rows = conn.execute("SELECT recipient, payload FROM outbox WHERE kind = 'handoff'")
        return [(recipient, json.loads(payload).get("text", "")) for recipient, payload in rows]


async def until(predicate: object, timeout: float = 60.0) -> None:
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    while not predicate():  # type: ignore[operator]
        assert loop.time() < deadline, "not relayed in time"
        await asyncio.sleep(0.05)


async def test_killed_mid_conversation_every_message_relayed_once(
        bot: tuple[BotProcess, Path]) -> None:
    process, db_path = bot
    api = process.api
    await api.push(api.message(NAM, "toi muon gap can bo"))
    await api.wait_for(lambda: len(api.sent(NAM)) >= 1, timeout=60)
    await api.push(api.message(LAN, "/hoithoai"))
    await api.wait_for(lambda: len(api.sent(LAN)) >= 1, timeout=60)
    await api.push(api.callback(LAN, "Tiếp nhận #1"))
    await api.wait_for(lambda: any("đã tiếp nhận" in t for t in api.texts(LAN)), timeout=60)

    rng = random.Random(13)
    doomed = set(rng.sample(range(MESSAGES), KILLS))
    expected = []
    for i in range(MESSAGES):
        sender, text = (NAM, f"tin nhắn {i}") if i % 2 == 0 else (LAN, f"trả lời {i}")
        wanted = ((str(LAN), f"(#1): {text}") if sender == NAM
                  else (str(NAM), f"Cán bộ Lan: {text}"))
        expected.append(wanted)
        await api.push(api.message(sender, text))
        if i in doomed:
            await kill_and_restart(process, rng)
        await until(lambda w=wanted: any(r == w[0] and t.endswith(w[1])
                                         for r, t in relayed(db_path)))
    found = relayed(db_path)
    for recipient, ending in expected:
        assert sum(1 for r, t in found if r == recipient and t.endswith(ending)) == 1, ending
