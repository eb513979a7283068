"""The catalog: technologies, experts, events (and registrations), connection points."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import (
    BigInteger,
    Boolean,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    UniqueConstraint,
    event,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from storage.models.base import Base, Timestamped
from storage.sqltypes import utcnow


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


def _refresh_search_text(_mapper: Any, _connection: Any, target: Technology | Expert) -> None:
    """Recompute the stored search words whenever a technology or expert is written."""
    from storage.search.text import search_text

    target.search_text = search_text(target.search_fields())


for _model in (Technology, Expert):
    event.listen(_model, "before_insert", _refresh_search_text)
    event.listen(_model, "before_update", _refresh_search_text)
