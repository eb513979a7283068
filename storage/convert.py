"""Value converters shared by the seed loader and XLSX/CSV import: lenient in what they accept
(ids or Vietnamese names, any diacritics, Excel cells), strict in what they store.

Each raises `ValueError` with a Vietnamese reason, reported per row by the importer.
"""

from __future__ import annotations

import re
from datetime import date, datetime, time
from typing import Any
from zoneinfo import ZoneInfo

from nlu.normalize import plain
from nlu.patterns import phone_digits
from nlu.taxonomy import PROVINCE_BY_ID, SECTOR_BY_ID, find_province, find_sector

# Vietnam has one time zone: the default of the `timezone` setting (bot.config) and the zone of
# dates in catalog files. The one place the zone is named.
LOCAL_TZ = ZoneInfo("Asia/Ho_Chi_Minh")

STAGE_NAMES = {
    "research": ("nghiên cứu", "đang nghiên cứu", "phòng thí nghiệm"),
    "prototype": ("mẫu thử", "nguyên mẫu", "mẫu"),
    "pilot": ("thử nghiệm", "thí điểm", "sản xuất thử", "thử nghiệm thực tế"),
    "commercial": ("thương mại", "thương mại hóa", "đã thương mại hóa", "thương mại hoá"),
}
MODE_NAMES = {
    "licence": ("li-xăng", "li xăng", "licence", "license", "cấp phép", "chuyển quyền sử dụng"),
    "sale": ("bán", "mua bán", "bán thiết bị", "chuyển nhượng", "mua đứt"),
    "joint_development": ("hợp tác phát triển", "cùng phát triển", "hợp tác", "liên kết"),
    "consulting": ("tư vấn", "tư vấn kỹ thuật"),
    "training": ("đào tạo", "tập huấn", "huấn luyện"),
}
EVENT_KIND_NAMES = {
    "techmart": ("chợ công nghệ", "chợ công nghệ và thiết bị", "techmart"),
    "techdemo": ("trình diễn công nghệ", "trình diễn", "techdemo"),
    "techfest": ("techfest", "ngày hội khởi nghiệp", "ngày hội đổi mới sáng tạo"),
    "workshop": ("hội thảo", "tọa đàm", "toạ đàm", "workshop"),
    "training": ("đào tạo", "tập huấn", "khóa học", "lớp học", "training"),
    "connection_session": ("phiên kết nối", "kết nối cung cầu", "phiên kết nối cung cầu"),
    "other": ("khác",),
}
STATUS_NAMES = {
    "published": ("công bố", "đã công bố", "đã duyệt", "hiển thị"),
    "pending_review": ("chờ duyệt", "chờ xét duyệt"),
    "archived": ("lưu trữ", "ẩn", "ngừng"),
}
TRUE_WORDS = frozenset({"1", "true", "yes", "y", "x", "co", "dong y", "co dong y"})
FALSE_WORDS = frozenset({"0", "false", "no", "n", "khong", "khong dong y"})
_DATE_FORMATS = ("%Y-%m-%d %H:%M", "%Y-%m-%d %H:%M:%S", "%Y-%m-%dT%H:%M", "%Y-%m-%dT%H:%M:%S",
                 "%d/%m/%Y %H:%M", "%d/%m/%Y %H:%M:%S", "%d-%m-%Y %H:%M", "%H:%M %d/%m/%Y",
                 "%Y-%m-%d", "%d/%m/%Y", "%d-%m-%Y")
_MONEY_UNITS = {"trieu": 1_000_000, "tr": 1_000_000, "ty": 1_000_000_000, "ti": 1_000_000_000,
                "nghin": 1_000, "ngan": 1_000, "k": 1_000, "dong": 1, "vnd": 1, "d": 1}


def is_empty(value: Any) -> bool:
    return value is None or (isinstance(value, str) and not value.strip())


def text(value: Any) -> str:
    if is_empty(value):
        return ""
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    return " ".join(str(value).split()) if "\n" not in str(value) else str(value).strip()


def optional_text(value: Any) -> str | None:
    return text(value) or None


_INTERNATIONAL_PHONE = re.compile(r"\+\d[\d .\-()]{6,24}")
_HOTLINE = re.compile(r"1[89]00[ .]?\d{2}[ .]?\d{2}(?:[ .]?\d{2})?")


def phone(value: Any) -> str:
    """A phone cell as written, if it is one: a Vietnamese mobile or landline, a 1800/1900
    hotline, or an international number starting with "+" (foreign experts)."""
    raw = text(value)
    if not raw:
        return ""
    digits = re.sub(r"\D", "", raw)
    if (phone_digits(raw) is not None or _HOTLINE.fullmatch(raw)
            or (_INTERNATIONAL_PHONE.fullmatch(raw) and 8 <= len(digits) <= 15)):
        return raw
    raise ValueError(f"số điện thoại “{raw[:40]}” không hợp lệ (ví dụ 0912345678, "
                     "024 3825 1234, 1900 1234 hoặc +84 912 345 678)")


