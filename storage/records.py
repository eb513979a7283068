"""Catalog record layouts: the documented import/export columns of technologies, experts and
events, and the conversion of one raw record (YAML item or spreadsheet row) to model values.

Columns (header used by export first; any alias accepted on import, any diacritics/case;
* = required):
  technologies: Mã*, Tên công nghệ*, Tóm tắt, Mô tả, Lĩnh vực*, Từ khóa (;), Giai đoạn,
    Hình thức chuyển giao (;), Giá từ (VNĐ), Giá đến (VNĐ), Đơn vị cung cấp, Người liên hệ,
    Điện thoại, Email, Tỉnh/Thành, Trạng thái, Nguồn
  experts: Mã*, Họ và tên*, Học hàm/học vị, Cơ quan, Chuyên môn (;), Lĩnh vực (;), Giới thiệu,
    Ngôn ngữ (;), Nước ngoài (có/không), Tỉnh/Thành, Quốc gia, Email, Điện thoại,
    Đồng ý liên hệ (có/không)
  events: Mã*, Loại, Tên sự kiện*, Mô tả, Bắt đầu* (giờ Việt Nam), Kết thúc, Địa điểm,
    Link trực tuyến, Tỉnh/Thành, Lĩnh vực (;), Đơn vị tổ chức, Hạn đăng ký, Số chỗ
Sector and province cells take ids or Vietnamese names (old province names are mapped to the unit
in force); stage, transfer mode, event kind and status take ids or Vietnamese names.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import BigInteger, String

from nlu.normalize import plain
from storage import convert as cv
from storage.models import Event, Expert, Technology


@dataclass(frozen=True, slots=True)
class Column:
    key: str  # raw record key (YAML key; contact parts are flattened: contact_phone ...)
    header: str  # Vietnamese header written by export
    aliases: tuple[str, ...] = ()
    required: bool = False
    convert: Callable[[Any], Any] = cv.text


def _c(key: str, header: str, *aliases: str, required: bool = False,
       convert: Callable[[Any], Any] = cv.text) -> Column:
    return Column(key, header, aliases, required, convert)


def _price(v: Any) -> int | None:
    return cv.integer(v, "giá")


def _capacity(v: Any) -> int | None:
    return cv.integer(v, "số chỗ")


def _start(v: Any) -> datetime | None:
    return cv.local_datetime(v, "thời gian bắt đầu")


def _end(v: Any) -> datetime | None:
    return cv.local_datetime(v, "thời gian kết thúc")


def _deadline(v: Any) -> datetime | None:
    return cv.local_datetime(v, "hạn đăng ký")


def _consent(v: Any) -> bool:
    return cv.boolean(v, False)


PROVINCE = _c("province", "Tỉnh/Thành", "tỉnh/thành phố", "tỉnh thành", "tỉnh", "địa phương",
              "province", convert=cv.province)

LAYOUTS: dict[str, tuple[Column, ...]] = {
    "technologies": (
        _c("code", "Mã", "mã công nghệ", "code", required=True),
        _c("title", "Tên công nghệ", "tên", "title", required=True),
        _c("summary", "Tóm tắt", "mô tả ngắn", "summary"),
        _c("description", "Mô tả", "mô tả chi tiết", "description"),
        _c("sector", "Lĩnh vực", "sector", required=True, convert=cv.sector),
        _c("keywords", "Từ khóa", "từ khoá", "keywords", convert=cv.text_list),
        _c("stage", "Giai đoạn", "mức độ phát triển", "stage", convert=cv.stage),
        _c("transfer_modes", "Hình thức chuyển giao", "transfer_modes", convert=cv.transfer_modes),
        _c("price_min", "Giá từ (VNĐ)", "giá từ", "giá tối thiểu", "price_min", convert=_price),
        _c("price_max", "Giá đến (VNĐ)", "giá đến", "giá tối đa", "price_max", convert=_price),
        _c("provider", "Đơn vị cung cấp", "nhà cung cấp", "đơn vị", "provider"),
        _c("contact_name", "Người liên hệ", "contact_name"),
        _c("contact_phone", "Điện thoại", "số điện thoại", "sđt", "phone", convert=cv.phone),
        _c("contact_email", "Email", "thư điện tử", "e-mail"),
        PROVINCE,
        _c("status", "Trạng thái", "status", convert=cv.status),
        _c("source", "Nguồn", "source"),
    ),
    "experts": (
        _c("code", "Mã", "mã chuyên gia", "code", required=True),
        _c("name", "Họ và tên", "họ tên", "tên", "name", required=True),
        _c("title", "Học hàm/học vị", "học hàm học vị", "học vị", "chức danh", "title"),
        _c("organisation", "Cơ quan", "đơn vị công tác", "tổ chức", "organisation"),
        _c("fields", "Chuyên môn", "lĩnh vực chuyên môn", "fields", convert=cv.text_list),
        _c("sectors", "Lĩnh vực", "sectors", convert=cv.sectors),
        _c("bio", "Giới thiệu", "tiểu sử", "bio"),
        _c("languages", "Ngôn ngữ", "languages", convert=cv.text_list),
        _c("foreign", "Nước ngoài", "chuyên gia nước ngoài", "foreign", convert=cv.boolean),
        PROVINCE,
        _c("country", "Quốc gia", "nước", "country"),
        _c("contact_email", "Email", "thư điện tử", "e-mail"),
        _c("contact_phone", "Điện thoại", "số điện thoại", "sđt", "phone", convert=cv.phone),
        _c("consent_contact", "Đồng ý liên hệ", "consent_contact", convert=_consent),
    ),
    "events": (
        _c("code", "Mã", "mã sự kiện", "code", required=True),
        _c("kind", "Loại", "loại sự kiện", "kind", convert=cv.event_kind),
        _c("title", "Tên sự kiện", "tên", "title", required=True),
        _c("description", "Mô tả", "description"),
        _c("starts_at", "Bắt đầu", "thời gian bắt đầu", "ngày bắt đầu", "starts_at",
           required=True, convert=_start),
        _c("ends_at", "Kết thúc", "thời gian kết thúc", "ngày kết thúc", "ends_at", convert=_end),
        _c("venue", "Địa điểm", "venue", convert=cv.optional_text),
        _c("online_url", "Link trực tuyến", "đường dẫn trực tuyến", "link", "online_url",
           convert=cv.optional_text),
        PROVINCE,
        _c("sectors", "Lĩnh vực", "sectors", convert=cv.sectors),
        _c("organiser", "Đơn vị tổ chức", "ban tổ chức", "organiser"),
        _c("registration_deadline", "Hạn đăng ký", "registration_deadline", convert=_deadline),
        _c("capacity", "Số chỗ", "sức chứa", "số lượng", "capacity", convert=_capacity),
    ),
}
MODELS: dict[str, Any] = {"technologies": Technology, "experts": Expert, "events": Event}
KIND_NAMES = {"technologies": "công nghệ", "experts": "chuyên gia", "events": "sự kiện"}


def header_key(header: Any) -> str:
    """How a header cell is compared: plain, no "*", no parenthesised note, single spaces."""
    raw = plain(str(header or "")).replace("*", " ")
    raw = raw.split("(")[0]
    return " ".join(raw.replace("_", " ").split())


def header_map(kind: str) -> dict[str, Column]:
    table: dict[str, Column] = {}
    for col in LAYOUTS[kind]:
        for name in (col.header, col.key, *col.aliases):
            table.setdefault(header_key(name), col)
    return table


def clean(kind: str, raw: dict[str, Any]) -> dict[str, Any]:
    """Model attribute values of one record; ValueError (Vietnamese) names the first bad cell."""
    values: dict[str, Any] = {}
    for col in LAYOUTS[kind]:
        value = raw.get(col.key)
        if col.required and cv.is_empty(value):
            raise ValueError(f"thiếu “{col.header}”")
        try:
            values[col.key] = col.convert(value)
            _check_fits(kind, col.key, values[col.key])
        except ValueError as exc:
            raise ValueError(f"cột “{col.header}”: {exc}") from None
    values["code"] = values["code"].upper()
    contact = {k: values.pop(f"contact_{k}") for k in ("name", "phone", "email")
               if f"contact_{k}" in values}
    contact = {k: v for k, v in contact.items() if v}
    if kind == "technologies":
        values["provider_contact"] = contact
        values["source"] = values["source"] or "import"
        _check_prices(values)
    elif kind == "experts":
        values["contact"] = contact
        values["country"] = values["country"] or ("Việt Nam" if not values["foreign"] else "")
    else:
        _check_event_dates(values)
    return values


# Limits of cells stored in JSON (the others come from the column's String(n); Text gets
# MAX_TEXT_CELL): a 40,000-character title is a paste gone wrong, and PostgreSQL would refuse it.
MAX_TEXT_CELL = 20_000
MAX_LIST_ITEM = 200
JSON_LIMITS = {"contact_name": 200, "contact_phone": 32, "contact_email": 254}


def _limit(kind: str, key: str) -> int | None:
    if key in JSON_LIMITS:
        return JSON_LIMITS[key]
    column = MODELS[kind].__table__.columns.get(key)
    if column is None or not isinstance(column.type, String):
        return MAX_LIST_ITEM if column is not None else None
    return column.type.length or MAX_TEXT_CELL


def _check_fits(kind: str, key: str, value: Any) -> None:
    """Text within its column's length, numbers within its integer type."""
    if isinstance(value, int) and not isinstance(value, bool):
        column = MODELS[kind].__table__.columns.get(key)
        biggest = 2**63 - 1 if isinstance(getattr(column, "type", None), BigInteger) else 2**31 - 1
        if value > biggest:
            raise ValueError(f"số {value} quá lớn")
        return
    limit = _limit(kind, key)
    if limit is None:
        return
    items = value if isinstance(value, list) else [value]
    for item in items:
        if isinstance(item, str) and len(item) > limit:
            what = "một mục dài" if isinstance(value, list) else "dài"
            raise ValueError(f"{what} {_count(len(item))} ký tự, tối đa {_count(limit)} ký tự")


def _count(number: int) -> str:
    return f"{number:,}".replace(",", ".")  # 40.000, as Vietnamese write it


def _check_prices(values: dict[str, Any]) -> None:
    low, high = values.get("price_min"), values.get("price_max")
    if low is not None and high is not None and low > high:
        raise ValueError("“Giá từ” lớn hơn “Giá đến”")


def _check_event_dates(values: dict[str, Any]) -> None:
    start, end = values["starts_at"], values.get("ends_at")
    if end is not None and end < start:
        raise ValueError("“Kết thúc” trước “Bắt đầu”")
    deadline = values.get("registration_deadline")
    if deadline is not None and deadline > start:
        raise ValueError("“Hạn đăng ký” sau thời gian bắt đầu")


def flatten(kind: str, obj: Any) -> dict[str, Any]:
    """Raw record of a model row (inverse of `clean`), for export."""
    out = {col.key: getattr(obj, col.key, None) for col in LAYOUTS[kind]}
    contact = obj.provider_contact if kind == "technologies" else getattr(obj, "contact", None)
    for part in ("name", "phone", "email"):
        if f"contact_{part}" in out:
            out[f"contact_{part}"] = (contact or {}).get(part)
    return out
