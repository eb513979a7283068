"""Pure translation between Telegram objects and the channel contract (`Incoming` / `Outgoing`).

Nothing here talks to the network, so every rule (commands, deep links, button ids, splitting)
is testable on plain PTB objects.
"""

from __future__ import annotations

import hashlib
import re
from collections import OrderedDict
from dataclasses import dataclass, replace
from datetime import UTC, datetime

from telegram import (
    CallbackQuery,
    InlineKeyboardButton,
    InlineKeyboardMarkup,
    KeyboardButton,
    Message,
    MessageEntity,
    ReplyKeyboardMarkup,
    ReplyKeyboardRemove,
    Update,
)

from bot.render import split_text as render_split
from bot.types import Attachment, Button, ContentKind, Incoming, Outgoing

CHANNEL = "telegram"
MAX_TEXT_UNITS = 4096  # Telegram counts message length in UTF-16 code units
MAX_CALLBACK_BYTES = 64
LONG_PAYLOAD_PREFIX = "~"  # callback_data starting with this is a short id for a long payload
SHARE_PHONE_LABEL = "📱 Chia sẻ số điện thoại của tôi"
EMPTY_TEXT_WITH_BUTTONS = "Mời anh/chị chọn:"

Markup = InlineKeyboardMarkup | ReplyKeyboardMarkup | ReplyKeyboardRemove


class PayloadRegistry:
    """Maps button payloads longer than Telegram's 64-byte callback_data to short stable ids.

    Ids are a hash of the payload, so the same payload always gets the same id; the reverse map is
    kept in memory (bounded). The channel keeps new pairs in the database before sending them
    (`take_fresh`) and looks an id unknown here up there (`learn`), so every process of the bot
    resolves it, also after a restart. An id known nowhere resolves to None and the adapter falls
    back to the button's label as text, never to a truncated payload.
    """

    def __init__(self, capacity: int = 10_000) -> None:
        self._capacity = capacity
        self._by_id: OrderedDict[str, str] = OrderedDict()
        self._fresh: dict[str, str] = {}  # encoded here, not yet kept in the database

    def encode(self, payload: str) -> str:
        raw = payload.encode("utf-8")
        if 0 < len(raw) <= MAX_CALLBACK_BYTES and not payload.startswith(LONG_PAYLOAD_PREFIX):
            return payload
        short = LONG_PAYLOAD_PREFIX + hashlib.sha256(raw).hexdigest()[:24]
        if short not in self._by_id:
            self._fresh[short] = payload
        self._by_id[short] = payload
        self._by_id.move_to_end(short)
        while len(self._by_id) > self._capacity:
            self._by_id.popitem(last=False)
        return short

    def decode(self, data: str) -> str | None:
        if data.startswith(LONG_PAYLOAD_PREFIX):
            return self._by_id.get(data)
        return data

    def unknown(self, data: str | None) -> bool:
        """A short id this process has not seen (look it up before decoding)."""
        return bool(data) and data.startswith(LONG_PAYLOAD_PREFIX) and data not in self._by_id  # type: ignore[union-attr]

    def learn(self, short: str, payload: str) -> None:
        self._by_id[short] = payload
        while len(self._by_id) > self._capacity:
            self._by_id.popitem(last=False)

    def take_fresh(self) -> dict[str, str]:
        """The pairs encoded since the last call (to be kept where other processes see them)."""
        fresh, self._fresh = self._fresh, {}
        return fresh

    def give_back(self, pairs: dict[str, str]) -> None:
        """Pairs that could not be kept: try again with the next reply."""
        self._fresh.update(pairs)


@dataclass(frozen=True, slots=True)
class Chunk:
    """One Bot API call: a sendMessage (text within the length limit and an optional keyboard),
    or a sendPhoto / sendDocument when `attachment` is set."""

    text: str
    markup: Markup | None = None
    attachment: Attachment | None = None


# ---------------------------------------------------------------- inbound


