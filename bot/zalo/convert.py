"""Pure translation between Zalo JSON and the channel contract (`Incoming` / `Outgoing`).

Nothing here talks to the network. Zalo payloads are read defensively: ids may come as numbers,
fields may be missing or of the wrong type; what cannot be answered comes out as None.
"""

from __future__ import annotations

import hashlib
import logging
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, Literal
from urllib.parse import urlsplit

from bot.render import numbered_texts, split_text
from bot.types import Attachment, ContentKind, Incoming, Outgoing

log = logging.getLogger(__name__)

BOT_CHANNEL = "zalo-bot"
OA_CHANNEL = "zalo-oa"
MAX_TEXT = 2000  # both the Bot Platform's sendMessage and the OA's cs text
BUTTON_PREFIX = "#k:"  # an OA query button sends its payload back as text: "#k:<payload>"
IMAGE_SUFFIXES = (".png", ".jpg", ".jpeg", ".gif", ".webp")
BOT_KINDS = {
    "message.text.received": ContentKind.TEXT,
    "message.image.received": ContentKind.PHOTO,
    "message.sticker.received": ContentKind.STICKER,
    "message.voice.received": ContentKind.VOICE,
    "message.unsupported.received": ContentKind.OTHER,
}
OA_MEDIA = {
    "user_send_image": ContentKind.PHOTO, "user_send_gif": ContentKind.PHOTO,
    "user_send_sticker": ContentKind.STICKER, "user_send_audio": ContentKind.VOICE,
    "user_send_video": ContentKind.VIDEO, "user_send_file": ContentKind.DOCUMENT,
    "user_send_location": ContentKind.LOCATION, "user_send_link": ContentKind.OTHER,
    "user_send_business_card": ContentKind.OTHER,
}


def text_id(value: object) -> str:
    """An id as text: Zalo sends strings, but a number is accepted too; anything else is ''."""
    if isinstance(value, bool) or not isinstance(value, str | int):
        return ""
    return str(value).strip()[:128]


def _text(value: object) -> str:
    return value if isinstance(value, str) else ""


def _dict(value: object) -> dict[str, Any]:
    return value if isinstance(value, dict) else {}


def from_millis(value: object) -> datetime:
    try:
        return datetime.fromtimestamp(int(str(value)) / 1000, UTC)
    except (ValueError, OverflowError, OSError):
        return datetime.now(UTC)


def bot_update_id(update: dict[str, Any]) -> str | None:
    """The id of a Bot Platform update: its event and message id (None when it has none)."""
    message_id = text_id(_dict(update.get("message")).get("message_id"))
    return f"{_text(update.get('event_name'))[:60]}:{message_id}" if message_id else None


NO_CHAT = "?"  # the chat key of an update that names no chat (it is not answered)


def chat_key(update: dict[str, Any]) -> str:
    """The chat an update belongs to, for keeping one chat's updates in order."""
    message = _dict(update.get("message"))
    return text_id(_dict(message.get("chat")).get("id")) or text_id(
        _dict(message.get("from")).get("id")) or NO_CHAT


def unwrap(body: object) -> dict[str, Any] | None:
    """The update of a Bot Platform webhook body: wrapped in {"ok", "result"} or bare."""
    if not isinstance(body, dict):
        return None
    result = body.get("result")
    if isinstance(result, dict):
        return result
    return body if "event_name" in body else None


# ---------------------------------------------------------------- Bot Platform, inbound


