"""Connection points' staff, their invitations and web sign-ins, and the audit log."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import Boolean, ForeignKey, String, UniqueConstraint, false, true
from sqlalchemy.orm import Mapped, mapped_column, relationship

from storage.models.base import Base, Timestamped
from storage.models.catalog import ConnectionPoint
from storage.sqltypes import utcnow

STAFF_ROLES = ("staff", "admin")


class Staff(Timestamped, Base):
    """A chat account (channel + the channel's user id) working for a connection point.

    Kept apart from `users`: staff can be added before they ever write to the bot.
    """

    __tablename__ = "staff"
    __table_args__ = (UniqueConstraint("channel", "user_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    channel: Mapped[str] = mapped_column(String(32))
    user_id: Mapped[str] = mapped_column(String(128))  # the channel's user id
    name: Mapped[str | None] = mapped_column(String(200))
    role: Mapped[str] = mapped_column(String(16), default="staff")  # STAFF_ROLES
    # Alerts go to the point's staff on duty; nobody on duty → its fallback staff.
    on_duty: Mapped[bool] = mapped_column(Boolean, default=True, server_default=true())
    fallback: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())
    connection_point_id: Mapped[int] = mapped_column(
        ForeignKey("connection_points.id", ondelete="CASCADE"), index=True
    )

    point: Mapped[ConnectionPoint] = relationship(lazy="joined")


class StaffInvite(Base):
    """A one-time share code an admin gives a new colleague: sent to the bot from their own chat
    account, it makes that account staff of the point. Only the SHA-256 of the code is kept."""

    __tablename__ = "staff_invites"

    id: Mapped[int] = mapped_column(primary_key=True)
    code_hash: Mapped[str] = mapped_column(String(64), unique=True)
    connection_point_id: Mapped[int] = mapped_column(
        ForeignKey("connection_points.id", ondelete="CASCADE"))
    role: Mapped[str] = mapped_column(String(16), default="staff")
    created_by: Mapped[str] = mapped_column(String(160))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    expires_at: Mapped[datetime]
    used_at: Mapped[datetime | None]
    used_by: Mapped[str | None] = mapped_column(String(160))


class WebLogin(Base):
    """A one-time sign-in link to the web console, given to a staff member in chat.

    Only the SHA-256 of the token is kept, so a copy of the database cannot be used to sign in.
    """

    __tablename__ = "web_logins"

    id: Mapped[int] = mapped_column(primary_key=True)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    channel: Mapped[str] = mapped_column(String(32))
    user_id: Mapped[str] = mapped_column(String(128))  # the channel's user id of the staff member
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    expires_at: Mapped[datetime] = mapped_column(index=True)
    used_at: Mapped[datetime | None]


class AuditEntry(Base):
    """One staff action (status change, approval, takeover, broadcast): who, when, what."""

    __tablename__ = "audit_log"

    id: Mapped[int] = mapped_column(primary_key=True)
    at: Mapped[datetime] = mapped_column(default=utcnow, index=True)
    actor: Mapped[str] = mapped_column(String(160))  # "telegram:123 (Lan)" or "cli"
    action: Mapped[str] = mapped_column(String(32))  # e.g. demand.assign, demand.status
    target: Mapped[str] = mapped_column(String(64))  # e.g. "demand:12"
    details: Mapped[dict[str, Any]] = mapped_column(default=dict)
