"""What users type to steer a form (compared on `parsers.words_key`: plain, lowercase words)."""

from __future__ import annotations

SMALL_TALK_CONFIDENCE = 0.9
SMALL_TALK = {
    "greet": "Dạ, em chào anh/chị! Mình tiếp tục nhé.",
    "thanks": "Dạ, không có gì ạ! Mình tiếp tục nhé.",
    "goodbye": "Dạ, nếu anh/chị muốn dừng, anh/chị gõ “hủy” giúp em; còn không mình tiếp tục nhé.",
    "out_of_scope": "Dạ, câu này nằm ngoài phạm vi em hỗ trợ ạ. Mình tiếp tục nhé.",
    "help": "Dạ, anh/chị trả lời câu hỏi dưới đây; gõ “quay lại” để sửa câu trước, “bỏ qua” với "
            "mục không bắt buộc, hoặc “hủy” để dừng ạ.",
}

CANCEL_WORDS = frozenset({
    "huy", "huy bo", "thoi", "thoi khong can", "thoi khong can nua", "khong can nua", "dung lai",
    "cancel", "huy nhu cau", "thoi bo di", "bo di", "huy di", "thoi huy di", "stop",
})
SKIP_WORDS = frozenset({
    "bo qua", "skip", "khong co", "ko co", "chua co", "chua xac dinh", "chua ro", "bo qua a",
})
BACK_WORDS = frozenset({
    "quay lai", "tro lai", "lui lai", "back", "quay lai buoc truoc", "sua cau truoc",
})
EDIT_WORDS = frozenset({"sua", "chinh sua", "sua lai", "sua thong tin"})
