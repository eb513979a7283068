"""The declarative base, its naming convention and the value sets shared by the models."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import MetaData
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

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
