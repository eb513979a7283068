"""Privacy: everything stored about a user (`/dulieu`), and forgetting a user (`/xoadulieu`)."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from sqlalchemy import delete, select
from sqlalchemy.ext.asyncio import AsyncSession

from storage.models import (
    Demand,
    Event,
    EventRegistration,
    MessageLog,
    Subscription,
    Technology,
    User,
)
from storage.repos import demands as demands_repo
from storage.repos import users

if TYPE_CHECKING:
    from storage.db import Database


@dataclass
class UserData:
    """Everything stored about one user, for `/dulieu`."""

    user: User
    demands: list[Demand] = field(default_factory=list)
    subscriptions: list[Subscription] = field(default_factory=list)
    registrations: list[tuple[EventRegistration, Event]] = field(default_factory=list)
    offers: list[Technology] = field(default_factory=list)  # technologies the user submitted
    messages: int = 0


async def registrations_with_events(
    session: AsyncSession, user: User
) -> list[tuple[EventRegistration, Event]]:
    stmt = (select(EventRegistration, Event).join(Event, Event.id == EventRegistration.event_id)
            .where(EventRegistration.user_id == user.id).order_by(Event.starts_at))
    return [(reg, ev) for reg, ev in (await session.execute(stmt)).all()]


async def user_data(session: AsyncSession, user: User) -> UserData:
    subs = (await session.execute(
        select(Subscription).where(Subscription.user_id == user.id).order_by(Subscription.id)
    )).scalars()
    messages = (await session.execute(
        select(MessageLog.id).where(MessageLog.channel == user.channel,
                                    MessageLog.user_id == user.external_id)
    )).scalars()
    return UserData(
        user=user,
        demands=await demands_repo.list_for_user(session, user, limit=1000),
        subscriptions=list(subs),
        registrations=await registrations_with_events(session, user),
        offers=await offers_of(session, user),
        messages=len(list(messages)),
    )


async def offers_of(session: AsyncSession, user: User) -> list[Technology]:
    stmt = select(Technology).where(Technology.submitted_by_id == user.id).order_by(Technology.id)
    return list((await session.execute(stmt)).scalars())


async def delete_subscriptions(session: AsyncSession, user: User) -> int:
    result = await session.execute(delete(Subscription).where(Subscription.user_id == user.id))
    return int(result.rowcount or 0)  # type: ignore[attr-defined]


async def delete_registrations(session: AsyncSession, user: User) -> int:
    result = await session.execute(
        delete(EventRegistration).where(EventRegistration.user_id == user.id))
    return int(result.rowcount or 0)  # type: ignore[attr-defined]


async def delete_messages(session: AsyncSession, user: User) -> int:
    """The chat log of this user's account: it may hold phone numbers and e-mails they typed."""
    result = await session.execute(delete(MessageLog).where(
        MessageLog.channel == user.channel, MessageLog.user_id == user.external_id))
    return int(result.rowcount or 0)  # type: ignore[attr-defined]


@dataclass(frozen=True)
class Forgotten:
    demands: int
    subscriptions: int
    registrations: int
    messages: int
    offers: int = 0


async def forget_user(session: AsyncSession, user: User) -> Forgotten:
    """Anonymise contact data on the user, their demands and the technologies they offered;
    remove subscriptions, registrations and the chat log. Demands and offers themselves stay
    (without contact) for statistics and the catalog. Flushes; the caller commits."""
    touched = await demands_repo.anonymise_user(session, user)
    for demand in await demands_repo.list_for_user(session, user, limit=100_000):
        details = dict(demand.details or {})
        if "handoff" in details:  # handoff notes may quote the user's words
            details["handoff"] = [{"at": h.get("at")} for h in details["handoff"]]
            demand.details = details
    offers = await offers_of(session, user)
    for tech in offers:  # the offer stays in the catalog, without the person's contact
        tech.provider_contact = {}
    forgotten = Forgotten(
        offers=len(offers),
        demands=touched,
        subscriptions=await delete_subscriptions(session, user),
        registrations=await delete_registrations(session, user),
        messages=await delete_messages(session, user),
    )
    from storage.repos.outbox import forget_user as forget_in_outbox

    await forget_in_outbox(session, user.id)
    user.province = None
    await session.flush()
    return forgotten


# --- taking the Database: each owns its transaction ------------------------------------------
async def what_we_store(db: Database, user_id: int) -> UserData:
    async with db.session() as s:
        return await user_data(s, await users.get(s, user_id))


async def forget(db: Database, user_id: int) -> Forgotten:
    """`forget_user` in its own transaction."""
    async with db.transaction() as s:
        return await forget_user(s, await users.get(s, user_id))