def text_list(value: Any) -> list[str]:
    """A list cell: YAML list, or text separated by ";" (or "," when there is no ";")."""
    if is_empty(value):
        return []
    if isinstance(value, list | tuple):
        items = [text(v) for v in value]
    else:
        raw = str(value)
        sep = ";" if ";" in raw else ("\n" if "\n" in raw else ",")
        items = [text(v) for v in raw.split(sep)]
    return [i for i in dict.fromkeys(items) if i]


def _choice(value: Any, names: dict[str, tuple[str, ...]], what: str) -> str:
    key = plain(text(value))
    for canonical, aliases in names.items():
        if key == canonical or key == canonical.replace("_", " ") or key in map(plain, aliases):
            return canonical
    allowed = ", ".join(f"{c} ({a[0]})" for c, a in names.items())
    raise ValueError(f"{what} “{text(value)}” không hợp lệ; chỉ nhận: {allowed}")


def stage(value: Any) -> str | None:
    return None if is_empty(value) else _choice(value, STAGE_NAMES, "giai đoạn phát triển")


def transfer_modes(value: Any) -> list[str]:
    return list(dict.fromkeys(_choice(v, MODE_NAMES, "hình thức chuyển giao")
                              for v in text_list(value)))


def event_kind(value: Any) -> str:
    return "other" if is_empty(value) else _choice(value, EVENT_KIND_NAMES, "loại sự kiện")


def status(value: Any) -> str:
    return "published" if is_empty(value) else _choice(value, STATUS_NAMES, "trạng thái")


def sector(value: Any) -> str | None:
    if is_empty(value):
        return None
    found = find_sector(text(value))
    if found is None:
        raise ValueError(f"lĩnh vực “{text(value)}” không có trong danh mục lĩnh vực")
    return found.id


def sectors(value: Any) -> list[str]:
    # A lone sector name may itself contain a comma ("Chế biến nông sản, thực phẩm").
    if isinstance(value, str) and (whole := find_sector(text(value))) is not None:
        return [whole.id]
    return list(dict.fromkeys(s for s in (sector(v) for v in text_list(value)) if s))


def province(value: Any) -> str | None:
    if is_empty(value):
        return None
    found = find_province(text(value))
    if found is None:
        raise ValueError(f"tỉnh/thành “{text(value)}” không có trong danh sách 34 tỉnh/thành")
    return found.id


def boolean(value: Any, default: bool = False) -> bool:
    if is_empty(value):
        return default
    if isinstance(value, bool):
        return value
    key = plain(text(value))
    if key in TRUE_WORDS:
        return True
    if key in FALSE_WORDS:
        return False
    raise ValueError(f"giá trị “{text(value)}” không phải có/không")


def integer(value: Any, what: str = "số") -> int | None:
    """Non-negative integer; money accepts "350.000.000", "350 triệu", "1,5 tỷ"."""
    if is_empty(value):
        return None
    if isinstance(value, bool):
        raise ValueError(f"{what} “{value}” không hợp lệ")
    if isinstance(value, int | float):
        if value < 0:
            raise ValueError(f"{what} “{value}” không được âm")
        return int(round(value))
    key = plain(text(value)).replace(" ", "")
    m = re.fullmatch(r"(\d+(?:[.,]\d+)*)([a-z]*)", key)
    if not m or (m.group(2) and m.group(2) not in _MONEY_UNITS):
        raise ValueError(f"{what} “{text(value)}” không phải là số")
    number, unit = m.group(1), _MONEY_UNITS.get(m.group(2), 1)
    if unit > 1 and re.fullmatch(r"\d+[.,]\d{1,2}", number):  # "1,5 tỷ": a decimal
        return int(round(float(number.replace(",", ".")) * unit))
    return int(re.sub(r"[.,]", "", number)) * unit


def local_datetime(value: Any, what: str = "ngày giờ") -> datetime | None:
    """A cell read as local time (Asia/Ho_Chi_Minh) unless it carries its own offset."""
    if is_empty(value):
        return None
    if isinstance(value, datetime):
        parsed = value
    elif isinstance(value, date):
        parsed = datetime.combine(value, time(0, 0))
    else:
        raw = text(value)
        parsed = _parse_datetime(raw, what)
    return parsed.replace(tzinfo=LOCAL_TZ) if parsed.tzinfo is None else parsed


def _parse_datetime(raw: str, what: str) -> datetime:
    for fmt in _DATE_FORMATS:
        try:
            return datetime.strptime(raw, fmt)
        except ValueError:
            continue
    try:
        return datetime.fromisoformat(raw)
    except ValueError:
        raise ValueError(f"{what} “{raw}” không hợp lệ (dùng dạng 2026-12-01 08:00 hoặc "
                         "01/12/2026 08:00)") from None


def sector_label(sector_id: str) -> str:
    return SECTOR_BY_ID[sector_id].name if sector_id in SECTOR_BY_ID else sector_id


def province_label(province_id: str) -> str:
    return PROVINCE_BY_ID[province_id].name if province_id in PROVINCE_BY_ID else province_id
