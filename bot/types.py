"""The channel contract: every adapter turns its events into `Incoming` and renders `Outgoing`.

Handlers see only these two shapes, never a channel library (think of httpx's transport seam).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime
from enum import StrEnum


class ContentKind(StrEnum):
    """What a message carried besides (or instead of) text."""

    TEXT = "text"
    BUTTON = "button"  # a button press (payload set)
    COMMAND = "command"  # /start, /help ... (text holds the command line)
    CONTACT = "contact"  # a shared phone number (text holds the number)
    STICKER = "sticker"
    PHOTO = "photo"
    VOICE = "voice"
    AUDIO = "audio"
    VIDEO = "video"
    DOCUMENT = "document"
    LOCATION = "location"
    OTHER = "other"


@dataclass(frozen=True, slots=True)
class Button:
    """A choice offered to the user: a Vietnamese label and a short ASCII payload (≤ 64 bytes)."""

    label: str
    payload: str


@dataclass(frozen=True, slots=True)
class Incoming:
    channel: str  # "console" | "telegram" | "zalo" | ...
    chat_id: str
    user_id: str
    text: str = ""
    user_name: str | None = None
    payload: str | None = None  # button payload when kind is BUTTON
    kind: ContentKind = ContentKind.TEXT
    update_id: str | None = None  # channel's id of this event, for exactly-once handling
    time: datetime = field(default_factory=lambda: datetime.now(UTC))


@dataclass(frozen=True, slots=True)
class Outgoing:
    text: str
    buttons: tuple[Button, ...] = ()
    link: str | None = None  # an optional URL shown with the message
    # A hint for channels that can ask for the user's phone natively (Telegram's contact button).
    request_contact: bool = False
