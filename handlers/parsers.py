"""Slot parsers: user text → a clean value, or `Invalid` with a polite Vietnamese reason.

A parser is `parse(text: str) -> value` (raise `Invalid(message)` to ask again). They accept the
forms enterprises really type: no diacritics, abbreviations, "500tr", "+84 912 345 678".
"""

from __future__ import annotations

import re
from typing import Any

from nlu.money import parse_money as nlu_money
from nlu.normalize import Token, fold, plain, search_words, tokenize
from nlu.patterns import phone_digits
from nlu.taxonomy import PROVINCE_BY_ID, SECTORS, Province, Sector, find_province, find_sector


class Invalid(ValueError):
    """The answer does not fit the slot; `str(exc)` tells the user why (Vietnamese)."""


def text(value: str) -> str:
    """Free text: anything with at least one letter or digit."""
    cleaned = " ".join(value.split())
    if not re.search(r"\w", cleaned):
        raise Invalid("Anh/chị vui lòng trả lời bằng chữ giúp em ạ.")
    return cleaned


def short_text(value: str) -> str:
    cleaned = text(value)
    if len(cleaned) > 300:
        raise Invalid("Thông tin hơi dài, anh/chị vui lòng viết gọn dưới 300 ký tự giúp em ạ.")
    return cleaned


# --- names -------------------------------------------------------------------------------------
UNREADABLE = "\ufffd"  # what the channels put where a byte or a control character could not be read


def _readable(value: str, what: str) -> str:
    cleaned = short_text(value)
    if UNREADABLE in cleaned or any(ord(ch) < 32 for ch in cleaned):
        raise Invalid(
            f"Em chưa đọc được một vài ký tự trong {what} (có thể do bảng mã hoặc phím điều "
            "khiển). Anh/chị gõ lại giúp em ạ."
        )
    if sum(ch.isalpha() for ch in cleaned) < 2:
        raise Invalid(f"“{cleaned[:20]}” chưa phải là {what} ạ.")
    return cleaned


def organisation(value: str) -> str:
    """An organisation's name: letters, not a lone number or a key pressed by mistake."""
    try:
        return _readable(value, "tên đơn vị")
    except Invalid as exc:
        raise Invalid(f"{exc} Anh/chị ghi giúp em tên doanh nghiệp, hợp tác xã hoặc đơn vị "
                      "(ví dụ “Công ty TNHH Minh Phát”, “HTX Rau sạch An Lạc”).") from None


def person_name(value: str) -> str:
    """A person's name: letters only (a phone number or an email is not a name)."""
    if len(value) > 100 or re.search(r"[\d@]", value):
        raise Invalid("Phần này em cần họ tên người tham dự thôi ạ (ví dụ “Nguyễn Thị Lan”); số "
                      "điện thoại hoặc email em sẽ hỏi ngay sau.")
    try:
        return _readable(value, "họ tên")
    except Invalid as exc:
        raise Invalid(f"{exc} Anh/chị cho em xin họ tên, ví dụ “Nguyễn Thị Lan”.") from None


def whole_number(value: str, largest: int = 2**31 - 1) -> int | None:
    """'12' → 12; None for anything else ("²" and "١" count as digits for str.isdigit, and a
    forged button can carry a number no database id reaches)."""
    value = value.strip()
    if not (value.isascii() and value.isdigit()) or len(value) > 12:
        return None
    number = int(value)
    return number if number <= largest else None


# --- contact ----------------------------------------------------------------------------------
_PHONE_CHARS = re.compile(r"[\s.\-()]")
_EMAIL = re.compile(r"^[A-Za-z0-9._%+\-]+@[A-Za-z0-9\-]+(?:\.[A-Za-z0-9\-]+)*\.[A-Za-z]{2,}$")
_PHONE_IN_TEXT = re.compile(r"(?:\+?84|0)[\d\s.\-]{8,14}\d")
_EMAIL_IN_TEXT = re.compile(r"[A-Za-z0-9._%+\-]+@[A-Za-z0-9\-.]+\.[A-Za-z]{2,}")


def normalize_phone(value: str) -> str | None:
    """'+84 912 345 678' / '0912.345.678' → '0912345678'; None when it is not a VN number."""
    cleaned = value.strip()
    if not _PHONE_CHARS.sub("", cleaned).lstrip("+").isdigit():
        return None  # letters or other symbols: not a bare phone number
    return phone_digits(cleaned)


def phone(value: str) -> str:
    found = _PHONE_IN_TEXT.search(value)
    number = normalize_phone(found.group(0) if found else value)
    if number is None:
        raise Invalid(
            "Số điện thoại chưa đúng ạ. Số di động có 10 chữ số, bắt đầu bằng 03, 05, 07, 08 hoặc "
            "09 (ví dụ 0912345678)."
        )
    return number


def email(value: str) -> str:
    found = _EMAIL_IN_TEXT.search(value)
    candidate = (found.group(0) if found else value.strip()).rstrip(".").lower()
    if not _EMAIL.match(candidate):
        raise Invalid("Địa chỉ email chưa đúng ạ (ví dụ: ten@congty.vn).")
    return candidate


