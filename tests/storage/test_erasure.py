"""Erasure that erases: a user seeded through the bot's features, then forgotten, leaves their
name, phone, e-mail and channel id in no column of any table; the anonymous figures stay."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import func, select

from bot.app import App
from bot.types import ContentKind, Incoming, Outgoing, SendResult
from storage.models import Base, Demand, Handoff, MessageLog, User
from storage.repos import inbox, privacy, registrations, staff, subscriptions
from tests.handlers.chat import Chat, fresh_app

CHAT = "8123456789"
NAME, ORG = "Trần Thị Hoa", "Công ty TNHH Hoa Sen Bắc Giang"
PHONE, EMAIL = "0987654321", "hoa.tran@hoasen.example.vn"
PERSONAL = (NAME, ORG, PHONE, EMAIL, CHAT)


@pytest.fixture
async def app(tmp_path: Path) -> AsyncIterator[App]:
    app = await fresh_app(tmp_path)
    yield app
    await app.close()


async def _sent(replies: list[Outgoing]) -> list[SendResult]:
    return [SendResult("sent", message_id="1") for _ in replies]


async def seed_everywhere(app: App) -> User:
    """A demand typed with the person's name and phone, through the inbox and the outbox; an
    event registration, a subscription, a staff record, a conversation with staff."""
    db = app.services.db
    chat = Chat(app, CHAT, name=NAME, channel="telegram")
    first = (f"toi la {NAME}, sdt {PHONE}, email {EMAIL}, cty minh o bac giang can cong nghe "
             "say vai thieu, kinh phi khoang 500 trieu")
    raw = {"update_id": 1, "message": {"from": {"id": int(CHAT), "first_name": NAME},
                                       "chat": {"id": int(CHAT)}, "text": first}}
    await inbox.store(db, "telegram", [("1", raw)])
    await app.answer(Incoming("telegram", CHAT, CHAT, text=first, user_name=NAME,
                              update_id="1"), _sent)
    # Name, phone and email in the first message fill the contact; the organisation is asked.
    await chat.send(ORG)
    await chat.press("Đồng ý")
    await chat.press("Xác nhận")
    async with db.session() as s:
        user = (await s.execute(select(User).where(User.external_id == CHAT))).scalar_one()
        demand = (await s.execute(select(Demand).where(Demand.user_id == user.id))).scalar_one()
    assert PHONE in demand.raw_text and demand.details.get("email") == EMAIL
    await talk_with_staff(app, chat)
    await registrations.register(db, user, "SK-001")
    await subscriptions.start(db, user, sectors=["nong_nghiep"])
    await staff.add(db, "telegram", CHAT, point="DKN-TW", name=NAME)
    await chat.send("/huy")
    return user


async def talk_with_staff(app: App, chat: Chat) -> None:
    """A handoff: the person asks for staff, Lan takes it, they write to each other."""
    db = app.services.db
    await staff.add(db, "telegram", "777", point="Bắc Ninh", name="Lan")
    await chat.send(f"toi muon gap can bo, sdt {PHONE}")
    async with db.session() as s:
        handoff = (await s.execute(select(Handoff))).scalar_one()
    lan = Chat(app, "777", name="Lan", channel="telegram")
    await lan.press_payload(f"hf:take:{handoff.id}")
    await chat.send(f"so cua toi van la {PHONE} nhe", quiet=True)
    await lan.send(f"Dạ chào chị {NAME}, em gọi lại chị ngay", quiet=True)
    await lan.send("/hoithoai")  # the list names the person too


async def holders(app: App) -> list[str]:
    """Every table.column whose value contains one of the personal strings."""
    found = []
    async with app.services.db.session() as s:
        for table in Base.metadata.sorted_tables:
            for row in (await s.execute(select(table))).mappings():
                for column, value in row.items():
                    text = str(value)
                    if any(p.lower() in text.lower() for p in PERSONAL):
                        found.append(f"{table.name}.{column}")
    return sorted(set(found))


async def test_forgetting_leaves_nothing_personal_in_any_column(app: App) -> None:
    user = await seed_everywhere(app)
    before = await holders(app)
    assert {"users.external_id", "demands.raw_text", "message_log.text", "inbox.raw",
            "outbox.recipient", "staff.user_id", "handoffs.chat_id",
            "handoffs.user_name", "handoffs.note", "outbox.payload"} <= set(before)
    forgotten = await privacy.forget_account(app.services.db, "telegram", CHAT)
    assert forgotten is not None and forgotten.demands == 1 and forgotten.registrations == 1
    assert await holders(app) == []
    async with app.services.db.session() as s:  # the figures reports count are still there
        demand = (await s.execute(select(Demand).where(Demand.user_id == user.id))).scalar_one()
        assert demand.sector and demand.province and demand.status
        assert "say" in demand.raw_text and "vai thieu" in demand.raw_text
    assert await privacy.forget_account(app.services.db, "telegram", CHAT) is None


async def test_old_message_log_lines_are_purged(app: App) -> None:
    await Chat(app, "u-old").send("xin chào")
    db = app.services.db
    assert (await privacy.purge_older_than(db, datetime.now(UTC) - timedelta(days=365))
            ).messages == 0
    purged = await privacy.purge_older_than(db, datetime.now(UTC) + timedelta(seconds=1))
    assert purged.messages == 2
    async with db.session() as s:
        assert (await s.execute(select(func.count()).select_from(MessageLog))).scalar_one() == 0


async def test_erasing_in_chat_leaves_nothing_from_the_erasing_turn(app: App) -> None:
    """/xoadulieu then "Xóa dữ liệu", both through the inbox and the outbox as a channel does:
    the turn that erases logs nothing personal, creates no new account and keeps no raw update."""
    await seed_everywhere(app)
    db = app.services.db
    updates = [("901", "/xoadulieu", None), ("902", "Xóa dữ liệu", "priv:forget:yes")]
    shown: list[Outgoing] = []
    for update_id, text, payload in updates:
        raw = {"update_id": int(update_id), "message": {
            "from": {"id": int(CHAT), "first_name": NAME}, "chat": {"id": int(CHAT)},
            "text": text}}
        await inbox.store(db, "telegram", [(update_id, raw)])
        kind = ContentKind.BUTTON if payload else ContentKind.COMMAND
        shown = await app.answer(Incoming("telegram", CHAT, CHAT, text=text, payload=payload,
                                          kind=kind, user_name=NAME, update_id=update_id), _sent)
    assert "Em đã xóa dữ liệu cá nhân" in shown[0].text
    await app.flush()
    left = await holders(app)
    assert left == [], left
    async with db.session() as s:
        accounts = (await s.execute(select(func.count()).select_from(User))).scalar_one()
    # Redelivered, the erasing update is not handled again (nor its reply sent twice).
    again = await app.answer(Incoming("telegram", CHAT, CHAT, text="Xóa dữ liệu",
                                      payload="priv:forget:yes", kind=ContentKind.BUTTON,
                                      update_id="902"), _sent)
    assert again == []
    async with db.session() as s:
        assert (await s.execute(select(func.count()).select_from(User))).scalar_one() == accounts
