"""Delivery: broadcasts, the outbox of every outgoing message, sender leases, channel tokens."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import ForeignKey, Index, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from storage.models.base import Base
from storage.sqltypes import utcnow

# "sending": a part is on its way (committed before the request); "unknown": the sender died
# during that request, so whether it arrived cannot be known (news is not sent again).
OUTBOX_STATUSES = ("pending", "claimed", "sending", "sent", "failed", "skipped", "unknown")


BROADCAST_STATUSES = ("scheduled", "sending", "done", "cancelled")


class Broadcast(Base):
    """A message staff sent to an audience of subscribers (one outbox row per recipient)."""

    __tablename__ = "broadcasts"

    id: Mapped[int] = mapped_column(primary_key=True)
    created_by: Mapped[str] = mapped_column(String(160))  # "telegram:123" or "cli"
    connection_point_id: Mapped[int | None] = mapped_column(
        ForeignKey("connection_points.id", ondelete="SET NULL"))
    text: Mapped[str] = mapped_column(Text, default="")
    event_id: Mapped[int | None] = mapped_column(ForeignKey("events.id", ondelete="SET NULL"))
    audience: Mapped[dict[str, Any]] = mapped_column(default=dict)  # sectors, provinces, kinds
    send_at: Mapped[datetime] = mapped_column(default=utcnow)
    recipients: Mapped[int] = mapped_column(Integer, default=0)
    cancelled_at: Mapped[datetime | None]
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class OutboxMessage(Base):
    """One message to deliver: a reply, a staff alert, a reminder, a digest or a broadcast.

    Lower `priority` goes first. A sender claims pending rows (status "claimed", a lease), sends,
    and records the outcome; a claim whose lease expired goes back to pending.
    """

    __tablename__ = "outbox"
    __table_args__ = (
        Index("ix_outbox_queue", "status", "channel", "priority", "not_before", "id"),
        Index("ix_outbox_update", "channel", "update_id"),
        UniqueConstraint("dedupe_key"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[str] = mapped_column(String(16))
    priority: Mapped[int] = mapped_column(Integer, default=100)
    channel: Mapped[str] = mapped_column(String(32))
    recipient: Mapped[str] = mapped_column(String(128))  # the channel's chat id
    user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"),
                                                index=True)
    payload: Mapped[dict[str, Any]] = mapped_column(default=dict)  # a serialised Outgoing
    status: Mapped[str] = mapped_column(String(16), default="pending")
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    # A long message goes in parts: how many have arrived, so a resumed send starts at the next.
    parts_sent: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    lease_owner: Mapped[str | None] = mapped_column(String(64))
    lease_expires_at: Mapped[datetime | None]
    not_before: Mapped[datetime] = mapped_column(default=utcnow)
    message_id: Mapped[str | None] = mapped_column(String(64))
    reason: Mapped[str | None] = mapped_column(String(300))
    broadcast_id: Mapped[int | None] = mapped_column(
        ForeignKey("broadcasts.id", ondelete="CASCADE"), index=True)
    dedupe_key: Mapped[str | None] = mapped_column(String(200))  # jobs that run twice send once
    # A reply: the update that produced it (a redelivered update re-sends only unsent replies).
    update_id: Mapped[str | None] = mapped_column(String(128))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    sent_at: Mapped[datetime | None]


class SenderLease(Base):
    """Which process sends for a bot token right now (one active sender per token)."""

    __tablename__ = "sender_leases"

    name: Mapped[str] = mapped_column(String(64), primary_key=True)
    owner: Mapped[str] = mapped_column(String(64))
    expires_at: Mapped[datetime]
    taken_from: Mapped[str | None] = mapped_column(String(64))  # the holder before `owner`


class ChannelToken(Base):
    """An OAuth token pair of a channel account (the Zalo OA), kept encrypted by the caller.

    The refresh token is single-use and rotates, so the row is locked while it is spent and the
    new pair is written in the same transaction; `version` grows with every new pair.
    """

    __tablename__ = "channel_tokens"

    id: Mapped[int] = mapped_column(primary_key=True)
    account: Mapped[str] = mapped_column(String(128), unique=True)  # e.g. "zalo-oa:<app id>"
    access_token: Mapped[str] = mapped_column(Text, default="")
    refresh_token: Mapped[str] = mapped_column(Text, default="")
    expires_at: Mapped[datetime] = mapped_column(default=utcnow)
    version: Mapped[int] = mapped_column(Integer, default=0)
    pending_verifier: Mapped[str | None] = mapped_column(Text)  # PKCE, between consent and code
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)
