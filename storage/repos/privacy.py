"""Privacy: everything stored about a user (`/dulieu`), and forgetting a user (`/xoadulieu`)."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import datetime
from typing import TYPE_CHECKING, Any

from sqlalchemy import case, delete, or_, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from storage.models import (
    ConversationState,
    Demand,
    Event,
    EventRegistration,
    Expert,
    InboxUpdate,
    Introduction,
    MessageLog,
    OfferQuestion,
    OutboxMessage,
    Staff,
    Subscription,
    Technology,
    User,
)
from storage.repos import demands as demands_repo
from storage.repos import updates as updates_repo
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
    # The latest lines of their conversations with staff (handoffs), oldest first.
    handoff_lines: list[MessageLog] = field(default_factory=list)
    # Expert introductions asked for: (status, the expert's title and name or None).
    introductions: list[tuple[str, str | None]] = field(default_factory=list)
    answers: int = 0  # answers to reviewers' questions on their offers


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
        handoff_lines=await _handoff_lines(session, user),
        introductions=[(i.status, f"{e.title} {e.name}".strip() if e is not None else None)
                       for i, e in (await session.execute(
                           select(Introduction, Expert).outerjoin(
                               Expert, Expert.id == Introduction.expert_id)
                           .where(Introduction.user_id == user.id)
                           .order_by(Introduction.id))).all()],
        answers=len(list((await session.execute(select(OfferQuestion.id).where(
            OfferQuestion.user_id == user.id, OfferQuestion.answer.is_not(None)))).scalars())),
    )


async def _handoff_lines(session: AsyncSession, user: User, limit: int = 10) -> list[MessageLog]:
    from storage.repos.handoffs import RELAY_INTENT

    rows = list((await session.execute(
        select(MessageLog).where(MessageLog.channel == user.channel,
                                 MessageLog.chat_id == user.external_id,
                                 MessageLog.intent == RELAY_INTENT)
        .order_by(MessageLog.id.desc()).limit(limit))).scalars())
    return rows[::-1]


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
    """The chat log of this user's account, both directions: what they typed and what the bot
    answered (a summary repeats their name and phone)."""
    result = await session.execute(delete(MessageLog).where(
        MessageLog.channel == user.channel,
        or_(MessageLog.user_id == user.external_id, MessageLog.chat_id == user.external_id)))
    return int(result.rowcount or 0)  # type: ignore[attr-defined]


async def delete_channel_traces(session: AsyncSession, user: User) -> None:
    """The dialogue state of their chat, the raw updates they sent (inbox), replies to their
    chat (outbox), and their staff record if they worked for a connection point."""
    channel, chat = user.channel, user.external_id
    await session.execute(delete(ConversationState).where(
        ConversationState.channel == channel, ConversationState.chat_id == chat))
    await session.execute(delete(Staff).where(Staff.channel == channel, Staff.user_id == chat))
    await session.execute(
        update(OutboxMessage).where(OutboxMessage.channel == channel,
                                    OutboxMessage.recipient == chat)
        .values(recipient="", payload={}, user_id=None, message_id=None,
                status=case((OutboxMessage.status == "sent", "sent"), else_="skipped"))
        .execution_options(synchronize_session=False))
    rows = await session.execute(select(InboxUpdate.id, InboxUpdate.raw)
                                 .where(InboxUpdate.channel == channel))
    theirs = [row.id for row in rows if _mentions(row.raw, chat)]
    if theirs:
        await session.execute(delete(InboxUpdate).where(InboxUpdate.id.in_(theirs)))


def _mentions(raw: Any, external_id: str) -> bool:
    """Whether a raw update names this account (a sender's or chat's "id")."""
    if isinstance(raw, dict):
        return str(raw.get("id")) == external_id or any(
            _mentions(v, external_id) for v in raw.values())
    if isinstance(raw, list):
        return any(_mentions(v, external_id) for v in raw)
    return False


def _personal_strings(user: User, demands: list[Demand]) -> list[str]:
    """Names, organisations, phones and e-mails the user gave, to cut from free texts."""
    found = {user.display_name, user.organisation, user.phone, user.email}
    for d in demands:
        found.update(str(v) for k, v in (d.details or {}).items()
                     if k in demands_repo.CONTACT_KEYS and isinstance(v, str | int))
    return sorted((s for s in found if s and len(s.strip()) >= 3), key=len, reverse=True)


def redact_demand_texts(user: User, demands: list[Demand]) -> None:
    """A demand's text keeps the need, not the person: their names and contacts are cut."""
    strings = _personal_strings(user, demands)
    for d in demands:
        d.raw_text = _scrub(d.raw_text or "", strings)
        d.details = _scrub(dict(d.details or {}), strings)


def _scrub(value: Any, strings: list[str]) -> Any:
    """`value` (text, or JSON data) with each personal string replaced."""
    if isinstance(value, str):
        for s in strings:
            value = re.sub(re.escape(s), demands_repo.REDACTED, value, flags=re.IGNORECASE)
        return demands_repo.redact_contacts(value)
    if isinstance(value, dict):
        return {k: _scrub(v, strings) for k, v in value.items()}
    if isinstance(value, list):
        return [_scrub(v, strings) for v in value]
    return value


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
    mine = await demands_repo.list_for_user(session, user, limit=100_000)
    from storage.repos import handoff_relay

    strings = sorted({*_personal_strings(user, mine), *await handoff_relay.names_of(session, user)},
                     key=len, reverse=True)
    await handoff_relay.forget_user(session, user, lambda value: _scrub(value, strings))
    redact_demand_texts(user, mine)  # before the contact fields it reads are cleared
    touched = await demands_repo.anonymise_user(session, user)
    for demand in mine:
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
    await delete_channel_traces(session, user)
    # Their answers to reviewers' questions are their own words.
    await session.execute(delete(OfferQuestion).where(OfferQuestion.user_id == user.id))
    user.province = None
    # The account id itself is personal: the row stays (demands count in reports) under a
    # placeholder, and the person starts afresh if they write again.
    user.external_id = f"forgotten-{user.id}"
    user.active = False
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


async def forget_account(db: Database, channel: str, external_id: str) -> Forgotten | None:
    """`forget_user` for a channel account (`ketnoi users forget`); None when it is unknown."""
    async with db.transaction() as s:
        user = await users.find(s, channel, str(external_id))
        return None if user is None else await forget_user(s, user)


@dataclass(frozen=True)
class Purged:
    messages: int
    updates: int
    outbox: int


async def purge_older_than(db: Database, when: datetime) -> Purged:
    """Retention (KETNOI_MESSAGE_LOG_DAYS): message log lines, handled inbox updates, processed
    update ids and finished outbox rows older than `when` go."""
    async with db.transaction() as s:
        messages = await s.execute(delete(MessageLog).where(MessageLog.created_at < when))
        updates = await s.execute(delete(InboxUpdate).where(InboxUpdate.received_at < when,
                                                            InboxUpdate.status == "done"))
        await updates_repo.purge_older_than(s, when)
        sent = await s.execute(delete(OutboxMessage).where(
            OutboxMessage.created_at < when,
            OutboxMessage.status.in_(("sent", "failed", "skipped")),
            OutboxMessage.broadcast_id.is_(None)))  # a broadcast's report counts its rows
        return Purged(*(int(r.rowcount or 0)  # type: ignore[attr-defined]
                        for r in (messages, updates, sent)))
