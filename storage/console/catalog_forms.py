"""Experts and events created and edited from the web console's forms (technologies are in
`storage.console.catalog`). Values are checked here; a bad one raises InvalidValue with a
Vietnamese message for the form."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import select

from nlu.taxonomy import PROVINCE_BY_ID, SECTOR_BY_ID
from storage.console.paging import valid_id
from storage.convert import LOCAL_TZ
from storage.db import Database
from storage.errors import InvalidValue, NotFound
from storage.models import EVENT_KINDS, Event, Expert
from storage.sqltypes import utcnow

MODELS: dict[str, Any] = {"experts": Expert, "events": Event}
PREFIXES = {"experts": "CG-W", "events": "SK-W"}
NAMES = {"experts": "chuyên gia", "events": "sự kiện"}


def _text(form: dict[str, Any], key: str, limit: int) -> str:
    return str(form.get(key) or "").strip()[:limit]


def _list(form: dict[str, Any], key: str) -> list[str]:
    return [w.strip()[:100] for w in _text(form, key, 5000).split(";") if w.strip()][:30]


def _province(form: dict[str, Any]) -> str | None:
    value = _text(form, "province", 32) or None
    if value is not None and value not in PROVINCE_BY_ID:
        raise InvalidValue("Tỉnh/thành không hợp lệ.")
    return value


def _sectors(form: dict[str, Any]) -> list[str]:
    chosen = form.get("sectors") or []
    chosen = [chosen] if isinstance(chosen, str) else list(chosen)
    if any(s not in SECTOR_BY_ID for s in chosen):
        raise InvalidValue("Lĩnh vực không hợp lệ.")
    return chosen[:10]


def _moment(form: dict[str, Any], key: str, required: bool = False) -> datetime | None:
    raw = _text(form, key, 40)
    if not raw:
        if required:
            raise InvalidValue("Anh/chị vui lòng nhập ngày giờ bắt đầu.")
        return None
    try:
        return datetime.fromisoformat(raw).replace(tzinfo=LOCAL_TZ)
    except ValueError as bad:
        raise InvalidValue(f"Ngày giờ “{raw}” không hợp lệ.") from bad


def expert_values(form: dict[str, Any]) -> dict[str, Any]:
    name = _text(form, "name", 200)
    if not name:
        raise InvalidValue("Anh/chị vui lòng nhập họ tên chuyên gia.")
    contact = {k: _text(form, k, 200) for k in ("phone", "email") if _text(form, k, 200)}
    return {"name": name, "title": _text(form, "title", 64),
            "organisation": _text(form, "organisation", 300), "fields": _list(form, "fields"),
            "sectors": _sectors(form), "bio": _text(form, "bio", 10000),
            "province": _province(form), "country": _text(form, "country", 64) or "Việt Nam",
            "contact": contact, "consent_contact": form.get("consent_contact") == "1"}


def event_values(form: dict[str, Any]) -> dict[str, Any]:
    title = _text(form, "title", 300)
    if not title:
        raise InvalidValue("Anh/chị vui lòng nhập tên sự kiện.")
    kind = _text(form, "kind", 32) or "other"
    if kind not in EVENT_KINDS:
        raise InvalidValue("Loại sự kiện không hợp lệ.")
    starts, ends = _moment(form, "starts_at", required=True), _moment(form, "ends_at")
    if ends is not None and starts is not None and ends < starts:
        raise InvalidValue("Giờ kết thúc phải sau giờ bắt đầu.")
    capacity = _text(form, "capacity", 9)
    if capacity and not capacity.isdigit():
        raise InvalidValue("Số chỗ phải là một số nguyên.")
    return {"title": title, "kind": kind, "starts_at": starts, "ends_at": ends,
            "venue": _text(form, "venue", 300) or None,
            "online_url": _text(form, "online_url", 500) or None, "province": _province(form),
            "sectors": _sectors(form), "organiser": _text(form, "organiser", 300),
            "registration_deadline": _moment(form, "registration_deadline"),
            "capacity": int(capacity) if capacity else None,
            "description": _text(form, "description", 10000)}


async def get(db: Database, kind: str, item_id: int) -> Any:
    async with db.session() as s:
        found = await s.get(MODELS[kind], item_id) if valid_id(item_id) else None
    if found is None:
        raise NotFound(f"Không tìm thấy {NAMES[kind]} số {item_id}.")
    return found


async def set_archived(db: Database, kind: str, item_id: int, archived: bool) -> None:
    """Archive an expert (no longer suggested) or an event (off the lists, registration
    closed), or bring it back."""
    async with db.transaction() as s:
        item = await s.get(MODELS[kind], item_id) if valid_id(item_id) else None
        if item is None:
            raise NotFound(f"Không tìm thấy {NAMES[kind]} số {item_id}.")
        item.archived_at = utcnow() if archived else None
        item.updated_at = utcnow()  # the search index follows updated_at


async def _next_code(s: Any, kind: str) -> str:
    model, prefix = MODELS[kind], PREFIXES[kind]
    codes = (await s.execute(select(model.code).where(model.code.like(f"{prefix}%")))).scalars()
    numbers = [int(c[len(prefix):]) for c in codes if c[len(prefix):].isdigit()]
    return f"{prefix}{max(numbers, default=0) + 1:04d}"


async def save(db: Database, kind: str, item_id: int | None, form: dict[str, Any]) -> int:
    """Create (item_id None) or edit an expert or an event; returns its id."""
    values = expert_values(form) if kind == "experts" else event_values(form)
    async with db.transaction() as s:
        if item_id is None:
            item = MODELS[kind](code=await _next_code(s, kind), **values)
            s.add(item)
        else:
            item = await s.get(MODELS[kind], item_id) if valid_id(item_id) else None
            if item is None:
                raise NotFound(f"Không tìm thấy {NAMES[kind]} số {item_id}.")
            for key, value in values.items():
                setattr(item, key, value)
        await s.flush()
        return int(item.id)
