"""ORM models (SQLAlchemy 2.x, typed). Sector and province columns hold taxonomy ids.

Lists (keywords, sectors, ...) and small records (contacts) are JSON columns, JSONB on PostgreSQL.
Every datetime is timezone-aware and stored in UTC; events are shown in Asia/Ho_Chi_Minh.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import (
    BigInteger,
    Boolean,
    Float,
    ForeignKey,
    Index,
    Integer,
    MetaData,
    String,
    Text,
    UniqueConstraint,
    event,
    false,
    true,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, relationship

from storage.sqltypes import JSONType, UTCDateTime, utcnow

# Stable constraint names so migrations can be written and reversed on both engines.
NAMING = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}

ROLES = ("enterprise", "staff", "admin")
STAGES = ("research", "prototype", "pilot", "commercial")
TRANSFER_MODES = ("licence", "sale", "joint_development", "consulting", "training")
TECH_STATUSES = ("published", "pending_review", "archived")
EVENT_KINDS = (
    "techmart", "techdemo", "techfest", "workshop", "training", "connection_session", "other",
)
# The pipeline staff move a demand along: new → assigned → proposed → connected → closed (with an
# outcome). "matched" and "rejected" are kept for rows written before the pipeline existed.
DEMAND_STATUSES = ("new", "assigned", "proposed", "connected", "closed", "matched", "rejected")
DEMAND_OUTCOMES = ("deal", "no_match", "withdrawn", "duplicate")


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING)
    type_annotation_map = {datetime: UTCDateTime(), dict[str, Any]: JSONType, list[str]: JSONType,
                           list[int]: JSONType}


class Timestamped:
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)


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


class Technology(Timestamped, Base):
    __tablename__ = "technologies"
    # updated_at is indexed: the search index checks max(updated_at) before each query.
    __table_args__ = (Index("ix_technologies_updated_at", "updated_at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(32), unique=True)
    title: Mapped[str] = mapped_column(String(300))
    summary: Mapped[str] = mapped_column(Text, default="")
    description: Mapped[str] = mapped_column(Text, default="")
    sector: Mapped[str | None] = mapped_column(String(32), index=True)
    keywords: Mapped[list[str]] = mapped_column(default=list)
    stage: Mapped[str | None] = mapped_column(String(16))
    transfer_modes: Mapped[list[str]] = mapped_column(default=list)
    price_min: Mapped[int | None] = mapped_column(BigInteger)
    price_max: Mapped[int | None] = mapped_column(BigInteger)
    provider: Mapped[str] = mapped_column(String(300), default="")
    provider_contact: Mapped[dict[str, Any]] = mapped_column(default=dict)
    province: Mapped[str | None] = mapped_column(String(32))
    status: Mapped[str] = mapped_column(String(16), default="published")
    source: Mapped[str] = mapped_column(String(32), default="manual")
    submitted_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    # Plain search words, one line per field (storage.search.text); kept in sync on write.
    search_text: Mapped[str] = mapped_column(Text, default="", server_default="")

    def search_fields(self) -> tuple[Any, ...]:
        return (self.title, self.keywords, self.summary, self.description, self.provider)


class Expert(Timestamped, Base):
    __tablename__ = "experts"

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(32), unique=True)
    name: Mapped[str] = mapped_column(String(200))
    title: Mapped[str] = mapped_column(String(64), default="")  # academic title, "PGS.TS."
    organisation: Mapped[str] = mapped_column(String(300), default="")
    fields: Mapped[list[str]] = mapped_column(default=list)
    sectors: Mapped[list[str]] = mapped_column(default=list)
    bio: Mapped[str] = mapped_column(Text, default="")
    languages: Mapped[list[str]] = mapped_column(default=list)
    foreign: Mapped[bool] = mapped_column(Boolean, default=False)
    province: Mapped[str | None] = mapped_column(String(32))
    country: Mapped[str] = mapped_column(String(64), default="Việt Nam")
    contact: Mapped[dict[str, Any]] = mapped_column(default=dict)
    consent_contact: Mapped[bool] = mapped_column(Boolean, default=False)
    search_text: Mapped[str] = mapped_column(Text, default="", server_default="")
    archived_at: Mapped[datetime | None]  # set: no longer suggested (kept for past matches)

    def search_fields(self) -> tuple[Any, ...]:
        from storage.search.text import sector_words

        return (f"{self.title} {self.name}", self.fields,
                " ".join(sector_words(x) for x in self.sectors or []), self.bio,
                f"{self.organisation} {'' if self.country == 'Việt Nam' else self.country}")


class Event(Timestamped, Base):
    __tablename__ = "events"

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(32), unique=True)
    kind: Mapped[str] = mapped_column(String(32), default="other")
    title: Mapped[str] = mapped_column(String(300))
    description: Mapped[str] = mapped_column(Text, default="")
    starts_at: Mapped[datetime] = mapped_column(index=True)
    ends_at: Mapped[datetime | None]
    venue: Mapped[str | None] = mapped_column(String(300))
    online_url: Mapped[str | None] = mapped_column(String(500))
    province: Mapped[str | None] = mapped_column(String(32))
    sectors: Mapped[list[str]] = mapped_column(default=list)
    organiser: Mapped[str] = mapped_column(String(300), default="")
    registration_deadline: Mapped[datetime | None]
    capacity: Mapped[int | None] = mapped_column(Integer)
    archived_at: Mapped[datetime | None]  # set: withdrawn from listings and registration


class EventRegistration(Base):
    __tablename__ = "event_registrations"
    __table_args__ = (UniqueConstraint("event_id", "user_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    event_id: Mapped[int] = mapped_column(ForeignKey("events.id", ondelete="CASCADE"))
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    note: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    event: Mapped[Event] = relationship(lazy="raise")


class ConnectionPoint(Timestamped, Base):
    __tablename__ = "connection_points"

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(32), unique=True)
    name: Mapped[str] = mapped_column(String(300))
    organisation: Mapped[str] = mapped_column(String(300), default="", server_default="")
    provinces: Mapped[list[str]] = mapped_column(default=list)  # ids; "*" marks a national point
    contact: Mapped[dict[str, Any]] = mapped_column(default=dict)  # phone, email, address

    @property
    def national(self) -> bool:
        return "*" in (self.provinces or [])


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


class AuditEntry(Base):
    """One staff action (status change, approval, takeover, broadcast): who, when, what."""

    __tablename__ = "audit_log"

    id: Mapped[int] = mapped_column(primary_key=True)
    at: Mapped[datetime] = mapped_column(default=utcnow, index=True)
    actor: Mapped[str] = mapped_column(String(160))  # "telegram:123 (Lan)" or "cli"
    action: Mapped[str] = mapped_column(String(32))  # e.g. demand.assign, demand.status
    target: Mapped[str] = mapped_column(String(64))  # e.g. "demand:12"
    details: Mapped[dict[str, Any]] = mapped_column(default=dict)


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


def _refresh_search_text(_mapper: Any, _connection: Any, target: Technology | Expert) -> None:
    """Recompute the stored search words whenever a technology or expert is written."""
    from storage.search.text import search_text

    target.search_text = search_text(target.search_fields())


for _model in (Technology, Expert):
    event.listen(_model, "before_insert", _refresh_search_text)
    event.listen(_model, "before_update", _refresh_search_text)


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
