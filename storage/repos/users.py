"""Users: one row per (channel, external id)."""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING, Any

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from storage.errors import InvalidValue, NotFound
from storage.models import ROLES, User
from storage.sqltypes import utcnow

if TYPE_CHECKING:
    from storage.db import Database

_UNSET: object = object()


async def get(session: AsyncSession, user_id: int) -> User:
    user = await session.get(User, user_id)
    if user is None:
        raise NotFound("Không tìm thấy người dùng.")
    return user


async def find(session: AsyncSession, channel: str, external_id: str) -> User | None:
    stmt = select(User).where(User.channel == channel, User.external_id == str(external_id))
    return (await session.execute(stmt)).scalar_one_or_none()


async def get_or_create(
    session: AsyncSession, channel: str, external_id: str, display_name: str | None = None
) -> User:
    """The user of this channel account, created (and flushed) on first contact.

    Race-safe: two concurrent first messages both try to insert, the loser re-reads. The caller
    commits.
    """
    user = await find(session, channel, external_id)
    if user is not None:
        if display_name and not user.display_name:
            user.display_name = display_name
        return user
    user = User(channel=channel, external_id=str(external_id), display_name=display_name)
    try:
        async with session.begin_nested():
            session.add(user)
    except IntegrityError:
        existing = await find(session, channel, external_id)
        if existing is None:  # pragma: no cover - the unique row vanished in between
            raise
        return existing
    return user


async def update_contact(
    session: AsyncSession,
    user: User,
    *,
    display_name: str | None | object = _UNSET,
    phone: str | None | object = _UNSET,
    email: str | None | object = _UNSET,
    organisation: str | None | object = _UNSET,
    province: str | None | object = _UNSET,
    consent_at: datetime | None | object = _UNSET,
) -> User:
    """Set the given contact fields (omitted ones are left alone; None clears)."""
    values = {"display_name": display_name, "phone": phone, "email": email,
              "organisation": organisation, "province": province, "consent_at": consent_at}
    for name, value in values.items():
        if value is not _UNSET:
            setattr(user, name, value)
    await session.flush()
    return user


async def give_consent(session: AsyncSession, user: User) -> User:
    user.consent_at = utcnow()
    await session.flush()
    return user


async def set_active(session: AsyncSession, user: User, active: bool) -> User:
    user.active = active
    await session.flush()
    return user


async def inactive_keys(session: AsyncSession) -> set[tuple[str, str]]:
    """(channel, external id) of every user marked inactive (blocked the bot)."""
    rows = await session.execute(
        select(User.channel, User.external_id).where(User.active.is_(False))
    )
    return {(channel, external_id) for channel, external_id in rows.all()}


async def set_role(session: AsyncSession, user: User, role: str) -> User:
    if role not in ROLES:
        raise InvalidValue(f"Vai trò không hợp lệ: {role} (chỉ nhận {', '.join(ROLES)}).")
    user.role = role
    await session.flush()
    return user


# --- taking the Database: each owns its transaction ------------------------------------------
async def ensure(db: Database, channel: str, external_id: str, name: str | None = None) -> User:
    """The user of this account, created on first contact; detached from its session.

    A read first, so known users never wait for the SQLite writer lock."""
    async with db.session() as s:
        found = await find(s, channel, external_id)
    if found is not None:
        return found
    async with db.transaction() as s:
        return await get_or_create(s, channel, external_id, name)


async def remember_contact(
    db: Database, user_id: int, *, display_name: str | None = None, phone: str | None = None,
    email: str | None = None, organisation: str | None = None, province: str | None = None,
    consent: bool = False,
) -> User:
    """Keep the contact fields given (empty ones leave the stored value); `consent` records the
    user's consent now. Returns the updated user, detached."""
    given = {"display_name": display_name, "phone": phone, "email": email,
             "organisation": organisation, "province": province}
    changes: dict[str, Any] = {k: v for k, v in given.items() if v}
    if consent:
        changes["consent_at"] = utcnow()  # as `give_consent`, in the same UPDATE
    async with db.transaction() as s:
        user = await get(s, user_id)
        await update_contact(s, user, **changes)
        return user


async def inactive_accounts(db: Database) -> set[tuple[str, str]]:
    """(channel, external id) of every user who blocked the bot."""
    async with db.session() as s:
        return await inactive_keys(s)


async def set_account_active(db: Database, channel: str, external_id: str, active: bool) -> bool:
    """Mark the account (in)active; False when no such user exists yet."""
    async with db.transaction() as s:
        user = await find(s, channel, external_id)
        if user is None:
            return False
        await set_active(s, user, active)
        return True
