"""Subscriptions to news of technologies and events (used by broadcasts)."""

from __future__ import annotations

from collections.abc import Iterable
from typing import TYPE_CHECKING

from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession

from storage.models import Subscription, User
from storage.sqltypes import utcnow

if TYPE_CHECKING:
    from storage.db import Database


async def active_for_user(session: AsyncSession, user: User) -> list[Subscription]:
    stmt = (select(Subscription).where(Subscription.user_id == user.id, Subscription.active)
            .order_by(Subscription.id))
    return list((await session.execute(stmt)).scalars())


async def subscribe(
    session: AsyncSession, user: User, *, sectors: Iterable[str] = (),
    provinces: Iterable[str] = (), event_kinds: Iterable[str] = (),
) -> Subscription:
    """Create the user's subscription, or update their active one (one per user). Flushes."""
    current = await active_for_user(session, user)
    sub = current[0] if current else Subscription(user_id=user.id)
    sub.sectors = sorted(set(sectors))
    sub.provinces = sorted(set(provinces))
    sub.event_kinds = sorted(set(event_kinds))
    sub.active = True
    if not current:
        session.add(sub)
    await session.flush()
    return sub


async def deactivate_all(session: AsyncSession, user: User) -> int:
    """Turn off every subscription of the user; returns how many were active.

    News not yet sent to them (broadcasts, reminders, digests) is skipped as "unsubscribed" in
    the same transaction, also in the middle of a broadcast.
    """
    from storage.repos.outbox import NEWS_KINDS, skip_pending

    await skip_pending(session, reason="unsubscribed", user_id=user.id, kinds=NEWS_KINDS)
    stmt = (update(Subscription)
            .where(Subscription.user_id == user.id, Subscription.active)
            .values(active=False, updated_at=utcnow()))
    result = await session.execute(stmt, execution_options={"synchronize_session": "fetch"})
    return int(result.rowcount or 0)  # type: ignore[attr-defined]


async def active_matching(
    session: AsyncSession, *, sector: str | None = None, province: str | None = None,
    event_kind: str | None = None,
) -> list[Subscription]:
    """Active subscriptions interested in this item (an empty list in a field means "any")."""
    stmt = (select(Subscription).join(User).where(Subscription.active, User.active)
            .order_by(Subscription.id))
    out = []
    for sub in (await session.execute(stmt)).scalars():
        if sector and sub.sectors and sector not in sub.sectors:
            continue
        if province and sub.provinces and province not in sub.provinces:
            continue
        if event_kind and sub.event_kinds and event_kind not in sub.event_kinds:
            continue
        out.append(sub)
    return out


async def set_notify(db: Database, user: User, on: bool) -> bool:
    """Turn the news sent at once (new events, approved technologies) on or off for the user's
    active subscription; False when they have none."""
    async with db.transaction() as s:
        result = await s.execute(
            update(Subscription).where(Subscription.user_id == user.id, Subscription.active)
            .values(notify_new=on, updated_at=utcnow())
            .execution_options(synchronize_session=False))
        return bool(result.rowcount)  # type: ignore[attr-defined]


# --- taking the Database: each owns its transaction ------------------------------------------
async def current(db: Database, user: User) -> list[Subscription]:
    async with db.session() as s:
        return await active_for_user(s, user)


async def start(db: Database, user: User, *, sectors: Iterable[str] = (),
                provinces: Iterable[str] = (), event_kinds: Iterable[str] = ()) -> Subscription:
    """Subscribe the user (or change their active subscription)."""
    async with db.transaction() as s:
        return await subscribe(s, user, sectors=sectors, provinces=provinces,
                               event_kinds=event_kinds)


async def stop_all(db: Database, user: User) -> int:
    """Stop every subscription of the user; returns how many were active."""
    async with db.transaction() as s:
        return await deactivate_all(s, user)
