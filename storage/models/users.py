"""The people who write to the bot, and what they subscribed to."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Boolean, ForeignKey, String, UniqueConstraint, true
from sqlalchemy.orm import Mapped, mapped_column

from storage.models.base import Base, Timestamped


class User(Timestamped, Base):
    __tablename__ = "users"
    __table_args__ = (UniqueConstraint("channel", "external_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    channel: Mapped[str] = mapped_column(String(32))
    external_id: Mapped[str] = mapped_column(String(128))
    display_name: Mapped[str | None] = mapped_column(String(200))
    phone: Mapped[str | None] = mapped_column(String(32))
    email: Mapped[str | None] = mapped_column(String(200))
    organisation: Mapped[str | None] = mapped_column(String(300))
    province: Mapped[str | None] = mapped_column(String(32))
    role: Mapped[str] = mapped_column(String(16), default="enterprise")
    consent_at: Mapped[datetime | None]
    active: Mapped[bool] = mapped_column(Boolean, default=True)


class Subscription(Timestamped, Base):
    __tablename__ = "subscriptions"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    sectors: Mapped[list[str]] = mapped_column(default=list)  # empty list: every sector
    provinces: Mapped[list[str]] = mapped_column(default=list)  # empty list: everywhere
    event_kinds: Mapped[list[str]] = mapped_column(default=list)  # empty list: every kind
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    # Told at once when a matching event is published or a technology approved (opt-out).
    notify_new: Mapped[bool] = mapped_column(Boolean, default=True, server_default=true())
