"""What the offerer and staff read about an offered technology under review (shared by the staff
review command and the CLI)."""

from __future__ import annotations

from typing import Any

from bot.types import Outgoing, outgoing_to_dict
from storage.repos.offers import Offer


def offer_line(offer: Offer) -> str:
    by = f" — {offer.provider}" if offer.provider else ""
    return f"{offer.code}: {offer.title}{by}\n  {offer.summary[:200]}"


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
