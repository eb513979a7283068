"""Expert introductions at any crash instant: a real bot process SIGKILLed at random points of
find_expert dialogues that end with "Kết nối: <expert>" presses (one pressed twice), restarted
each time, Telegram redelivering what it did not confirm. Every press is answered, and each
request is stored once with its expert, its staff alert queued once."""

from __future__ import annotations

import json
import random
import sqlite3
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from storage.db import Database
from storage.repos import staff
from tests.bot.telegram.kill import BotProcess, _settle, kill_and_restart, killable_bot, line_update

NEED = "cần chuyên gia tư vấn xử lý nước thải trại lợn ở Đồng Nai"
DIALOGUE = [NEED, "@Bỏ qua", "Công ty TNHH Minh Phát", "0912345678", "@Đồng ý", "@Xác nhận",
            "@Kết nối: Trần Đức Hạ", "@Kết nối: Nguyễn Văn Phú", "@Kết nối: Trần Đức Hạ"]
CHATS, KILLS = 3, 10
STAFF = "990"


async def with_staff(db_url: str) -> None:
    db = Database(db_url)
    await staff.add(db, "telegram", STAFF, point="DKN-TW", name="Lan")
    await db.dispose()


@pytest.fixture
async def bot(tmp_path: Path) -> AsyncIterator[tuple[BotProcess, Path]]:
    async with killable_bot(tmp_path, with_staff) as started:
        yield started


async def test_killed_introduction_requests_stored_once_each_answered(
        bot: tuple[BotProcess, Path]) -> None:
    process, db_path = bot
    api, rng = process.api, random.Random(13)
    steps = [(chat, step) for chat in range(CHATS) for step in range(len(DIALOGUE))]
    doomed = set(rng.sample(range(len(steps)), KILLS))
    lost = []
    for index, (chat, step) in enumerate(steps):
        chat_id, text = 710_000 + chat, DIALOGUE[step]
        before = len(api.sent(chat_id))
        await api.push(line_update(api, chat_id, text))
        if index in doomed:
            await kill_and_restart(process, rng)
        try:
            await api.wait_for(lambda c=chat_id, b=before: len(api.sent(c)) > b, timeout=60)
            await _settle(api, chat_id)
        except TimeoutError:
            lost.append((chat, step))
    assert lost == []
    for chat in range(CHATS):
        texts = api.texts(710_000 + chat)
        assert any("muốn kết nối với chuyên gia" in t and "Trần Đức Hạ" in t for t in texts)
        assert any("Nguyễn Văn Phú" in t and "muốn kết nối" in t for t in texts)
    with sqlite3.connect(db_path) as conn:
        intros = conn.execute(
            "SELECT u.external_id, i.id, e.name FROM introductions i JOIN users u "
            "ON u.id = i.user_id LEFT JOIN experts e ON e.id = i.expert_id").fetchall()
        alerts = [json.loads(p)["text"] for (p,) in conn.execute(
            "SELECT payload FROM outbox WHERE kind = 'staff_alert' AND recipient = ?", (STAFF,))]
    by_chat: dict[str, list[str]] = {}
    for external, _, name in intros:
        by_chat.setdefault(external, []).append(name)
    assert {k: sorted(v) for k, v in by_chat.items()} == {
        str(710_000 + chat): ["Nguyễn Văn Phú", "Trần Đức Hạ"] for chat in range(CHATS)}
    for _, intro_id, _ in intros:  # each request alerted once
        assert sum(f"Giới thiệu chuyên gia số {intro_id} " in a for a in alerts) == 1