def contact(value: str) -> dict[str, str]:
    """A phone number or an email (or both) → {"phone": ..., "email": ...}."""
    result: dict[str, str] = {}
    if "@" in value:
        result["email"] = email(value)
    found = _PHONE_IN_TEXT.search(value)
    if found and normalize_phone(found.group(0)):
        result["phone"] = normalize_phone(found.group(0)) or ""
    elif not result:
        if re.search(r"\d{6,}", value):
            phone(value)  # raises the phone-specific explanation
        raise Invalid(
            "Anh/chị vui lòng để lại số điện thoại (ví dụ 0912345678) hoặc email (ví dụ "
            "ten@congty.vn) để Trung tâm liên hệ ạ."
        )
    return result


def show_contact(value: dict[str, str]) -> str:
    return ", ".join(v for v in (value.get("phone"), value.get("email")) if v)


# --- yes / no ------------------------------------------------------------------------------------
YES_WORDS = frozenset(
    ["co", "dong y", "ok", "oke", "okay", "uh", "u", "vang", "da", "da vang", "dung", "dung roi", "yes", "y", "chac chan", "duoc", "dc", "xac nhan", "co a", "vang a", "dong y a", "ok a", "da co"]
)
NO_WORDS = frozenset(
    ["khong", "ko", "k", "khong dong y", "no", "n", "khong a", "ko a", "chua", "thoi khong", "khong phai", "sai", "sai roi"]
)


def words_key(value: str) -> str:
    return " ".join(re.findall(r"\w+", plain(value)))


def yes_no(value: str) -> bool | None:
    key = words_key(value)
    if key in YES_WORDS:
        return True
    if key in NO_WORDS:
        return False
    return None


def consent(value: str) -> bool:
    answer = yes_no(value)
    if answer is None:
        raise Invalid("Anh/chị vui lòng chọn “Đồng ý” hoặc “Không đồng ý” ạ.")
    if not answer:
        raise Invalid(
            "Không có sự đồng ý, Trung tâm chưa thể liên hệ và chia sẻ nhu cầu với đơn vị cung ứng. "
            "Anh/chị có thể chọn “Đồng ý”, hoặc gõ “hủy” để dừng ạ."
        )
    return True


# --- money -------------------------------------------------------------------------------------
_MONEY = re.compile(
    r"(\d+(?:[.,]\d+)*)\s*(ty|ti|trieu|tr|cu|nghin|ngan|k|dong|d|vnd|vnđ)?(?![a-z])"
)
_UNITS = {"ty": 10**9, "ti": 10**9, "trieu": 10**6, "tr": 10**6, "cu": 10**6,
          "nghin": 10**3, "ngan": 10**3, "k": 10**3}


def _number(raw: str, has_unit: bool) -> float:
    if re.fullmatch(r"\d{1,3}(?:[.,]\d{3}){2,}", raw) or (
        not has_unit and re.fullmatch(r"\d{1,3}(?:[.,]\d{3})+", raw)
    ):
        return float(re.sub(r"[.,]", "", raw))  # 1.500.000.000 (thousands separators)
    return float(raw.replace(",", "."))


def parse_money(value: str) -> int | None:
    """'500 trieu' → 500000000; '1,5 tỷ' → 1500000000; '2 ty 500' → 2500000000; None if absent.

    The NLU's money reader (words such as "nửa tỷ") goes first; this one adds thousands
    separators ("1.500.000.000").
    """
    found = nlu_money(value)
    if found:
        return found
    key = plain(value).replace("đ", "d")
    total = 0.0
    for m in _MONEY.finditer(key):
        raw, unit = m.group(1), m.group(2)
        scale = _UNITS.get(unit or "", 1)
        try:
            amount = _number(raw, unit in _UNITS)
        except ValueError:
            continue
        if scale > 1:
            total += amount * scale
            # "2 ty 500" / "1 trieu 2": a bare number right after a unit counts in the next unit down
            tail = re.match(r"\s*(\d{1,3})(?!\s*[.,]?\d)(?!\s*[a-z])", key[m.end():])
            if tail and scale >= 10**6:
                total += int(tail.group(1)) * scale / 1000
            break
        if amount >= 1_000_000:  # a plain VND amount
            total = amount
            break
    return int(round(total)) if total > 0 else None


MAX_MONEY = 10**15  # a million billion đồng: larger is a typo, and would not fit the database
_UNKNOWN_AMOUNT = re.compile(
    r"\b(?:chua|khong|ko|k|cung chua)\s+(?:biet|ro|xac dinh|tinh|tinh toan|du tru|nghi toi)\b"
)


def unknown_amount(value: str) -> bool:
    """"chưa biết", "chua biet a", "em cũng chưa rõ": the user does not know the amount yet."""
    key = words_key(value)
    return (len(key.split()) <= 8 and not re.search(r"\d", key)
            and _UNKNOWN_AMOUNT.search(key) is not None)


