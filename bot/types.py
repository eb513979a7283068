"""The channel contract: every adapter turns its events into `Incoming` and renders `Outgoing`.

Handlers see only these two shapes, never a channel library (think of httpx's transport seam).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime
from enum import StrEnum
from typing import Any, Literal, Protocol


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
    # The channel shows choices as numbered lines (`bot.render`): a bare "2" picks the second.
    numbered: bool = False
    # A shared contact card's own account on the channel (Telegram gives it when the person
    # uses Telegram): lets an admin add a colleague by sharing their contact.
    shared_user_id: str | None = None
    # The text of the message this one replies to (Telegram's reply/quote), when there is one.
    quoted: str | None = None


@dataclass(frozen=True, slots=True)
class Attachment:
    """A file sent with a message: a chart as a photo, a spreadsheet as a document.

    Channels that cannot upload files (the Zalo Bot Platform sends photos by URL only) show `url`
    as a link instead; the console prints the file name.
    """

    kind: Literal["photo", "document"]
    filename: str
    data: bytes = b""
    url: str | None = None  # a short-lived link to the same file, for channels without uploads


@dataclass(frozen=True, slots=True)
class Outgoing:
    text: str
    buttons: tuple[Button, ...] = ()
    link: str | None = None  # an optional URL shown with the message
    # A hint for channels that can ask for the user's phone natively (Telegram's contact button).
    request_contact: bool = False
    attachments: tuple[Attachment, ...] = ()
    # The outbox row this reply is stored as, when it is one (set by the core for delivery, so
    # a sender can tell a reply sent already from a new one); no part of the message itself.
    ref: int | None = field(default=None, compare=False, repr=False)


SendStatus = Literal["sent", "retry", "blocked", "failed"]


@dataclass(frozen=True, slots=True)
class SendResult:
    """What one attempt to deliver an `Outgoing` to one recipient came to.

    sent: delivered (`message_id` when the platform gives one); retry: try again after
    `retry_after` seconds (rate limit, network, 5xx); blocked: the user blocked the bot or left,
    stop sending to them; failed: will not succeed as it is (`reason` says why, for reports).
    `later`: with retry, only this message waits that many seconds (the recipient's hours or
    daily quota), not the whole bot token, and the wait is not a failed attempt.
    `recorded`: sent and already recorded as sent in the outbox by whoever sent it (the reply
    sender process), so the caller need not record it again.
    """

    status: SendStatus
    message_id: str | None = None
    retry_after: float | None = None
    reason: str | None = None
    later: float | None = None
    recorded: bool = False


class ChannelSender(Protocol):
    """One per channel: delivers a message to a recipient of that channel. Retries, pacing and
    reporting live once, above it (the outbox sender), not in each channel."""

    channel: str

    async def send(self, recipient: str, message: Outgoing) -> SendResult: ...


def outgoing_to_dict(message: Outgoing) -> dict[str, object]:
    """A JSON-ready copy of `message`, as stored in the outbox (files as base64)."""
    import base64

    return {
        "text": message.text,
        "buttons": [[b.label, b.payload] for b in message.buttons],
        "link": message.link,
        "request_contact": message.request_contact,
        "attachments": [
            {"kind": a.kind, "filename": a.filename, "url": a.url,
             "data": base64.b64encode(a.data).decode("ascii")}
            for a in message.attachments
        ],
    }


def outgoing_from_dict(data: dict[str, Any]) -> Outgoing:
    """The `Outgoing` stored by `outgoing_to_dict` (unknown keys are ignored)."""
    import base64

    buttons = data.get("buttons") or []
    attachments = data.get("attachments") or []
    return Outgoing(
        text=str(data.get("text") or ""),
        buttons=tuple(Button(str(b[0]), str(b[1])) for b in buttons),
        link=data.get("link") or None,
        request_contact=bool(data.get("request_contact")),
        attachments=tuple(
            Attachment(kind=a["kind"], filename=a["filename"], url=a.get("url"),
                       data=base64.b64decode(a.get("data") or ""))
            for a in attachments
        ),
    )
