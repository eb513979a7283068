"""Conversation state per (channel, chat): the dialogue's handler, step and slots."""

from __future__ import annotations

from typing import Any

from sqlalchemy import delete, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from storage.models import ConversationState


async def load(session: AsyncSession, channel: str, chat_id: str) -> ConversationState | None:
    stmt = select(ConversationState).where(ConversationState.channel == channel,
                                           ConversationState.chat_id == str(chat_id))
    return (await session.execute(stmt)).scalar_one_or_none()


async def save(
    session: AsyncSession, channel: str, chat_id: str, *, handler: str | None,
    step: str | None, slots: dict[str, Any] | None = None,
) -> ConversationState:
    """Insert or replace the state of this chat (flushes; the caller commits)."""
    state = await load(session, channel, chat_id)
    if state is None:
        state = ConversationState(channel=channel, chat_id=str(chat_id))
        try:
            async with session.begin_nested():
                _fill(state, handler, step, slots)
                session.add(state)
            return state
        except IntegrityError:  # created concurrently: update that row instead
            existing = await load(session, channel, chat_id)
            if existing is None:  # pragma: no cover
                raise
            state = existing
    _fill(state, handler, step, slots)
    await session.flush()
    return state


def _fill(state: ConversationState, handler: str | None, step: str | None,
          slots: dict[str, Any] | None) -> None:
    state.handler = handler
    state.step = step
    state.slots = dict(slots or {})  # a new dict so the JSON column is marked dirty


async def delete_state(session: AsyncSession, channel: str, chat_id: str) -> bool:
    stmt = delete(ConversationState).where(ConversationState.channel == channel,
                                           ConversationState.chat_id == str(chat_id))
    result = await session.execute(stmt)
    return bool(result.rowcount)  # type: ignore[attr-defined]