def bot_update_to_incoming(update: dict[str, Any], bot_name: str = "") -> Incoming | None:
    """One update → Incoming; None for what the bot does not answer (from bots, groups without
    a mention of the bot, unknown events, no chat to answer to)."""
    event = _text(update.get("event_name"))
    kind = BOT_KINDS.get(event)
    message = _dict(update.get("message"))
    if kind is None:
        log.info("zalo-bot: event %r ignored", event[:60])
        return None
    sender, chat = _dict(message.get("from")), _dict(message.get("chat"))
    user_id = text_id(sender.get("id"))
    chat_id = text_id(chat.get("id")) or user_id
    if not chat_id:
        log.info("zalo-bot: %s without a chat or sender id ignored", event)
        return None
    if sender.get("is_bot") is True:
        return None
    text = _text(message.get("text")) or _text(message.get("caption"))
    if _text(chat.get("chat_type")).upper() == "GROUP":
        addressed = _addressed(text, bot_name)
        if addressed is None:
            return None
        text = addressed
    if kind is ContentKind.TEXT and text.lstrip().startswith("/"):
        kind = ContentKind.COMMAND
    return Incoming(
        channel=BOT_CHANNEL, chat_id=chat_id, user_id=user_id or chat_id, text=text,
        user_name=_text(sender.get("display_name")) or None, kind=kind,
        update_id=bot_update_id(update),
        time=from_millis(message.get("date")), numbered=True,
    )


def _addressed(text: str, bot_name: str) -> str | None:
    """The text of a group message that mentions the bot, without the mention; else None."""
    if not bot_name:
        return None
    mention = f"@{bot_name}"
    index = text.lower().find(mention.lower())
    if index < 0:
        return None
    return (text[:index] + text[index + len(mention):]).strip()


# ---------------------------------------------------------------- OA, inbound


@dataclass(frozen=True, slots=True)
class OAEvent:
    """What an OA webhook event asks of the adapter."""

    action: Literal["message", "follow", "unfollow"]
    user_id: str
    incoming: Incoming | None = None  # what goes to the core (a follow's greeting is "/start")
    user_name: str | None = None


def oa_event(body: dict[str, Any], numbered: bool) -> OAEvent | None:
    """One OA event; None (logged) for events the bot does not act on."""
    name = _text(body.get("event_name"))
    stamp = text_id(body.get("timestamp"))
    when = from_millis(body.get("timestamp"))
    if name in ("follow", "unfollow"):
        user = text_id(_dict(body.get("follower")).get("id"))
        if not user:
            return _ignored(name, "no follower id")
        if name == "unfollow":
            return OAEvent("unfollow", user)
        return OAEvent("follow", user, _start(user, event_key("follow", user, stamp), when, numbered))
    if name == "user_click_chatnow":
        user = text_id(body.get("user_id"))
        if not user:
            return _ignored(name, "no user id")
        return OAEvent("message", user, _start(user, event_key("chatnow", user, stamp), when, numbered))
    user = text_id(_dict(body.get("sender")).get("id"))
    if not user:
        return _ignored(name, "no sender id")
    if name == "user_submit_info":
        info = _dict(body.get("info"))
        incoming = Incoming(OA_CHANNEL, user, user, text=_text(info.get("phone")),
                            user_name=_text(info.get("name")) or None, kind=ContentKind.CONTACT,
                            update_id=event_key("submit_info", user, stamp), time=when, numbered=numbered)
        return OAEvent("message", user, incoming)
    message = _dict(body.get("message"))
    msg_id = text_id(message.get("msg_id"))
    if name == "user_send_text":
        return OAEvent("message", user, _text_incoming(user, _text(message.get("text")), msg_id,
                                                       when, numbered))
    if name in OA_MEDIA:
        incoming = Incoming(OA_CHANNEL, user, user, kind=OA_MEDIA[name], time=when,
                            update_id=msg_id or event_key(name[:40], user, stamp), numbered=numbered)
        return OAEvent("message", user, incoming)
    return _ignored(name, "not handled")


def event_id(body: object) -> str:
    """The inbox id of an OA event: its message's id (or the one `oa_event` gives the event),
    else a digest of the body, so the same event delivered again is stored and answered once."""
    from bot.intake import digest_id

    if isinstance(body, dict):
        found = oa_event(body, numbered=False)
        if found is not None and found.incoming is not None and found.incoming.update_id:
            return str(found.incoming.update_id)
        if found is not None and found.action == "unfollow":
            return event_key("unfollow", found.user_id, text_id(body.get("timestamp")))
    return digest_id(body)