def update_to_incoming(
    update: Update,
    registry: PayloadRegistry,
    reply_labels: dict[str, str] | None = None,
    *,
    bot_username: str | None = None,
) -> Incoming | None:
    """Translate one update; None for updates the bot does not answer (edits, channel posts...).

    `reply_labels` maps the labels of a reply keyboard currently shown in this chat to payloads,
    so pressing such a button arrives as a button press rather than free text. In a group,
    "@bot_username" is taken out of the text (it only says who is addressed).
    """
    if update.callback_query is not None:
        return _callback_to_incoming(update, update.callback_query, registry)
    message = update.message
    if message is None or message.from_user is None:
        return None
    base = Incoming(
        channel=CHANNEL,
        chat_id=str(message.chat.id),
        user_id=str(message.from_user.id),
        user_name=message.from_user.full_name or None,
        update_id=str(update.update_id),
        time=_aware(message.date),
        quoted=_quoted(message),
    )
    if message.text is not None:
        text = message.text
        if message.chat.type != "private" and bot_username:
            text = _without_mention(text, bot_username)
        if reply_labels and text in reply_labels:
            return replace(base, text=text, payload=reply_labels[text], kind=ContentKind.BUTTON)
        command = _command_line(message)
        if command is not None:
            return replace(base, text=command, kind=ContentKind.COMMAND)
        return replace(base, text=text, kind=ContentKind.TEXT)
    kind, text = _content_of(message)
    shared = message.contact.user_id if message.contact is not None else None
    return replace(base, text=text, kind=kind, shared_user_id=str(shared) if shared else None)


def _callback_to_incoming(
    update: Update, query: CallbackQuery, registry: PayloadRegistry
) -> Incoming:
    message = query.message
    chat_id = str(message.chat.id) if message is not None else str(query.from_user.id)
    data = query.data or ""
    label = _label_for(query, data)
    payload = registry.decode(data) if data else None
    base = Incoming(
        channel=CHANNEL,
        chat_id=chat_id,
        user_id=str(query.from_user.id),
        user_name=query.from_user.full_name or None,
        update_id=str(update.update_id),
        text=label,
    )
    if payload is None:
        # An expired long-payload id: the label is the best description of what the user wants.
        return replace(base, kind=ContentKind.TEXT)
    return replace(base, payload=payload, kind=ContentKind.BUTTON)


def _label_for(query: CallbackQuery, data: str) -> str:
    """The text of the pressed button, read back from the message's keyboard."""
    message = query.message
    markup = getattr(message, "reply_markup", None) if message is not None else None
    if isinstance(markup, InlineKeyboardMarkup):
        for row in markup.inline_keyboard:
            for button in row:
                if button.callback_data == data:
                    return button.text
    return ""


def addressed_to_bot(update: Update, bot_username: str | None, bot_id: int | None) -> bool:
    """In a group: a command, an @mention of the bot, or a reply to one of its messages."""
    message = update.message
    if message is None:
        return False
    replied = message.reply_to_message
    if replied is not None and replied.from_user is not None and replied.from_user.id == bot_id:
        return True
    text = message.text or message.caption or ""
    for entity in message.entities or message.caption_entities or ():
        word = text[entity.offset : entity.offset + entity.length]
        if entity.type == MessageEntity.BOT_COMMAND and (
            "@" not in word
            or (bot_username is not None and word.split("@", 1)[1].lower() == bot_username.lower())
        ):
            return True
        if entity.type == MessageEntity.MENTION and bot_username is not None and (
            word.lower() == f"@{bot_username.lower()}"
        ):
            return True
    return False


def _without_mention(text: str, bot_username: str) -> str:
    cleaned = re.sub(rf"@{re.escape(bot_username)}\b", " ", text, flags=re.IGNORECASE)
    return " ".join(cleaned.split()) if cleaned != text else text


def _command_line(message: Message) -> str | None:
    """'/start@KetNoiBot event_X' → '/start event_X'; None when the text is not a command."""
    text = message.text or ""
    entities = message.entities or ()
    first = next((e for e in entities if e.offset == 0), None)
    if first is None or first.type != MessageEntity.BOT_COMMAND:
        return None
    command = text[: first.length].split("@", 1)[0].lower()
    rest = text[first.length :].strip()
    return f"{command} {rest}" if rest else command


