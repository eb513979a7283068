"""ORM models (SQLAlchemy 2.x, typed). Sector and province columns hold taxonomy ids.

Lists (keywords, sectors, ...) and small records (contacts) are JSON columns, JSONB on PostgreSQL.
Every datetime is timezone-aware and stored in UTC; events are shown in Asia/Ho_Chi_Minh.
"""

# The models live in one module per room; importing this package registers them all.
from storage.models.base import (
    DEMAND_OUTCOMES,
    DEMAND_STATUSES,
    EVENT_KINDS,
    NAMING,
    ROLES,
    STAGES,
    TECH_STATUSES,
    TRANSFER_MODES,
    Base,
    Timestamped,
)
from storage.models.catalog import ConnectionPoint, Event, EventRegistration, Expert, Technology
from storage.models.delivery import (
    BROADCAST_STATUSES,
    OUTBOX_STATUSES,
    Broadcast,
    ChannelToken,
    OutboxMessage,
    SenderLease,
)
from storage.models.demands import (
    HANDOFF_STATUSES,
    INTRODUCTION_STATUSES,
    Demand,
    DemandStatusChange,
    Handoff,
    Introduction,
    OfferQuestion,
)
from storage.models.dialogue import (
    ButtonPayload,
    ConversationState,
    InboxUpdate,
    MessageLog,
    ProcessedUpdate,
)
from storage.models.staff import STAFF_ROLES, AuditEntry, Staff, StaffInvite, WebLogin
from storage.models.users import Subscription, User

__all__ = [
    "NAMING",
    "ROLES",
    "STAGES",
    "TRANSFER_MODES",
    "TECH_STATUSES",
    "EVENT_KINDS",
    "DEMAND_STATUSES",
    "DEMAND_OUTCOMES",
    "Base",
    "Timestamped",
    "User",
    "Subscription",
    "Technology",
    "Expert",
    "Event",
    "EventRegistration",
    "ConnectionPoint",
    "STAFF_ROLES",
    "Staff",
    "StaffInvite",
    "WebLogin",
    "AuditEntry",
    "Demand",
    "DemandStatusChange",
    "INTRODUCTION_STATUSES",
    "Introduction",
    "OfferQuestion",
    "HANDOFF_STATUSES",
    "Handoff",
    "ConversationState",
    "ProcessedUpdate",
    "InboxUpdate",
    "ButtonPayload",
    "MessageLog",
    "OUTBOX_STATUSES",
    "BROADCAST_STATUSES",
    "Broadcast",
    "OutboxMessage",
    "SenderLease",
    "ChannelToken",
]
