"""Handoffs: a user's request to talk to a person of their connection point.

A request is a `Handoff` row (open → taken → closed), noted on the user's open demand (or on a
demand of its own, so it stays on the staff's `/nhucau` list) and alerted to the point's staff
through the outbox. Taking it is a conditional UPDATE on "open": of staff pressing "Tiếp nhận"
at once exactly one wins and the others learn who has it. Taking and ending are audited.

Message texts come from the caller (`HandoffTexts`), so storage only decides who gets what. The
relay itself (messages both ways, staff gone, blocked users, waiting notices) is in
`storage.repos.handoff_relay`.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING, Any, Protocol

from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession

from storage.errors import InvalidStatusChange, NotFound
from storage.models import ConnectionPoint, Demand, Handoff, MessageLog, User
from storage.repos import audit, outbox, users
from storage.repos import demands as demands_repo
from storage.repos.outbox import Envelope
from storage.sqltypes import utcnow

if TYPE_CHECKING:
    from storage.db import Database

OPEN_STATUSES = ("new", "matched", "assigned", "proposed", "connected")  # a request joins such a demand
ACTIVE = ("open", "taken")
RELAY_INTENT = "handoff_relay"  # marks message log lines of a conversation with staff
Payload = dict[str, Any]  # a serialised `bot.types.Outgoing`


@dataclass(frozen=True, slots=True)
class HandoffView:
    id: int
    user_id: int
    channel: str
    chat_id: str
    user_name: str | None
    note: str
    status: str
    staff_channel: str | None
    staff_chat: str | None
    staff_name: str | None
    point_code: str | None
    point_name: str | None
    demand_id: int | None
    opened_at: datetime
    taken_at: datetime | None
    closed_by: str | None = None

    @property
    def who(self) -> str:
        return self.user_name or f"Người dùng {self.channel}"

    @property
    def staff_key(self) -> str | None:
        return f"{self.staff_channel}:{self.staff_chat}" if self.staff_chat else None


class HandoffTexts(Protocol):
    """What each side is told; built by the handlers (Vietnamese, with buttons)."""

    def alert(self, h: HandoffView) -> Payload: ...  # to staff: a request, with "Tiếp nhận"
    def taken(self, h: HandoffView) -> Payload: ...  # to the user: who took it
    def from_user(self, h: HandoffView, text: str) -> Payload: ...  # relayed to staff
    def from_staff(self, h: HandoffView, text: str) -> Payload: ...  # relayed to the user
    def ended_for_user(self, h: HandoffView) -> Payload: ...
    def ended_for_staff(self, h: HandoffView) -> Payload: ...
    def requeued(self, h: HandoffView) -> Payload: ...  # to the user: their staff member left
    def undeliverable(self, h: HandoffView) -> Payload: ...  # to staff: the user blocked the bot
    def waiting(self, h: HandoffView, now: datetime) -> Payload: ...  # to the user: nobody yet


class HandoffGone(NotFound):
    default = "Không tìm thấy cuộc trò chuyện này (có thể đã bị xoá)."


class HandoffClosed(InvalidStatusChange):
    default = "Cuộc trò chuyện này đã kết thúc."


class HandoffTaken(InvalidStatusChange):
    """Another staff member was faster; `holder` is who has it now."""

    def __init__(self, handoff_id: int, holder: str | None) -> None:
        self.holder = holder
        who = f"cán bộ {holder}" if holder else "một cán bộ khác"
        super().__init__(f"Yêu cầu gặp cán bộ #{handoff_id} đã do {who} tiếp nhận.")


@dataclass(frozen=True, slots=True)
class Opened:
    handoff: HandoffView
    demand: Demand
    attached: bool  # noted on the user's open demand (else a demand of its own)
    again: bool  # the user already had an open or taken handoff: nothing new was opened


# --- reading ----------------------------------------------------------------------------------
async def view(session: AsyncSession, row: Handoff, *, point: bool = True) -> HandoffView:
    """The handoff as handlers see it; `point=False` skips the point's name (relayed messages
    do not show it, and they run on every message of a conversation)."""
    found = (await session.get(ConnectionPoint, row.connection_point_id)
             if point and row.connection_point_id else None)
    return HandoffView(
        id=row.id, user_id=row.user_id, channel=row.channel, chat_id=row.chat_id,
        user_name=row.user_name, note=row.note or "", status=row.status,
        staff_channel=row.staff_channel, staff_chat=row.staff_chat, staff_name=row.staff_name,
        point_code=found.code if found else None, point_name=found.name if found else None,
        demand_id=row.demand_id, opened_at=row.opened_at, taken_at=row.taken_at,
        closed_by=row.closed_by)


async def get(db: Database, handoff_id: int) -> HandoffView | None:
    async with db.session() as s:
        row = await s.get(Handoff, handoff_id)
        return await view(s, row) if row is not None else None


async def status_of(db: Database, handoff_id: int) -> str | None:
    """Only the status (the cheap check the dispatcher runs for a chat in a handoff)."""
    async with db.session() as s:
        stmt = select(Handoff.status).where(Handoff.id == handoff_id)
        return (await s.execute(stmt)).scalar_one_or_none()


async def taken_by(db: Database, channel: str, chat: str) -> list[HandoffView]:
    """The conversations this staff chat account has now, oldest first."""
    async with db.session() as s:
        rows = (await s.execute(select(Handoff).where(
            Handoff.staff_channel == channel, Handoff.staff_chat == str(chat),
            Handoff.status == "taken").order_by(Handoff.taken_at, Handoff.id))).scalars()
        return [await view(s, r, point=False) for r in rows]


async def waiting(db: Database, point: str | None = None, limit: int = 10) -> list[HandoffView]:
    """Requests nobody has taken yet, oldest first; of one point (code) or all."""
    async with db.session() as s:
        stmt = select(Handoff).where(Handoff.status == "open").order_by(Handoff.opened_at,
                                                                        Handoff.id)
        if point is not None:
            stmt = stmt.join(ConnectionPoint, ConnectionPoint.id == Handoff.connection_point_id
                             ).where(ConnectionPoint.code == point)
        return [await view(s, r) for r in (await s.execute(stmt.limit(limit))).scalars()]


async def log_lines(db: Database, channel: str, chat: str, limit: int = 10) -> list[MessageLog]:
    """The latest lines of this chat's conversations with staff, oldest first."""
    async with db.session() as s:
        rows = list((await s.execute(
            select(MessageLog).where(MessageLog.channel == channel, MessageLog.chat_id == chat,
                                     MessageLog.intent == RELAY_INTENT)
            .order_by(MessageLog.id.desc()).limit(limit))).scalars())
    return rows[::-1]