def _content_of(message: Message) -> tuple[ContentKind, str]:
    caption = message.caption or ""
    if message.contact is not None:
        return ContentKind.CONTACT, message.contact.phone_number
    if message.sticker is not None:
        return ContentKind.STICKER, ""
    kinds: tuple[tuple[object, ContentKind], ...] = (
        (message.photo, ContentKind.PHOTO),
        (message.voice, ContentKind.VOICE),
        (message.audio, ContentKind.AUDIO),
        (message.video or message.video_note or message.animation, ContentKind.VIDEO),
        (message.document, ContentKind.DOCUMENT),
        (message.location or message.venue, ContentKind.LOCATION),
    )
    for present, kind in kinds:
        if present:
            return kind, caption
    return ContentKind.OTHER, caption


def _aware(moment: datetime | None) -> datetime:
    if moment is None:
        return datetime.now(UTC)
    return moment if moment.tzinfo is not None else moment.replace(tzinfo=UTC)


# ---------------------------------------------------------------- outbound


def render(outgoing: Outgoing, registry: PayloadRegistry) -> list[Chunk]:
    """One Outgoing → one or more messages (the keyboard on the last text), then its files."""
    files = [Chunk("", attachment=a) for a in outgoing.attachments]
    text = outgoing.text.strip()
    if outgoing.link:
        text = f"{text}\n{outgoing.link}" if text else outgoing.link
    markup = _markup(outgoing, registry)
    if not text:
        if markup is None:
            return files
        text = EMPTY_TEXT_WITH_BUTTONS
    parts = split_text(text)
    chunks = [Chunk(part) for part in parts[:-1]]
    chunks.append(Chunk(parts[-1], markup))
    return chunks + files


def reply_keyboard_labels(outgoing: Outgoing) -> dict[str, str]:
    """Labels of the text buttons shown next to the share-phone button, mapped to payloads."""
    if not outgoing.request_contact:
        return {}
    return {button.label: button.payload for button in outgoing.buttons}


def _markup(outgoing: Outgoing, registry: PayloadRegistry) -> Markup | None:
    if outgoing.request_contact:
        # A message has one keyboard: the phone button and the choices share a reply keyboard.
        rows = [[KeyboardButton(SHARE_PHONE_LABEL, request_contact=True)]]
        rows += [[KeyboardButton(b.label)] for b in outgoing.buttons]
        return ReplyKeyboardMarkup(rows, resize_keyboard=True, one_time_keyboard=True)
    if not outgoing.buttons:
        return None
    return InlineKeyboardMarkup(_rows(outgoing.buttons, registry))


def _rows(
    buttons: tuple[Button, ...], registry: PayloadRegistry
) -> list[list[InlineKeyboardButton]]:
    """Short labels two to a row, long ones alone, so Vietnamese labels are not cut on phones."""
    rows: list[list[InlineKeyboardButton]] = []
    for button in buttons:
        key = InlineKeyboardButton(button.label, callback_data=registry.encode(button.payload))
        last = rows[-1] if rows else None
        if last is not None and len(last) == 1 and _short(last[0].text) and _short(button.label):
            last.append(key)
        else:
            rows.append([key])
    return rows


def _short(label: str) -> bool:
    return len(label) <= 16


def _units(text: str) -> int:
    return len(text.encode("utf-16-le")) // 2


def split_text(text: str, limit: int = MAX_TEXT_UNITS) -> list[str]:
    """Split at line boundaries so every part fits Telegram's limit (counted in UTF-16 units)."""
    return render_split(text, limit, _units)


def _quoted(message: Message) -> str | None:
    """The text of the message replied to (staff quote a relayed message to answer its user)."""
    quoted = message.reply_to_message
    return (quoted.text or quoted.caption or None) if quoted is not None else None
