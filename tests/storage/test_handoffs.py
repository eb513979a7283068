"""Handoffs in storage, on SQLite and PostgreSQL: staff pressing "Tiếp nhận" at the same moment
(exactly one wins, the others learn who has it), ending twice, relays only for the holder, and
a forgotten user's handoffs keeping no words or ids."""

from __future__ import annotations

import asyncio
from zoneinfo import ZoneInfo

import pytest

from handlers.handoff_relay import Texts
from storage.db import Database
from storage.models import AuditEntry, Handoff, OutboxMessage, User
from storage.repos import handoff_relay, handoffs, privacy, staff
from storage.repos.handoffs import HandoffClosed, HandoffTaken
from storage.sqltypes import utcnow

TEXTS = Texts(ZoneInfo("Asia/Ho_Chi_Minh"))


async def _open(db: Database, external_id: str = "555") -> int:
    async with db.transaction() as s:
        user = User(channel="zalo", external_id=external_id, province="bac_ninh",
                    display_name="Chị Hoa")
        s.add(user)
        await s.flush()
    opened = await handoffs.open_request(db, user, at=utcnow(), note="cho toi gap can bo",
                                         chat_id=external_id, name="Chị Hoa", texts=TEXTS)
    return opened.handoff.id


async def _rows(db: Database, model: type) -> list:
    from sqlalchemy import select

    async with db.session() as s:
        return list((await s.execute(select(model).order_by(model.id))).scalars())


async def test_staff_pressing_take_at_once_exactly_one_wins(small_catalog: Database) -> None:
    db = small_catalog
    names = [f"Cán bộ {i}" for i in range(5)]
    for i, name in enumerate(names):
        await staff.add(db, "telegram", str(900 + i), point="P-BN", name=name)
    hid = await _open(db)
    alerts = [r for r in await _rows(db, OutboxMessage) if r.kind == "staff_alert"]
    assert sorted(r.recipient for r in alerts) == [str(900 + i) for i in range(5)]
    results = await asyncio.gather(
        *(handoffs.take(db, hid, channel="telegram", chat=str(900 + i), name=n, texts=TEXTS)
          for i, n in enumerate(names)), return_exceptions=True)
    won = [r for r in results if isinstance(r, handoffs.HandoffView)]
    lost = [r for r in results if isinstance(r, HandoffTaken)]
    assert len(won) == 1 and len(lost) == 4, results
    assert all(r.holder == won[0].staff_name for r in lost)
    [row] = await _rows(db, Handoff)
    assert row.status == "taken" and row.staff_name == won[0].staff_name
    told = [r for r in await _rows(db, OutboxMessage) if r.kind == "handoff"]
    assert [(r.channel, r.recipient) for r in told] == [("zalo", "555")]  # the user, once
    assert [a.action for a in await _rows(db, AuditEntry)] == ["handoff.take"]


async def test_relay_only_for_the_holder_and_end_once(small_catalog: Database) -> None:
    db = small_catalog
    await staff.add(db, "telegram", "900", point="P-BN", name="Lan")
    hid = await _open(db)
    assert (await handoff_relay.from_user(db, hid, "alo", TEXTS)).outcome == "waiting"
    await handoffs.take(db, hid, channel="telegram", chat="900", name="Lan", texts=TEXTS)
    other = await handoff_relay.from_staff(db, hid, "telegram", "901", "chào", TEXTS)
    assert other.outcome == "not_yours"
    assert (await handoff_relay.from_staff(db, hid, "telegram", "900", "chào chị", TEXTS)
            ).outcome == "sent"
    assert (await handoff_relay.from_user(db, hid, "dạ chào em", TEXTS)).outcome == "sent"
    relayed = [(r.channel, r.recipient, r.payload["text"]) for r in await _rows(db, OutboxMessage)
               if r.kind == "handoff"][1:]
    assert relayed == [("zalo", "555", "Cán bộ Lan: chào chị"),
                       ("telegram", "900", f"💬 Chị Hoa (#{hid}): dạ chào em")]
    await handoffs.close(db, hid, by="staff", texts=TEXTS, staff=("telegram", "900", "Lan"))
    with pytest.raises(HandoffClosed):
        await handoffs.close(db, hid, by="user", texts=TEXTS)
    with pytest.raises(HandoffClosed):
        await handoffs.take(db, hid, channel="telegram", chat="900", name="Lan", texts=TEXTS)
    assert (await handoff_relay.from_user(db, hid, "còn đó không", TEXTS)).outcome == "closed"


async def test_forgetting_the_user_clears_their_handoffs(small_catalog: Database) -> None:
    db = small_catalog
    await staff.add(db, "telegram", "900", point="P-BN", name="Lan")
    hid = await _open(db)
    await handoffs.take(db, hid, channel="telegram", chat="900", name="Lan", texts=TEXTS)
    await handoff_relay.from_user(db, hid, "số tôi 0987654321", TEXTS)
    assert await privacy.forget_account(db, "zalo", "555") is not None
    [row] = await _rows(db, Handoff)
    assert (row.status, row.closed_by, row.chat_id, row.user_name, row.note) == (
        "closed", "forgotten", "", None, "")
    rows = await _rows(db, OutboxMessage)
    assert all("0987654321" not in str(r.payload) and "Hoa" not in str(r.payload) for r in rows)
    assert "yêu cầu xoá dữ liệu" in rows[-1].payload["text"] and rows[-1].recipient == "900"
