"""What the offerer and staff read about an offered technology under review (shared by the staff
review command and the CLI)."""

from __future__ import annotations

from typing import Any

from bot.types import Button, Outgoing, outgoing_to_dict
from storage.repos.offers import Offer, Question


def offer_line(offer: Offer) -> str:
    by = f" — {offer.provider}" if offer.provider else ""
    lines = [f"{offer.code}: {offer.title}{by}", f"  {offer.summary[:200]}"]
    for q in offer.questions[-3:]:
        lines.append(f"  Hỏi bổ sung: {q.question[:200]}")
        lines.append(f"  Trả lời: {q.answer[:500]}" if q.answer is not None
                     else "  (đang chờ người chào bán trả lời)")
    return "\n".join(lines)


def review_buttons(offer: Offer) -> list[tuple[str, str]]:
    return [("Duyệt", f"dt:ok:{offer.id}"), ("Cần bổ sung", f"dt:ask:{offer.id}"),
            ("Từ chối", f"dt:no:{offer.id}")]


def question_to_offerer(offer: Offer, q: Question) -> dict[str, Any]:
    """The reviewer's question, in the offerer's chat: their next message (or the button) is the
    answer."""
    return outgoing_to_dict(Outgoing(
        f"Dạ, cán bộ Trung tâm đang thẩm định công nghệ “{offer.title}” (mã {offer.code}) của "
        f"anh/chị và cần bổ sung thông tin:\n“{q.question}”\n\nAnh/chị vui lòng nhắn câu trả "
        "lời ngay trong tin tiếp theo (hoặc bấm “Trả lời”) ạ.",
        (Button("Trả lời", f"of:ans:{q.id}"),)))


def answer_to_staff(offer: Offer, q: Question) -> dict[str, Any]:
    """The offerer's answer, back to the reviewer with the review buttons."""
    return outgoing_to_dict(Outgoing(
        f"📩 Người chào bán đã trả lời về {offer.code} “{offer.title}”:\n"
        f"Hỏi: {q.question}\nTrả lời: {q.answer}\n\nCông nghệ đã trở lại danh sách chờ duyệt "
        "(/duyet).",
        tuple(Button(label, payload) for label, payload in review_buttons(offer))))


def approved(offer: Offer) -> dict[str, Any]:
    return outgoing_to_dict(Outgoing(
        f"Dạ, công nghệ “{offer.title}” (mã {offer.code}) của anh/chị đã được Trung tâm duyệt và "
        "đưa vào danh mục; doanh nghiệp có nhu cầu phù hợp sẽ tìm thấy và được giới thiệu ạ."))


def rejected(reason: str | None) -> Any:
    def compose(offer: Offer) -> dict[str, Any]:
        why = f" Lý do: {reason}." if reason else ""
        return outgoing_to_dict(Outgoing(
            f"Dạ, rất tiếc công nghệ “{offer.title}” (mã {offer.code}) chưa được đưa vào danh mục."
            f"{why} Anh/chị có thể bổ sung hồ sơ và chào bán lại, hoặc gõ “gặp cán bộ” để được "
            "hướng dẫn ạ."))
    return compose
