"""What the fuzz tests send: real-looking input, input a careless or hostile sender makes up,
and real input with one part broken (a field deleted, a value of the wrong type)."""

from __future__ import annotations

import itertools
import time
from typing import Any

from hypothesis import strategies as st

_ids = itertools.count(10_000_000)  # update ids and chat ids unique across examples


def next_id() -> int:
    return next(_ids)


# --- text -------------------------------------------------------------------------------------
MEANINGFUL = (
    "xin chào", "/start", "/menu", "/help", "/huy", "/dulieu", "/xoadulieu", "/huynhantin",
    "/start event_SK-001", "/start event_KHONG-CO", "/start " + "x" * 80,
    "cty minh o bac giang can cong nghe say vai thieu, kinh phi khoang 500 trieu",
    "tôi cần tìm chuyên gia về chế biến chè", "có hội chợ công nghệ nào ở Cần Thơ không",
    "chúng tôi muốn chào bán công nghệ xử lý nước thải", "hỗ trợ kinh phí đổi mới công nghệ",
    "đăng ký bảo hộ nhãn hiệu", "đăng ký nhận tin", "nhu cầu của tôi đến đâu rồi",
    "cho tôi gặp cán bộ", "xác nhận", "bỏ qua", "quay lại", "hủy", "sửa", "đồng ý", "không",
    "chưa biết", "chua biet", "0912345678", "+84 912 345 678", "abc123", "lan@congty.vn",
    "Công ty TNHH Minh Phát", "Nguyễn Thị Lan", "Hà Nội", "Hà Tây", "500 triệu", "1,5 tỷ",
    "99999999999999999999 tỷ", "1", "2", "3", "99", "0", "-1", "²", "👍", "", " ", "\n",
    "\x1b[A", "\x00", "a\x00b", "ﾟ∀ﾟ", "Ｃｏｎｇ　ｔｙ", "cong nghe" * 500,
)
# Everything a keyboard (or a broken client) can produce, except lone surrogates: JSON over
# HTTP cannot carry them as UTF-8 (the webhook fuzz sends them as \\ud800 escapes instead).
any_text = st.text(st.characters(blacklist_categories=("Cs",)), max_size=60)
vietnamese = st.text(
    st.sampled_from("aăâbcdđeêghiklmnoôơpqrstuưvxyáàảãạắằẳẵặấầẩẫậéèẻẽẹếềểễệíìỉĩị"
                    "óòỏõọốồổỗộớờởỡợúùủũụứừửữựýỳỷỹỵ 0123456789,.?!"),
    max_size=80,
)
huge_text = st.integers(4_000, 12_000).map(lambda n: "cần công nghệ sấy " * (n // 18))
texts = st.one_of(st.sampled_from(MEANINGFUL), vietnamese, any_text, huge_text)

# --- button payloads (callback data) ----------------------------------------------------------
PREFIXES = (
    "menu:", "fc:", "fc:need:", "fc:sector:", "fc:contact:", "f:", "f:ok", "f:skip", "f:back",
    "f:cancel", "f:edit", "f:edit:", "f:sum", "sw:yes", "sw:no", "sw:", "ev:reg:", "ev:unreg:",
    "ev:list", "ev:more:", "sub:", "sub:off", "tm:more:", "tm:like:", "tm:exp:", "priv:forget",
    "priv:", "ip:t:", "ip:tm", "fund:", "fund:natif", "fb:", "consult:", "of:ans:", "gt:agreed:",
    "gt:contacted:", "tb:", "cb:", "~",
)
SUFFIXES = st.one_of(
    st.just(""), st.integers(-5, 50).map(str), st.integers(2**31, 2**70).map(str),
    st.sampled_from(["SK-001", "sk-001", "SK-999", "find_technology", "events", "../..", "%s",
                     "None", "null", "0x10", "1e9", "１", "need:0", "sector:99", "²", "٣",
                     "1:²", "12345678901234567890"]),
    st.text(st.characters(min_codepoint=33, max_codepoint=126), max_size=40),
)
payloads = st.one_of(
    st.builds(lambda p, s: (p + s)[:200], st.sampled_from(PREFIXES), SUFFIXES),
    any_text,
    st.binary(max_size=64).map(lambda b: b.decode("latin-1")),
)


# --- Telegram updates -------------------------------------------------------------------------
def person(user_id: int) -> dict[str, Any]:
    return {"id": user_id, "is_bot": False, "first_name": "Lan", "language_code": "vi"}


def message(chat_id: int, chat_type: str = "private", **content: Any) -> dict[str, Any]:
    chat: dict[str, Any] = {"id": chat_id, "type": chat_type}
    if chat_type == "private":
        chat["first_name"] = "Lan"
    else:
        chat["title"] = "Nhóm doanh nghiệp"
    return {"message_id": next_id(), "date": int(time.time()), "chat": chat,
            "from": person(abs(chat_id)), **content}


def text_content(text: str) -> dict[str, Any]:
    content: dict[str, Any] = {"text": text}
    if text.startswith("/"):
        content["entities"] = [{"type": "bot_command", "offset": 0,
                                "length": len(text.split(" ", 1)[0])}]
    return content


STICKER = {"file_id": "s1", "file_unique_id": "u1", "width": 512, "height": 512,
           "is_animated": False, "is_video": False, "type": "regular", "emoji": "👍"}
PHOTO = [{"file_id": "p1", "file_unique_id": "pu1", "width": 90, "height": 90}]
OTHER_CONTENT = st.sampled_from([
    {"sticker": STICKER}, {"photo": PHOTO, "caption": "máy sấy"},
    {"location": {"latitude": 21.03, "longitude": 105.85}},
    {"voice": {"file_id": "v", "file_unique_id": "vu", "duration": 3}},
    {"document": {"file_id": "d", "file_unique_id": "du", "file_name": "x.pdf"}},
    {"new_chat_members": [person(5)]}, {"poll": {"id": "p", "question": "?", "options": [],
     "total_voter_count": 0, "is_closed": False, "is_anonymous": True, "type": "regular",
     "allows_multiple_answers": False}},
])


@st.composite
def text_update(draw: st.DrawFn) -> tuple[dict[str, Any], int]:
    """A private text message: the bot must answer it. (update, chat id)"""
    chat_id = next_id()
    return {"update_id": next_id(), "message": message(chat_id, **text_content(draw(texts)))}, chat_id


@st.composite
def other_update(draw: st.DrawFn) -> dict[str, Any]:
    """Anything else Telegram can send: other content, contacts, presses, groups, edits."""
    chat_id = next_id()
    kind = draw(st.sampled_from(["content", "contact", "press", "group", "edit", "member"]))
    if kind == "content":
        body = {"message": message(chat_id, **draw(OTHER_CONTENT))}
    elif kind == "contact":
        phone = draw(st.one_of(st.sampled_from(["+84912345678", "0912345678"]), any_text))
        body = {"message": message(chat_id, contact={"phone_number": phone, "first_name": "L"})}
    elif kind == "press":
        shown = message(chat_id, text="Mời chọn")
        shown["from"] = {"id": 123, "is_bot": True, "first_name": "Kết Nối"}
        body = {"callback_query": {"id": str(next_id()), "from": person(chat_id),
                                   "chat_instance": "ci", "data": draw(payloads), "message": shown}}
    elif kind == "group":
        body = {"message": message(-chat_id, draw(st.sampled_from(["group", "supergroup"])),
                                   **text_content(draw(texts)))}
    elif kind == "edit":
        body = {"edited_message": message(chat_id, text=draw(texts))}
    else:
        body = {"my_chat_member": {
            "chat": {"id": chat_id, "type": "private"}, "from": person(chat_id),
            "date": int(time.time()),
            "old_chat_member": {"status": "member", "user": person(123) | {"is_bot": True}},
            "new_chat_member": {"status": draw(st.sampled_from(["kicked", "member"])),
                                "user": person(123) | {"is_bot": True}}}}
    return {"update_id": next_id(), **body}


json_leaf = st.one_of(
    st.none(), st.booleans(), st.integers(-(2**70), 2**70), st.floats(allow_nan=False, allow_infinity=False),  # JSON has neither
    any_text, st.just(""), st.just([]), st.just({}),
)


@st.composite
def broken_update(draw: st.DrawFn) -> Any:
    """A real update with one part broken, or something that is not an update at all."""
    how = draw(st.sampled_from(["delete", "replace", "extra", "junk"]))
    if how == "junk":
        return draw(st.recursive(json_leaf, lambda inner: st.one_of(
            st.lists(inner, max_size=3), st.dictionaries(any_text, inner, max_size=3)),
            max_leaves=8))
    update = draw(st.one_of(text_update().map(lambda pair: pair[0]), other_update()))
    paths = list(_paths(update))
    path = draw(st.sampled_from(paths))
    parent = update
    for key in path[:-1]:
        parent = parent[key]
    if how == "delete" and isinstance(parent, dict):
        parent.pop(path[-1], None)
    elif how == "replace":
        parent[path[-1]] = draw(json_leaf)
    else:
        update[draw(st.sampled_from(["update_id_2", "business_message", "x"]))] = draw(json_leaf)
    return update


def _paths(value: Any, prefix: tuple[Any, ...] = ()) -> Any:
    items = value.items() if isinstance(value, dict) else enumerate(value)
    for key, child in items:
        yield (*prefix, key)
        if isinstance(child, dict | list) and child:
            yield from _paths(child, (*prefix, key))