# --- opening ----------------------------------------------------------------------------------
async def record_handoff(
    session: AsyncSession, demand: Demand, *, at: datetime, note: str = "", channel: str = ""
) -> Demand:
    """Append a request to talk to staff to `demand.details["handoff"]` (a new dict, so the JSON
    column is marked dirty). Flushes."""
    details: dict[str, Any] = dict(demand.details or {})
    entry = {"at": at.isoformat(), "note": note[:500], "channel": channel}
    details["handoff"] = [*details.get("handoff", []), entry]
    demand.details = details
    await session.flush()
    return demand


async def _demand_for(session: AsyncSession, user: User, *, at: datetime, note: str,
                      channel: str) -> tuple[Demand, bool]:
    """The user's open demand with the request noted, else a handoff demand of its own."""
    latest = await demands_repo.latest_of(session, user)
    if latest is not None and latest.status in OPEN_STATUSES:
        await record_handoff(session, latest, at=at, note=note, channel=channel)
        if latest.connection_point_id is None:
            await demands_repo.assign_connection_point(session, latest, user.province)
        return latest, True
    demand = await demands_repo.create(
        session, user.id, "human_handoff", note, province=user.province, commit=False,
        details={"handoff": [{"at": at.isoformat(), "note": note[:500], "channel": channel}]},
    )
    await demands_repo.assign_connection_point(session, demand)
    return demand, False


async def alert_staff(session: AsyncSession, row: Handoff, texts: HandoffTexts) -> int:
    """Queue the request to the staff of its point (the national point when nobody is there)."""
    from storage.repos.pipeline import _staff_of  # the same people demand alerts go to

    point = (await session.get(ConnectionPoint, row.connection_point_id)
             if row.connection_point_id else None)
    payload = texts.alert(await view(session, row))
    return await outbox.enqueue(session, [
        # user_id names the user the alert is about, so forgetting them erases it too.
        Envelope("staff_alert", m.channel, m.user_id, payload, user_id=row.user_id,
                 dedupe_key=f"handoff:{row.id}:{row.rounds}:{m.channel}:{m.user_id}")
        for m in await _staff_of(session, point)
        if (m.channel, m.user_id) != (row.channel, row.chat_id)])


async def open_request(db: Database, user: User, *, at: datetime, note: str, chat_id: str,
                       name: str | None, texts: HandoffTexts) -> Opened:
    """Open a handoff for the user (or give back the one they already have) and alert staff."""
    async with db.transaction() as s:
        current = (await s.execute(select(Handoff).where(
            Handoff.user_id == user.id, Handoff.status.in_(ACTIVE)))).scalars().first()
        if current is not None:
            demand = await s.get(Demand, current.demand_id) if current.demand_id else None
            if demand is not None:
                return Opened(await view(s, current), demand, True, True)
        demand, attached = await _demand_for(s, user, at=at, note=note, channel=user.channel)
        if current is not None:  # its demand was deleted: link the new one
            current.demand_id = demand.id
            return Opened(await view(s, current), demand, attached, True)
        row = Handoff(user_id=user.id, channel=user.channel, chat_id=str(chat_id),
                      user_name=(name or user.display_name or None),
                      note=note[:500], demand_id=demand.id,
                      connection_point_id=demand.connection_point_id, status="open",
                      opened_at=at)
        s.add(row)
        await s.flush()
        await alert_staff(s, row, texts)
        return Opened(await view(s, row), demand, attached, False)


