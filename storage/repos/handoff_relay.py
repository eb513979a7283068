"""The relay of a taken handoff: the user's messages to their staff member and back, and what
happens around it (the staff member removed, the user blocked the bot, nobody taking a request
in time, the user forgotten).

Each function owns its transaction; messages go through the outbox with the recipient's channel,
so a Zalo user and a Telegram staff member talk to each other.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING, Any

from sqlalchemy import and_, exists, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from storage.models import (
    ConversationState,
    Handoff,
    InboxUpdate,
    MessageLog,
    OutboxMessage,
    Staff,
    User,
)
from storage.repos import audit, outbox
from storage.repos.handoffs import (
    HandoffTexts,
    HandoffView,
    alert_staff,
    to_staff,
    to_user,
    view,
)
from storage.repos.outbox import Envelope
from storage.sqltypes import utcnow

if TYPE_CHECKING:
    from storage.db import Database


@dataclass(frozen=True, slots=True)
class Relayed:
    """What became of one message: "sent" (queued), "waiting" (nobody has taken it yet),
    "closed", "requeued" (the staff member had left: back to the queue), "undeliverable"
    (the user blocked the bot), "not_yours" (another staff member has it)."""

    outcome: str
    handoff: HandoffView | None


def _staff_gone(row: Handoff) -> object:
    return ~exists().where(and_(Staff.channel == row.staff_channel,
                                Staff.user_id == row.staff_chat))


async def _requeue(session: AsyncSession, row: Handoff, texts: HandoffTexts) -> HandoffView:
    """The staff member who had it is no longer staff: back to open, alerted again, user told."""
    await audit.record(session, f"{row.staff_channel}:{row.staff_chat}", "handoff.requeue",
                       f"handoff:{row.id}", reason="staff removed")
    told = await view(session, row)  # still names who left, for the user's message
    row.status, row.staff_channel, row.staff_chat, row.staff_name = "open", None, None, None
    row.taken_at, row.rounds = None, (row.rounds or 1) + 1
    await session.flush()
    await to_user(session, row, texts.requeued(told))
    await alert_staff(session, row, texts)
    return await view(session, row)


async def from_user(db: Database, handoff_id: int, text: str,
                    texts: HandoffTexts) -> Relayed:
    """Relay the user's message to the staff member who has the handoff."""
    async with db.transaction() as s:
        # The handoff and whether its staff member is still staff, in one query.
        found = (await s.execute(
            select(Handoff, Staff.id).outerjoin(Staff, and_(
                Staff.channel == Handoff.staff_channel, Staff.user_id == Handoff.staff_chat))
            .where(Handoff.id == handoff_id))).first()
        if found is None or found[0].status == "closed":
            return Relayed("closed", await view(s, found[0]) if found else None)
        row, staff_id = found
        if row.status == "open":
            return Relayed("waiting", await view(s, row, point=False))
        if staff_id is None:
            return Relayed("requeued", await _requeue(s, row, texts))
        shown = await view(s, row, point=False)
        await to_staff(s, row, texts.from_user(shown, text))
        return Relayed("sent", shown)


async def from_staff(db: Database, handoff_id: int, channel: str, chat: str, text: str,
                     texts: HandoffTexts) -> Relayed:
    """Relay the staff member's message to the user, if the handoff is theirs and still on."""
    async with db.transaction() as s:
        row = await s.get(Handoff, handoff_id)
        if row is None or row.status == "closed":
            return Relayed("closed", await view(s, row) if row else None)
        shown = await view(s, row, point=False)
        if row.status != "taken" or (row.staff_channel, row.staff_chat) != (channel, str(chat)):
            return Relayed("not_yours", shown)
        user = await s.get(User, row.user_id)
        if user is None or not user.active:
            return Relayed("undeliverable", shown)
        await to_user(s, row, texts.from_staff(shown, text))
        return Relayed("sent", shown)


# --- scheduled: the worker's jobs (idempotent) -------------------------------------------------
async def requeue_orphans(db: Database, texts: HandoffTexts) -> int:
    """Taken handoffs whose staff member was removed go back to the queue (user told)."""
    async with db.transaction() as s:
        rows = list((await s.execute(select(Handoff).where(Handoff.status == "taken"))).scalars())
        count = 0
        for row in rows:
            if (await s.execute(select(_staff_gone(row)))).scalar():  # type: ignore[call-overload]
                await _requeue(s, row, texts)
                count += 1
        return count


async def close_unreachable(db: Database, texts: HandoffTexts) -> int:
    """Taken handoffs whose user blocked the bot (a send to them failed as blocked) end; their
    staff member is told the messages could not be delivered."""
    async with db.transaction() as s:
        rows = list((await s.execute(select(Handoff).join(User, User.id == Handoff.user_id).where(
            Handoff.status == "taken", User.active.is_(False)))).scalars())
        for row in rows:
            row.status, row.closed_at, row.closed_by = "closed", utcnow(), "blocked"
            await s.flush()
            await to_staff(s, row, texts.undeliverable(await view(s, row)))
        return len(rows)


