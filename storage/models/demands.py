"""Demands and what happens to them: status history, expert introductions, questions on offers, handoffs to a person."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import BigInteger, ForeignKey, Index, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from storage.models.base import Base, Timestamped
from storage.sqltypes import utcnow


class Demand(Timestamped, Base):
    __tablename__ = "demands"
    __table_args__ = (Index("ix_demands_status_created", "status", "created_at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    type: Mapped[str] = mapped_column(String(32))  # intent name, e.g. find_technology
    raw_text: Mapped[str] = mapped_column(Text, default="")
    details: Mapped[dict[str, Any]] = mapped_column(default=dict)
    sector: Mapped[str | None] = mapped_column(String(32))
    product: Mapped[str | None] = mapped_column(String(200))
    province: Mapped[str | None] = mapped_column(String(32))
    budget: Mapped[int | None] = mapped_column(BigInteger)
    status: Mapped[str] = mapped_column(String(16), default="new")
    matched_technology_ids: Mapped[list[int]] = mapped_column(default=list)
    matched_expert_ids: Mapped[list[int]] = mapped_column(default=list)
    interested_technology_ids: Mapped[list[int]] = mapped_column(default=list)
    connection_point_id: Mapped[int | None] = mapped_column(
        ForeignKey("connection_points.id", ondelete="SET NULL")
    )
    outcome: Mapped[str | None] = mapped_column(String(16))  # DEMAND_OUTCOMES, when closed
    # The staff member handling it ("channel:user_id") and their name as it was then.
    assigned_to: Mapped[str | None] = mapped_column(String(160))
    assigned_name: Mapped[str | None] = mapped_column(String(200))

    history: Mapped[list[DemandStatusChange]] = relationship(
        back_populates="demand", cascade="all, delete-orphan", lazy="selectin",
        order_by="DemandStatusChange.id",
    )


class DemandStatusChange(Base):
    __tablename__ = "demand_status_changes"

    id: Mapped[int] = mapped_column(primary_key=True)
    demand_id: Mapped[int] = mapped_column(ForeignKey("demands.id", ondelete="CASCADE"), index=True)
    old_status: Mapped[str | None] = mapped_column(String(16))
    new_status: Mapped[str] = mapped_column(String(16))
    note: Mapped[str | None] = mapped_column(Text)
    changed_by: Mapped[str | None] = mapped_column(String(128))
    changed_at: Mapped[datetime] = mapped_column(default=utcnow)

    demand: Mapped[Demand] = relationship(back_populates="history", lazy="raise")


INTRODUCTION_STATUSES = ("requested", "contacted", "agreed", "declined")


class Introduction(Timestamped, Base):
    """A user's request to be introduced to an expert, handled by their point's staff.

    The expert's contact reaches the user only when the expert consented (`consent_contact`) or
    staff recorded the expert's agreement ("agreed"). `expert_id` is empty while staff still look
    for an expert (a find_expert demand nobody was picked for yet).
    """

    __tablename__ = "introductions"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    expert_id: Mapped[int | None] = mapped_column(ForeignKey("experts.id", ondelete="SET NULL"))
    demand_id: Mapped[int | None] = mapped_column(
        ForeignKey("demands.id", ondelete="CASCADE"), index=True)
    connection_point_id: Mapped[int | None] = mapped_column(
        ForeignKey("connection_points.id", ondelete="SET NULL"), index=True)
    status: Mapped[str] = mapped_column(String(16), default="requested")  # INTRODUCTION_STATUSES
    handled_by: Mapped[str | None] = mapped_column(String(160))  # "channel:user_id (name)"
    note: Mapped[str | None] = mapped_column(Text)


class OfferQuestion(Base):
    """A reviewer's question about an offered technology ("Cần bổ sung") and the offerer's answer."""

    __tablename__ = "offer_questions"
    __table_args__ = (Index("ix_offer_questions_user_open", "user_id", "answered_at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    technology_id: Mapped[int] = mapped_column(
        ForeignKey("technologies.id", ondelete="CASCADE"), index=True)
    user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    question: Mapped[str] = mapped_column(Text)
    asked_by: Mapped[str] = mapped_column(String(160))
    asked_at: Mapped[datetime] = mapped_column(default=utcnow)
    answer: Mapped[str | None] = mapped_column(Text)
    answered_at: Mapped[datetime | None]


HANDOFF_STATUSES = ("open", "taken", "closed")


class Handoff(Base):
    """A user's request to talk to a person: open on their connection point until a staff member
    takes it, then their chat is relayed both ways until either side ends it."""

    __tablename__ = "handoffs"
    __table_args__ = (
        Index("ix_handoffs_status_opened", "status", "opened_at"),
        Index("ix_handoffs_staff", "staff_channel", "staff_chat", "status"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    channel: Mapped[str] = mapped_column(String(32))  # the user's channel and chat
    chat_id: Mapped[str] = mapped_column(String(128))
    user_name: Mapped[str | None] = mapped_column(String(200))  # as shown to staff
    note: Mapped[str] = mapped_column(Text, default="")  # what the user wrote when asking
    demand_id: Mapped[int | None] = mapped_column(ForeignKey("demands.id", ondelete="SET NULL"))
    connection_point_id: Mapped[int | None] = mapped_column(
        ForeignKey("connection_points.id", ondelete="SET NULL"))
    status: Mapped[str] = mapped_column(String(16), default="open")  # HANDOFF_STATUSES
    # Who has it: the staff member's chat account and their name as it was then.
    staff_channel: Mapped[str | None] = mapped_column(String(32))
    staff_chat: Mapped[str | None] = mapped_column(String(128))
    staff_name: Mapped[str | None] = mapped_column(String(200))
    rounds: Mapped[int] = mapped_column(Integer, default=1)  # times staff were alerted
    opened_at: Mapped[datetime] = mapped_column(default=utcnow)
    taken_at: Mapped[datetime | None]
    waiting_told_at: Mapped[datetime | None]  # when the user was told nobody had taken it yet
    closed_at: Mapped[datetime | None]
    closed_by: Mapped[str | None] = mapped_column(String(16))  # user | staff | blocked | forgotten