def event_key(kind: str, user: str, stamp: str) -> str:
    """The id of an OA event that has no message id: the same event gets the same id, and the
    id does not carry the user's Zalo id (ids outlive an erasure, as processed-update records)."""
    digest = hashlib.sha256(f"{user}:{stamp}".encode("utf-8", "replace")).hexdigest()[:24]
    return f"{kind}:{digest}"


def _text_incoming(user: str, text: str, msg_id: str, when: datetime,
                   numbered: bool) -> Incoming:
    base = dict(channel=OA_CHANNEL, chat_id=user, user_id=user, update_id=msg_id or None,
                time=when, numbered=numbered)
    if text.startswith(BUTTON_PREFIX) and len(text) > len(BUTTON_PREFIX):
        return Incoming(**base, text="", payload=text[len(BUTTON_PREFIX):],  # type: ignore[arg-type]
                        kind=ContentKind.BUTTON)
    kind = ContentKind.COMMAND if text.lstrip().startswith("/") else ContentKind.TEXT
    return Incoming(**base, text=text, kind=kind)  # type: ignore[arg-type]


def _start(user: str, update_id: str, when: datetime, numbered: bool) -> Incoming:
    return Incoming(OA_CHANNEL, user, user, text="/start", kind=ContentKind.COMMAND,
                    update_id=update_id, time=when, numbered=numbered)


def _ignored(name: str, why: str) -> OAEvent | None:
    log.info("zalo-oa: event %r ignored (%s)", name[:60], why)
    return None


# ---------------------------------------------------------------- outbound


@dataclass(frozen=True, slots=True)
class Message:
    """One platform call: a text (with OA query buttons in template mode) or a photo by URL."""

    text: str
    photo_url: str | None = None
    buttons: tuple[tuple[str, str], ...] = ()  # (title, payload) of OA query buttons


def numbered_messages(replies: list[Outgoing], photos: bool) -> list[Message]:
    """An answer as texts with numbered choices, each within 2000 characters; then attachments
    (photos by URL where the channel takes them, otherwise a link)."""
    return [message for _, message in numbered_plan(replies, photos)]


def numbered_plan(replies: list[Outgoing], photos: bool) -> list[tuple[int, Message]]:
    """`numbered_messages`, each part with the index of the reply it belongs to (a reply is
    delivered when all its parts are)."""
    texts = iter(numbered_texts(replies, hint=True))
    out: list[tuple[int, Message]] = []
    for index, reply in enumerate(replies):
        if reply.text.strip() or reply.link or reply.buttons:  # the replies numbered_texts keeps
            out += [(index, Message(part)) for part in split_text(next(texts), MAX_TEXT)]
    return out + [(index, attachment_message(a, photos)) for index, reply in enumerate(replies)
                  for a in reply.attachments]


def template_messages(replies: list[Outgoing]) -> list[Message]:
    """An answer for an OA with query buttons: each reply's buttons on its last part."""
    return [message for _, message in template_plan(replies)]


def template_plan(replies: list[Outgoing]) -> list[tuple[int, Message]]:
    """`template_messages`, each part with the index of its reply."""
    out: list[tuple[int, Message]] = []
    for index, reply in enumerate(replies):
        text = "\n".join(x for x in (reply.text.strip(), reply.link or "") if x)
        parts = split_text(text or "Mời anh/chị chọn:", MAX_TEXT)
        buttons = tuple((b.label, BUTTON_PREFIX + b.payload) for b in reply.buttons)
        out += [(index, Message(p)) for p in parts[:-1]]
        out.append((index, Message(parts[-1], buttons=buttons)))
        out += [(index, attachment_message(a, photos=False)) for a in reply.attachments]
    return out


def attachment_message(attachment: Attachment, photos: bool) -> Message:
    url = attachment.url or ""
    if photos and _is_image_url(attachment, url):
        return Message(attachment.filename, photo_url=url)
    if url:
        return Message(f"📎 {attachment.filename}: {url}")
    return Message(f"📎 {attachment.filename} (tệp này chưa gửi được qua Zalo ạ)")


def _is_image_url(attachment: Attachment, url: str) -> bool:
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.netloc:
        return False
    return attachment.kind == "photo" or parts.path.lower().endswith(IMAGE_SUFFIXES)
