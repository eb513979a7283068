"""The dialogue: state per chat, updates received and processed, long button payloads, the message log."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import Float, Index, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from storage.models.base import Base
from storage.sqltypes import JSONType, utcnow


class ConversationState(Base):
    __tablename__ = "conversation_states"
    __table_args__ = (UniqueConstraint("channel", "chat_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    channel: Mapped[str] = mapped_column(String(32))
    chat_id: Mapped[str] = mapped_column(String(128))
    handler: Mapped[str | None] = mapped_column(String(64))
    step: Mapped[str | None] = mapped_column(String(64))
    slots: Mapped[dict[str, Any]] = mapped_column(default=dict)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)


class ProcessedUpdate(Base):
    __tablename__ = "processed_updates"
    __table_args__ = (UniqueConstraint("channel", "update_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    channel: Mapped[str] = mapped_column(String(32))
    update_id: Mapped[str] = mapped_column(String(128))
    processed_at: Mapped[datetime] = mapped_column(default=utcnow, index=True)


class InboxUpdate(Base):
    """An update a channel delivered, stored before the channel is told it arrived (the webhook's
    200, the polling offset), so a process that dies loses nothing acknowledged. "new" until the
    turn that handles it commits, then "done" in that same transaction."""

    __tablename__ = "inbox"
    __table_args__ = (UniqueConstraint("channel", "update_id"),
                      Index("ix_inbox_pending", "status", "channel", "id"),
                      Index("ix_inbox_chat", "channel", "chat_id", "status"))

    id: Mapped[int] = mapped_column(primary_key=True)
    channel: Mapped[str] = mapped_column(String(32))
    update_id: Mapped[str] = mapped_column(String(128))
    raw: Mapped[dict[str, Any]] = mapped_column(JSONType)  # the update as the channel sent it
    status: Mapped[str] = mapped_column(String(8), default="new")  # new | done
    received_at: Mapped[datetime] = mapped_column(default=utcnow, index=True)
    # The chat the update belongs to, so a process handles a chat's earlier updates first.
    chat_id: Mapped[str | None] = mapped_column(String(128))


class ButtonPayload(Base):
    """A button payload too long for the channel (Telegram's 64-byte callback_data), under the
    short id sent instead: every process of the bot resolves it, also after a restart."""

    __tablename__ = "button_payloads"

    id: Mapped[str] = mapped_column(String(64), primary_key=True)
    payload: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(default=utcnow, index=True)


class MessageLog(Base):
    __tablename__ = "message_log"

    id: Mapped[int] = mapped_column(primary_key=True)
    channel: Mapped[str] = mapped_column(String(32))
    chat_id: Mapped[str] = mapped_column(String(128), index=True)
    user_id: Mapped[str | None] = mapped_column(String(128))  # channel's user id
    direction: Mapped[str] = mapped_column(String(3))  # "in" | "out"
    text: Mapped[str] = mapped_column(Text, default="")
    intent: Mapped[str | None] = mapped_column(String(64))
    confidence: Mapped[float | None] = mapped_column(Float)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
