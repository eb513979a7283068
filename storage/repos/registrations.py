"""Event registrations with uniqueness, capacity and deadline checks."""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING

from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import contains_eager

from storage.errors import AlreadyRegistered, EventFull, EventPast, RegistrationClosed
from storage.models import Event, EventRegistration, User
from storage.sqltypes import utcnow

if TYPE_CHECKING:
    from storage.db import Database


async def count(session: AsyncSession, event: Event) -> int:
    stmt = select(func.count()).select_from(EventRegistration).where(
        EventRegistration.event_id == event.id)
    return int((await session.execute(stmt)).scalar_one())


async def find(session: AsyncSession, event: Event, user: User) -> EventRegistration | None:
    stmt = select(EventRegistration).where(EventRegistration.event_id == event.id,
                                           EventRegistration.user_id == user.id)
    return (await session.execute(stmt)).scalar_one_or_none()


async def seats_left(session: AsyncSession, event: Event) -> int | None:
    """Free places, or None when the event has no capacity limit."""
    if event.capacity is None:
        return None
    return max(0, event.capacity - await count(session, event))


async def seats_left_many(session: AsyncSession, events: list[Event]) -> dict[int, int | None]:
    """`seats_left` for several events in one query (event id → free places or None)."""
    limited = [e.id for e in events if e.capacity is not None]
    taken: dict[int, int] = {}
    if limited:
        stmt = (select(EventRegistration.event_id, func.count())
                .where(EventRegistration.event_id.in_(limited))
                .group_by(EventRegistration.event_id))
        taken = {event_id: int(n) for event_id, n in (await session.execute(stmt)).all()}
    return {e.id: None if e.capacity is None else max(0, e.capacity - taken.get(e.id, 0))
            for e in events}


async def add(
    session: AsyncSession, event: Event, user: User, *, note: str | None = None,
    now: datetime | None = None,
) -> EventRegistration:
    """Register `user`; raises AlreadyRegistered, EventPast, RegistrationClosed or EventFull.

    Flushes but does not commit. The unique (event, user) constraint settles concurrent double
    taps; capacity is checked just before the insert.
    """
    now = now or utcnow()
    if event.archived_at is not None:
        raise RegistrationClosed("Rất tiếc, sự kiện này đã được Trung tâm hủy hoặc ngừng nhận "
                                 "đăng ký. Anh/chị có thể xem các sự kiện sắp tới khác.")
    if event.starts_at <= now:
        raise EventPast()
    if event.registration_deadline is not None and event.registration_deadline < now:
        raise RegistrationClosed(
            "Rất tiếc, sự kiện đã hết hạn đăng ký. Anh/chị có thể xem các sự kiện sắp tới khác.")
    if await find(session, event, user) is not None:
        raise AlreadyRegistered()
    left = await seats_left(session, event)
    if left is not None and left <= 0:
        raise EventFull()
    reg = EventRegistration(event_id=event.id, user_id=user.id, note=note)
    try:
        async with session.begin_nested():
            session.add(reg)
    except IntegrityError as exc:
        raise AlreadyRegistered() from exc
    return reg


async def cancel(session: AsyncSession, event: Event, user: User) -> bool:
    reg = await find(session, event, user)
    if reg is None:
        return False
    await session.delete(reg)
    await session.flush()
    return True


async def list_for_user(session: AsyncSession, user: User) -> list[EventRegistration]:
    """The user's registrations, soonest event first, with `.event` loaded."""
    stmt = (select(EventRegistration).join(Event).where(EventRegistration.user_id == user.id)
            .options(contains_eager(EventRegistration.event)).order_by(Event.starts_at))
    return list((await session.execute(stmt)).scalars())


# --- taking the Database: each owns its transaction ------------------------------------------
async def register(db: Database, user: User, event_code: str, *,
                   now: datetime | None = None) -> EventRegistration:
    """Register the user for the event `event_code`; raises NotFound, AlreadyRegistered,
    EventPast, RegistrationClosed or EventFull."""
    from storage.repos import catalog

    async with db.transaction() as s:
        return await add(s, await catalog.require_event(s, event_code), user, now=now)


async def withdraw(db: Database, user: User, event: Event) -> bool:
    """Cancel the user's registration; False when there was none."""
    async with db.transaction() as s:
        return await cancel(s, event, user)


async def free_seats(db: Database, events: list[Event]) -> dict[int, int | None]:
    async with db.session() as s:
        return await seats_left_many(s, events)


async def seat_and_registration(db: Database, event: Event,
                                user: User) -> tuple[int | None, EventRegistration | None]:
    """Free places of the event (None: no limit) and the user's registration, if any."""
    async with db.session() as s:
        return await seats_left(s, event), await find(s, event, user)