async def leave_contact(db: Database, user_id: int, demand_id: int,
                        contact: dict[str, Any]) -> None:
    """Keep the phone/e-mail left for a call back, on the user and on their demand."""
    async with db.transaction() as s:
        fresh = await users.get(s, user_id)
        await users.update_contact(s, fresh, phone=contact.get("phone") or fresh.phone,
                                   email=contact.get("email") or fresh.email)
        demand = await s.get(Demand, demand_id)
        if demand is not None and demand.user_id == user_id:
            demand.details = {**(demand.details or {}), **contact}


# --- taking and ending ----------------------------------------------------------------------
def note_in_log(session: AsyncSession, row: Handoff, payload: Payload) -> None:
    """What staff said (or that they took or left the chat) joins the user's message log."""
    session.add(MessageLog(channel=row.channel, chat_id=row.chat_id, user_id=None,
                           direction="out", text=str(payload.get("text") or "")[:4000],
                           intent=RELAY_INTENT, created_at=utcnow()))


async def to_user(session: AsyncSession, row: Handoff, payload: Payload) -> None:
    await outbox.enqueue(session, [Envelope("handoff", row.channel, row.chat_id, payload,
                                            user_id=row.user_id)])
    note_in_log(session, row, payload)


async def to_staff(session: AsyncSession, row: Handoff, payload: Payload) -> None:
    # user_id names the user the message is about, so forgetting them erases it too.
    await outbox.enqueue(session, [Envelope("handoff", row.staff_channel or "",
                                            row.staff_chat or "", payload,
                                            user_id=row.user_id)])


async def take(db: Database, handoff_id: int, *, channel: str, chat: str, name: str | None,
               texts: HandoffTexts) -> HandoffView:
    """The staff member takes the request if it is still open; the user is told."""
    async with db.transaction() as s:
        row = await s.get(Handoff, handoff_id)
        if row is None:
            raise HandoffGone()
        now = utcnow()
        result = await s.execute(
            update(Handoff).where(Handoff.id == handoff_id, Handoff.status == "open")
            .values(status="taken", staff_channel=channel, staff_chat=str(chat),
                    staff_name=name, taken_at=now)
            .execution_options(synchronize_session=False))
        if not result.rowcount:  # type: ignore[attr-defined]
            status, holder = (await s.execute(select(Handoff.status, Handoff.staff_name).where(
                Handoff.id == handoff_id))).one()
            if status == "closed":
                raise HandoffClosed()
            raise HandoffTaken(handoff_id, holder)
        await s.refresh(row)
        await audit.record(s, _actor(channel, chat, name), "handoff.take", f"handoff:{row.id}",
                           point=row.connection_point_id)
        await to_user(s, row, texts.taken(await view(s, row)))
        return await view(s, row)


def _actor(channel: str, chat: str, name: str | None) -> str:
    return f"{channel}:{chat} ({name})" if name else f"{channel}:{chat}"


async def close(db: Database, handoff_id: int, *, by: str, texts: HandoffTexts,
                staff: tuple[str, str, str | None] | None = None) -> HandoffView:
    """End the handoff (by "user" or "staff", whose account is `staff`); the other side is told.
    Raises HandoffClosed when it had already ended."""
    async with db.transaction() as s:
        row = await s.get(Handoff, handoff_id)
        if row is None:
            raise HandoffGone()
        was = row.status
        result = await s.execute(
            update(Handoff).where(Handoff.id == handoff_id, Handoff.status.in_(ACTIVE))
            .values(status="closed", closed_at=utcnow(), closed_by=by)
            .execution_options(synchronize_session=False))
        if not result.rowcount:  # type: ignore[attr-defined]
            raise HandoffClosed()
        await s.refresh(row)
        shown = await view(s, row)
        if staff is not None:
            await audit.record(s, _actor(*staff), "handoff.end", f"handoff:{row.id}", by=by)
        elif was == "taken":
            await audit.record(s, f"{row.channel}:user", "handoff.end", f"handoff:{row.id}",
                               by=by)
        if by == "staff":
            await to_user(s, row, texts.ended_for_user(shown))
        elif was == "taken":
            await to_staff(s, row, texts.ended_for_staff(shown))
        return shown
