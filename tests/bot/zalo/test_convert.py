"""Zalo JSON → Incoming and Outgoing → Zalo messages, on plain dicts (no network)."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest

from bot.render import numbered_texts, split_text
from bot.types import Attachment, Button, ContentKind, Outgoing
from bot.zalo.convert import (
    BUTTON_PREFIX,
    bot_update_to_incoming,
    numbered_messages,
    oa_event,
    template_messages,
    unwrap,
)


def update(text: Any = "xin chào", event: str = "message.text.received", **message: Any
           ) -> dict[str, Any]:
    body: dict[str, Any] = {"message_id": "a1b2", "from": {"id": "u9f", "display_name": "Lan",
                                                           "is_bot": False},
                            "chat": {"id": "c7e", "chat_type": "PRIVATE"},
                            "date": 1764460800000, "text": text}
    body.update(message)
    return {"event_name": event, "message": body}


def test_text_message_becomes_incoming_with_dedupe_key_and_time() -> None:
    incoming = bot_update_to_incoming(update())
    assert incoming is not None
    assert (incoming.channel, incoming.chat_id, incoming.user_id) == ("zalo-bot", "c7e", "u9f")
    assert (incoming.text, incoming.kind, incoming.user_name) == ("xin chào", ContentKind.TEXT, "Lan")
    assert incoming.update_id == "message.text.received:a1b2"
    assert incoming.time == datetime(2025, 11, 30, tzinfo=UTC)  # date is in milliseconds
    assert incoming.numbered


@pytest.mark.parametrize(("event", "kind"), [
    ("message.image.received", ContentKind.PHOTO),
    ("message.sticker.received", ContentKind.STICKER),
    ("message.voice.received", ContentKind.VOICE),
    ("message.unsupported.received", ContentKind.OTHER),
])
def test_non_text_events_reach_the_core_as_their_kind(event: str, kind: ContentKind) -> None:
    incoming = bot_update_to_incoming(update(None, event, photo="https://x/y.jpg"))
    assert incoming is not None and incoming.kind is kind


def test_commands_ids_as_numbers_and_wrong_types() -> None:
    assert bot_update_to_incoming(update("/start")).kind is ContentKind.COMMAND  # type: ignore[union-attr]
    numeric = update(chat={"id": 123, "chat_type": "PRIVATE"}, message_id=77)
    numeric["message"]["from"]["id"] = 456
    incoming = bot_update_to_incoming(numeric)
    assert incoming is not None and (incoming.chat_id, incoming.user_id) == ("123", "456")
    assert incoming.update_id == "message.text.received:77"
    odd = bot_update_to_incoming(update({"not": "text"}, date="yesterday"))
    assert odd is not None and odd.text == ""  # the core answers "no content" politely


@pytest.mark.parametrize("body", [
    {"event_name": "message.text.received"},  # no message at all
    {"event_name": "message.text.received", "message": "oops"},
    {"event_name": "message.text.received", "message": {"text": "hi"}},  # no chat, no sender
    {"event_name": "message.reaction.received", "message": {"chat": {"id": "c"}}},  # unknown
    {"event_name": 42},
])
def test_unanswerable_updates_are_none(body: dict[str, Any]) -> None:
    assert bot_update_to_incoming(body) is None


def test_bots_are_ignored_and_groups_need_a_mention() -> None:
    from_bot = update()
    from_bot["message"]["from"]["is_bot"] = True
    assert bot_update_to_incoming(from_bot) is None
    group = update("chào cả nhà", chat={"id": "g1", "chat_type": "GROUP"})
    assert bot_update_to_incoming(group, "KetNoiBot") is None
    asked = update("@KetNoiBot có hội chợ nào không", chat={"id": "g1", "chat_type": "GROUP"})
    incoming = bot_update_to_incoming(asked, "KetNoiBot")
    assert incoming is not None and incoming.text == "có hội chợ nào không"
    assert incoming.chat_id == "g1"


def test_webhook_body_wrapped_or_bare() -> None:
    bare = update()
    assert unwrap({"ok": True, "result": bare}) == bare
    assert unwrap(bare) == bare
    assert unwrap({"ok": True}) is None and unwrap([bare]) is None


def test_numbered_rendering_continues_numbers_across_replies() -> None:
    replies = [Outgoing("Chọn loại:", (Button("Xác nhận", "f:ok"), Button("Sửa", "f:edit"))),
               Outgoing("Hoặc:", (Button("Hủy", "f:cancel"),), link="https://ketnoi.vn")]
    first, second = numbered_texts(replies, hint=True)
    assert first == "Chọn loại:\n1. Xác nhận\n2. Sửa"
    assert second.startswith("Hoặc:\nhttps://ketnoi.vn\n3. Hủy\n")
    assert "nhắn số" in second


def test_replies_over_2000_characters_are_split_at_line_boundaries() -> None:
    lines = [f"Dòng {i}: công nghệ sấy vải thiều bằng bơm nhiệt" for i in range(100)]
    parts = numbered_messages([Outgoing("\n".join(lines))], photos=True)
    assert len(parts) >= 2 and all(len(p.text) <= 2000 for p in parts)
    assert "\n".join(p.text for p in parts) == "\n".join(lines)  # nothing lost or cut mid-line
    assert all(p.text.split("\n")[0].startswith("Dòng") for p in parts)
    assert split_text("x" * 4500, 2000) == ["x" * 2000, "x" * 2000, "x" * 500]


def test_attachments_photo_by_url_otherwise_a_link() -> None:
    chart = Attachment("photo", "bieu-do.png", url="https://ketnoi.vn/f/abc/bieu-do.png")
    sheet = Attachment("document", "bao-cao.xlsx", url="https://ketnoi.vn/f/abc/bao-cao.xlsx")
    local = Attachment("document", "bao-cao.xlsx", data=b"...")
    parts = numbered_messages([Outgoing("Báo cáo năm", attachments=(chart, sheet, local))],
                              photos=True)
    assert parts[1].photo_url == chart.url
    assert parts[2].photo_url is None and sheet.url in parts[2].text  # type: ignore[operator]
    assert "bao-cao.xlsx" in parts[3].text and parts[3].photo_url is None
    oa_parts = numbered_messages([Outgoing("Báo cáo", attachments=(chart,))], photos=False)
    assert oa_parts[1].photo_url is None and chart.url in oa_parts[1].text  # type: ignore[operator]


def test_template_rendering_puts_prefixed_payloads_on_the_last_part() -> None:
    [part] = template_messages([Outgoing("Xác nhận nhu cầu?", (Button("Xác nhận", "f:ok"),))])
    assert part.buttons == (("Xác nhận", BUTTON_PREFIX + "f:ok"),)


def oa_body(name: str, **fields: Any) -> dict[str, Any]:
    return {"app_id": "1", "event_name": name, "timestamp": "1764460800000", **fields}


def test_oa_text_button_and_media_events() -> None:
    text = oa_event(oa_body("user_send_text", sender={"id": "u1"},
                            message={"text": "cần máy sấy", "msg_id": "m1"}), numbered=True)
    assert text is not None and text.incoming is not None
    assert (text.incoming.text, text.incoming.update_id, text.incoming.numbered) == (
        "cần máy sấy", "m1", True)
    pressed = oa_event(oa_body("user_send_text", sender={"id": "u1"},
                               message={"text": "#k:f:ok", "msg_id": "m2"}), numbered=False)
    assert pressed is not None and pressed.incoming is not None
    assert (pressed.incoming.kind, pressed.incoming.payload) == (ContentKind.BUTTON, "f:ok")
    sticker = oa_event(oa_body("user_send_sticker", sender={"id": "u1"},
                               message={"msg_id": "m3"}), numbered=True)
    assert sticker is not None and sticker.incoming.kind is ContentKind.STICKER  # type: ignore[union-attr]


def test_oa_follow_unfollow_info_chatnow() -> None:
    follow = oa_event(oa_body("follow", follower={"id": "u2"}), numbered=True)
    assert follow is not None and follow.action == "follow"
    assert follow.incoming is not None and follow.incoming.text == "/start"
    assert oa_event(oa_body("unfollow", follower={"id": "u2"}), True).action == "unfollow"  # type: ignore[union-attr]
    info = oa_event(oa_body("user_submit_info", sender={"id": "u2"},
                            info={"name": "Lan", "phone": "0912345678"}), True)
    assert info is not None and info.incoming is not None
    assert (info.incoming.kind, info.incoming.text) == (ContentKind.CONTACT, "0912345678")
    chat = oa_event(oa_body("user_click_chatnow", user_id="u2"), True)
    assert chat is not None and chat.incoming.text == "/start"  # type: ignore[union-attr]


@pytest.mark.parametrize("body", [
    oa_body("oa_send_text", sender={"id": "oa"}, message={"text": "x", "msg_id": "1"}),
    oa_body("user_seen_message", sender={"id": "u"}),
    oa_body("user_send_text"),  # no sender
    oa_body("follow"),  # no follower
    oa_body("user_click_chatnow"),
])
def test_oa_events_not_acted_on_are_none(body: dict[str, Any]) -> None:
    assert oa_event(body, numbered=True) is None


def test_oa_event_ids_are_stable_and_carry_no_zalo_user_id() -> None:
    """Ids of events without a message id outlive an erasure (processed-update records), so
    they name no user; the same event delivered again gets the same id (answered once)."""
    from bot.zalo.convert import event_id

    stamp = "1764000000000"
    events = [
        {"event_name": "follow", "timestamp": stamp, "follower": {"id": "8471001234"}},
        {"event_name": "unfollow", "timestamp": stamp, "follower": {"id": "8471001234"}},
        {"event_name": "user_click_chatnow", "timestamp": stamp, "user_id": "8471001234"},
        {"event_name": "user_submit_info", "timestamp": stamp, "sender": {"id": "8471001234"},
         "info": {"name": "Lan", "phone": "0912345678"}},
        {"event_name": "user_send_sticker", "timestamp": stamp, "sender": {"id": "8471001234"},
         "message": {}},
    ]
    ids = [event_id(event) for event in events]
    assert all("8471001234" not in i for i in ids), ids
    assert len(set(ids)) == len(ids)
    assert ids == [event_id(dict(event)) for event in events]