async def tell_waiting(db: Database, now: datetime, older_than: datetime,
                       texts: HandoffTexts) -> int:
    """Users whose request nobody took since `older_than` are told (once) when staff answer."""
    async with db.transaction() as s:
        rows = list((await s.execute(select(Handoff).where(
            Handoff.status == "open", Handoff.waiting_told_at.is_(None),
            Handoff.opened_at <= older_than))).scalars())
        told = 0
        for row in rows:
            result = await s.execute(
                update(Handoff).where(Handoff.id == row.id, Handoff.waiting_told_at.is_(None))
                .values(waiting_told_at=now).execution_options(synchronize_session=False))
            if result.rowcount:  # type: ignore[attr-defined]
                await to_user(s, row, texts.waiting(await view(s, row), now))
                told += 1
        return told


async def mark_told(db: Database, handoff_id: int, at: datetime) -> None:
    """The user was already told when staff answer (asked outside working hours)."""
    async with db.transaction() as s:
        await s.execute(update(Handoff).where(Handoff.id == handoff_id)
                        .values(waiting_told_at=at).execution_options(synchronize_session=False))


# --- erasure ---------------------------------------------------------------------------------
Scrub = Callable[[Any], Any]  # a text or JSON value with the person's names and contacts cut
FORGOTTEN = ("Cuộc trò chuyện #{id} đã kết thúc: người dùng đã yêu cầu xoá dữ liệu cá nhân của "
             "mình.")


async def forget_user(session: AsyncSession, user: User, scrub: Scrub) -> None:
    """End the user's handoffs and keep no words, names or chat ids on them. What the staff
    side holds about the conversation (their chat's log, replies, state and raw updates since
    the first request) is scrubbed of the user's names and contacts; as a staff member, the
    user's own account leaves the handoffs they took."""
    mine = list((await session.execute(select(Handoff).where(Handoff.user_id == user.id)))
                .scalars())
    since = min((h.opened_at for h in mine), default=None)
    staff_chats = {(h.staff_channel, h.staff_chat) for h in mine if h.staff_chat}
    for channel, chat in staff_chats:
        await _scrub_chat(session, str(channel), str(chat), since, scrub)
    for h in mine:
        if h.status == "taken":  # the staff member is told, without naming anyone
            await outbox.enqueue(session, [Envelope("handoff", h.staff_channel or "",
                                                    h.staff_chat or "", {"text": FORGOTTEN.format(
                                                        id=h.id)})])
        h.chat_id, h.user_name, h.note = "", None, ""
        if h.status != "closed":
            h.status, h.closed_by, h.closed_at = "closed", "forgotten", utcnow()
    await session.execute(
        update(Handoff).where(Handoff.staff_channel == user.channel,
                              Handoff.staff_chat == user.external_id)
        .values(staff_chat="", staff_name=None).execution_options(synchronize_session=False))
    await session.flush()


async def _scrub_chat(session: AsyncSession, channel: str, chat: str, since: datetime | None,
                      scrub: Scrub) -> None:
    logs = select(MessageLog).where(MessageLog.channel == channel, MessageLog.chat_id == chat)
    rows = select(OutboxMessage).where(OutboxMessage.channel == channel,
                                       OutboxMessage.recipient == chat)
    if since is not None:
        logs = logs.where(MessageLog.created_at >= since)
        rows = rows.where(OutboxMessage.created_at >= since)
    for line in (await session.execute(logs)).scalars():
        line.text = scrub(line.text)
    for row in (await session.execute(rows)).scalars():
        row.payload = scrub(dict(row.payload or {}))
    states = select(ConversationState).where(ConversationState.channel == channel,
                                             ConversationState.chat_id == chat)
    for state in (await session.execute(states)).scalars():
        state.slots = scrub(dict(state.slots or {}))
    updates = select(InboxUpdate).where(InboxUpdate.channel == channel)
    if since is not None:
        updates = updates.where(InboxUpdate.received_at >= since)
    for update_row in (await session.execute(updates)).scalars():
        update_row.raw = scrub(dict(update_row.raw or {}))


async def names_of(session: AsyncSession, user: User) -> list[str]:
    """The names the user's chat account showed when asking for staff (to cut them too)."""
    stmt = select(Handoff.user_name).where(Handoff.user_id == user.id,
                                           Handoff.user_name.is_not(None))
    return sorted({n for n in (await session.execute(stmt)).scalars() if n and len(n) >= 3},
                  key=len, reverse=True)