def money(value: str) -> int | None:
    """An amount in VND; None when the user says it is not known yet ("chưa biết")."""
    if unknown_amount(value):
        return None
    amount = parse_money(value)
    if amount is None:
        raise Invalid(
            "Em chưa đọc được số tiền ạ. Anh/chị ghi giúp em dạng “500 triệu”, “1,5 tỷ”, "
            "hoặc gõ “chưa biết” nếu chưa xác định."
        )
    if amount > MAX_MONEY:
        raise Invalid(
            f"Số tiền {show_money(amount)} lớn bất thường nên em sợ mình ghi nhầm ạ. Anh/chị "
            "kiểm tra lại giúp em (ví dụ “500 triệu”, “1,5 tỷ”)."
        )
    return amount


def show_money(amount: int | None) -> str:
    if amount is None:
        return "chưa xác định"
    if amount >= 10**9:
        billions = amount / 10**9
        return f"{billions:.3g}".replace(".", ",") + " tỷ đồng"
    if amount >= 10**6:
        millions = amount / 10**6
        return f"{millions:.4g}".replace(".", ",") + " triệu đồng"
    return f"{amount:,}".replace(",", ".") + " đồng"


# --- places and sectors ------------------------------------------------------------------------
def province_in_text(value: str) -> tuple[Province, str] | None:
    """The first province named anywhere in the text → (unit in force, name as written)."""
    words = value.replace(",", " , ").split()
    for size in (4, 3, 2, 1):
        for i in range(len(words) - size + 1):
            chunk = " ".join(words[i : i + size])
            found = find_province(chunk)
            if found is not None and (size > 1 or len(plain(chunk)) > 2):
                return found, chunk.strip(" ,.")
    return None


def province(value: str) -> dict[str, str]:
    """→ {"id": "bac_ninh", "mentioned": "bac giang"}; the id is the unit since 1 July 2025."""
    found = province_in_text(value)
    if found is None:
        raise Invalid(
            "Em chưa nhận ra tỉnh/thành phố này ạ. Anh/chị ghi giúp em tên tỉnh, ví dụ “Bắc Ninh”, "
            "“Cần Thơ”, “TP. Hồ Chí Minh”."
        )
    unit, mentioned = found
    return {"id": unit.id, "mentioned": mentioned}


def show_province(value: dict[str, str]) -> str:
    """'Bắc Giang (nay thuộc tỉnh Bắc Ninh)' when the user named a former province."""
    unit = PROVINCE_BY_ID.get(value.get("id", ""))
    if unit is None:
        return value.get("mentioned", "")
    mentioned = value.get("mentioned") or unit.name
    former = next((f for f in unit.former if plain(f) == plain(mentioned)), None)
    if former is None:
        return unit.name
    kind = "" if unit.name.startswith("TP.") else ("thành phố " if _is_city(unit) else "tỉnh ")
    return f"{former} (nay thuộc {kind}{unit.name})"


def _is_city(unit: Province) -> bool:
    return unit.id in {"ha_noi", "hue", "hai_phong", "da_nang", "can_tho", "ho_chi_minh"}


CASE_SENSITIVE = frozenset({"ai"})


def rank_sectors(value: str) -> list[tuple[Sector, int]]:
    """Sectors whose keywords occur in the text, most hits first.

    A short keyword ("bò", "gà", "gỗ", "men") matches a word typed with the same diacritics or
    with none at all, so "bỏ qua" does not mean livestock.
    """
    words = " " + " ".join(search_words(value)) + " "
    tokens = tokenize(value)
    scored = []
    for sector in SECTORS:
        hits = sum(1 for k in (sector.name, *sector.keywords)
                   if _has_keyword(k, words, tokens, value))
        if hits:
            scored.append((sector, hits))
    return sorted(scored, key=lambda item: -item[1])


def _has_keyword(keyword: str, words: str, tokens: list[Token], original: str) -> bool:
    key = plain(keyword)
    if key in CASE_SENSITIVE:  # "ai" is "who" far more often than artificial intelligence
        return re.search(rf"\b{key.upper()}\b", original) is not None
    if len(key) <= 3 and " " not in key:
        folded = fold(keyword)
        return any(t.plain == key and t.folded in (folded, t.plain) for t in tokens)
    return f" {key} " in words


def sector(value: str) -> str:
    """A sector id from its name, id, or keywords in the answer."""
    found = find_sector(value)
    if found is None:
        ranked = rank_sectors(value)
        found = ranked[0][0] if ranked else None
    if found is None:
        raise Invalid("Anh/chị chọn giúp em một lĩnh vực trong danh sách bên dưới ạ.")
    return found.id


def show_sector(value: str) -> str:
    found = find_sector(value)
    return found.name if found else value


def pick(options: dict[str, str], what: str) -> Any:
    """A parser for a closed list {id: Vietnamese label}: accepts the id or the label."""

    def parse(value: str) -> str:
        key = words_key(value)
        for option_id, label in options.items():
            if key in (words_key(option_id), words_key(label)):
                return option_id
        for option_id, label in options.items():
            if key and key in words_key(label):
                return option_id
        raise Invalid(f"Anh/chị chọn giúp em {what} trong các nút bên dưới ạ.")

    return parse
