"""Users: one row per (channel, external id)."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from storage.errors import InvalidValue, NotFound
from storage.models import ROLES, User
from storage.sqltypes import utcnow

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
