"""Message log: what users wrote and what the bot answered."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from storage.errors import InvalidValue
from storage.models import MessageLog

MAX_TEXT = 4000  # Telegram's limit is 4096; longer input is truncated in the log only


async def append(
    session: AsyncSession, *, channel: str, chat_id: str, direction: str, text: str,
    user_id: str | None = None, intent: str | None = None, confidence: float | None = None,
) -> MessageLog:
    if direction not in ("in", "out"):
        raise InvalidValue("direction phải là 'in' hoặc 'out'.")
    row = MessageLog(channel=channel, chat_id=str(chat_id), user_id=user_id, direction=direction,
                     text=(text or "")[:MAX_TEXT], intent=intent, confidence=confidence)
    session.add(row)
    await session.flush()
    return row


async def recent(session: AsyncSession, channel: str, chat_id: str,
                 limit: int = 20) -> list[MessageLog]:
    stmt = (select(MessageLog).where(MessageLog.channel == channel,
                                     MessageLog.chat_id == str(chat_id))
            .order_by(MessageLog.id.desc()).limit(limit))
    return list(reversed(list((await session.execute(stmt)).scalars())))
