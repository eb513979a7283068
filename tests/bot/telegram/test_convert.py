"""Translation rules between Telegram objects and the channel contract (no network)."""

from __future__ import annotations

from typing import Any

from telegram import InlineKeyboardMarkup, ReplyKeyboardMarkup, Update

from bot.telegram.convert import (
    MAX_CALLBACK_BYTES,
    PayloadRegistry,
    render,
    split_text,
    update_to_incoming,
)
from bot.types import Button, ContentKind, Outgoing


def units(text: str) -> int:
    return len(text.encode("utf-16-le")) // 2


def test_short_text_is_one_message() -> None:
    assert split_text("Xin chào anh/chị") == ["Xin chào anh/chị"]
    assert split_text("a" * 4096) == ["a" * 4096]


def test_long_line_is_split_at_spaces_without_losing_words() -> None:
    words = [f"từ{n}" for n in range(2000)]
    parts = split_text(" ".join(words))
    assert len(parts) > 1 and all(units(p) <= 4096 for p in parts)
    assert " ".join(parts).split(" ") == words


def test_a_single_huge_word_is_cut_hard() -> None:
    parts = split_text("x" * 10_000)
    assert [len(p) for p in parts] == [4096, 4096, 1808]


def test_length_is_counted_like_telegram_in_utf16_units() -> None:
    text = "😀" * 2100  # 2100 characters but 4200 UTF-16 units
    parts = split_text(text)
    assert len(parts) == 2 and "".join(parts) == text
    assert all(units(p) <= 4096 for p in parts)


def test_long_or_non_ascii_payloads_get_short_ids_that_round_trip() -> None:
    registry = PayloadRegistry()
    assert registry.encode("menu:find_technology") == "menu:find_technology"
    for payload in (
        "ev:reg:" + "X" * 80,
        "chọn:bảo_quản_sau_thu_hoạch_vải_thiều_nhãn_lồng_hưng_yên",
        "~x",
    ):
        data = registry.encode(payload)
        assert len(data.encode()) <= MAX_CALLBACK_BYTES
        assert registry.decode(data) == payload
    assert registry.decode("~unknown") is None


def test_link_is_appended_and_keyboard_goes_on_last_part() -> None:
    registry = PayloadRegistry()
    out = Outgoing("Chi tiết\n" * 1000, buttons=(Button("Quan tâm", "int:1"),), link="https://x.vn")
    chunks = render(out, registry)
    assert chunks[-1].text.endswith("https://x.vn")
    assert [c.markup is None for c in chunks] == [True] * (len(chunks) - 1) + [False]
    assert isinstance(chunks[-1].markup, InlineKeyboardMarkup)


def test_contact_request_shares_keyboard_with_choices() -> None:
    out = Outgoing(
        "Số điện thoại của anh/chị?", buttons=(Button("Bỏ qua", "skip"),), request_contact=True
    )
    [chunk] = render(out, PayloadRegistry())
    assert isinstance(chunk.markup, ReplyKeyboardMarkup)
    rows = chunk.markup.keyboard
    assert rows[0][0].request_contact is True
    assert rows[1][0].text == "Bỏ qua"


def message_update(**message: Any) -> Update:
    data = {
        "update_id": 7,
        "message": {
            "message_id": 1,
            "date": 1_700_000_000,
            "chat": {"id": -100, "type": "group"},
            "from": {"id": 55, "is_bot": False, "first_name": "Minh", "last_name": "Trần"},
            **message,
        },
    }
    update = Update.de_json(data, None)
    assert update is not None
    return update


def test_group_message_keeps_chat_and_user_apart() -> None:
    incoming = update_to_incoming(message_update(text="cần máy sấy"), PayloadRegistry())
    assert incoming is not None
    assert (incoming.chat_id, incoming.user_id, incoming.update_id) == ("-100", "55", "7")
    assert incoming.user_name == "Minh Trần"
    assert incoming.time.tzinfo is not None


def test_reply_keyboard_label_arrives_as_button_press() -> None:
    incoming = update_to_incoming(
        message_update(text="Bỏ qua"), PayloadRegistry(), reply_labels={"Bỏ qua": "skip"}
    )
    assert incoming is not None
    assert (incoming.kind, incoming.payload) == (ContentKind.BUTTON, "skip")


def test_other_content_kinds() -> None:
    voice = {"file_id": "v", "file_unique_id": "v", "duration": 3}
    document = {"file_id": "d", "file_unique_id": "d", "file_name": "hoso.pdf"}
    location = {"latitude": 21.0, "longitude": 105.8}
    cases = [
        ({"voice": voice}, ContentKind.VOICE),
        ({"document": document, "caption": "hồ sơ"}, ContentKind.DOCUMENT),
        ({"location": location}, ContentKind.LOCATION),
        ({"dice": {"emoji": "🎲", "value": 3}}, ContentKind.OTHER),
    ]
    for message, kind in cases:
        incoming = update_to_incoming(message_update(**message), PayloadRegistry())
        assert incoming is not None and incoming.kind is kind


def test_edits_and_channel_posts_are_not_answered() -> None:
    data = {
        "update_id": 8,
        "edited_message": {
            "message_id": 1,
            "date": 0,
            "edit_date": 1,
            "chat": {"id": 1, "type": "private"},
            "from": {"id": 1, "is_bot": False, "first_name": "A"},
            "text": "sửa",
        },
    }
    update = Update.de_json(data, None)
    assert update is not None
    assert update_to_incoming(update, PayloadRegistry()) is None
