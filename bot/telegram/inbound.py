"""Which Telegram updates the bot takes in, checked before PTB builds its objects.

Telegram's own updates always fit; anything else that reaches a webhook or a getUpdates answer
(a proxy's garbage, a forged or truncated body, a field of the wrong type) must neither stop the
polling loop nor crash deep inside a handler. `read_update` checks the fields the adapter relies
on, with their types, and returns a `Reading`: the PTB `Update` to handle, or why it is skipped.
Unknown fields and unknown kinds of content are allowed (Telegram adds them every few months).
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, ValidationError
from telegram import Bot, Update

log = logging.getLogger(__name__)

MAX_UPDATE_ID = 2**53  # Telegram's ids fit a double; anything beyond is not from Telegram
MAX_DATE = 2**33  # seconds since 1970 (year 2242): later dates do not fit a datetime everywhere
KINDS = ("message", "callback_query", "my_chat_member")  # what the bot asks Telegram for


class _Shape(BaseModel):
    model_config = ConfigDict(strict=True, extra="allow", populate_by_name=True)


class _User(_Shape):
    id: int
    is_bot: bool = False
    first_name: str = ""
    last_name: str | None = None
    username: str | None = None


class _Chat(_Shape):
    id: int
    type: str


class _Entity(_Shape):
    type: str
    offset: int = Field(ge=0)
    length: int = Field(ge=0)


class _Contact(_Shape):
    phone_number: str


class _Message(_Shape):
    message_id: int
    date: int = Field(ge=0, le=MAX_DATE)
    chat: _Chat
    from_user: _User | None = Field(None, alias="from")
    text: str | None = None
    caption: str | None = None
    entities: list[_Entity] | None = None
    contact: _Contact | None = None
    reply_to_message: _Message | None = None


class _Callback(_Shape):
    id: str
    from_user: _User = Field(alias="from")
    data: str | None = None
    message: _Message | None = None


class _Member(_Shape):
    status: str


class _MembershipChange(_Shape):
    chat: _Chat
    from_user: _User = Field(alias="from")
    date: int = Field(ge=0, le=MAX_DATE)
    new_chat_member: _Member


class _Update(_Shape):
    update_id: int = Field(ge=0, le=MAX_UPDATE_ID)
    message: _Message | None = None
    callback_query: _Callback | None = None
    my_chat_member: _MembershipChange | None = None


@dataclass(frozen=True, slots=True)
class Reading:
    """The outcome for one raw update: `update` to handle, or `reason` it was skipped.

    `fits` is False for a body that is not a Telegram update at all (the webhook answers 400);
    a well-formed update the bot has nothing to do with (an edited message) fits and is skipped.
    """

    update_id: object
    update: Update | None = None
    reason: str = ""
    fits: bool = True


def update_id_of(data: object) -> object:
    """The update's id as sent (for logs), whatever its type."""
    return data.get("update_id") if isinstance(data, dict) else None


def read_update(data: object, bot: Bot) -> Reading:
    """Check one raw update (decoded JSON) and build the PTB Update; never raises."""
    update_id = update_id_of(data)
    if not isinstance(data, dict):
        return Reading(update_id, reason="an update is a JSON object", fits=False)
    try:
        _Update.model_validate(data)
    except ValidationError as error:
        return Reading(update_id, reason=_first_problem(error), fits=False)
    if not any(data.get(kind) is not None for kind in KINDS):
        return Reading(update_id, reason="no message, button press or membership change")
    try:
        update = Update.de_json(data, bot)
    except Exception as error:  # PTB's constructors reject fields we do not check ourselves
        return Reading(update_id, reason=f"{type(error).__name__}: {error}"[:300], fits=False)
    if update is None:
        return Reading(update_id, reason="empty update", fits=False)
    return Reading(update_id, update)


def log_skipped(reading: Reading, source: str) -> None:
    """One line per skipped update, with its id, so an operator can find it in Telegram's logs."""
    level = logging.WARNING if not reading.fits else logging.INFO
    log.log(level, "telegram %s: update %r skipped: %s", source, reading.update_id, reading.reason)


def _first_problem(error: ValidationError) -> str:
    problems = error.errors(include_url=False, include_input=False)
    first: dict[str, Any] = dict(problems[0]) if problems else {}
    where = ".".join(str(part) for part in first.get("loc", ())) or "update"
    more = f" (+{len(problems) - 1} more)" if len(problems) > 1 else ""
    return f"{where}: {first.get('msg', 'invalid')}{more}"
