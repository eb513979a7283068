"""The catalog in the web console: paged lists, the bot's own search, technology edits, import."""

from __future__ import annotations

import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from sqlalchemy import select

from nlu.taxonomy import PROVINCE_BY_ID, SECTOR_BY_ID
from storage.console.paging import PER_PAGE, Page, count, valid_id, window
from storage.db import Database
from storage.errors import InvalidValue, NotFound
from storage.importer import ImportReport, export_from, import_into
from storage.models import Event, Expert, Technology
from storage.repos.catalog import next_code
from storage.search import CatalogSearch

KINDS = {"technologies": Technology, "experts": Expert, "events": Event}  # as `ketnoi import`
KIND_NAMES = {"technologies": "Công nghệ", "experts": "Chuyên gia", "events": "Sự kiện"}
MAX_UPLOAD = 20 * 1024 * 1024


@dataclass(frozen=True, slots=True)
class CatalogRow:
    id: int
    code: str
    title: str
    detail: str  # provider, organisation or date and place
    status: str  # "published" | "pending_review" | "archived"


def _row(kind: str, obj: Any) -> CatalogRow:
    if kind == "technologies":
        return CatalogRow(obj.id, obj.code, obj.title, obj.provider or "", obj.status)
    status = "archived" if obj.archived_at is not None else "published"
    if kind == "experts":
        return CatalogRow(obj.id, obj.code, f"{obj.title} {obj.name}".strip(),
                          obj.organisation or "", status)
    when = obj.starts_at.strftime("%d/%m/%Y") if obj.starts_at else ""
    return CatalogRow(obj.id, obj.code, obj.title, f"{when} {obj.venue or ''}".strip(), status)


def model_of(kind: str) -> Any:
    if kind not in KINDS:
        raise NotFound("Không có danh mục này.")
    return KINDS[kind]


async def listing(db: Database, kind: str, number: int) -> Page[CatalogRow]:
    """One page of the catalog of `kind`, by code."""
    model = model_of(kind)
    stmt = select(model).order_by(model.code)
    async with db.session() as s:
        total = await count(s, stmt)
        rows = (await s.execute(window(stmt, number))).scalars().all()
    return Page([_row(kind, r) for r in rows], total, number)


async def search(db: Database, searcher: CatalogSearch, kind: str, query: str) -> list[CatalogRow]:
    """The bot's own ranking for `query` (the first 100 results)."""
    model_of(kind)
    query = query.strip()[:500]
    if kind == "technologies":
        hits = await searcher.technologies(db, query, k=PER_PAGE * 2)
    elif kind == "experts":
        hits = await searcher.experts(db, query, k=PER_PAGE * 2)
    else:
        hits = await searcher.events(db, query, k=PER_PAGE * 2)
    return [_row(kind, h.obj) for h in hits]


TECH_FIELDS = ("title", "summary", "description", "sector", "province", "provider", "keywords")


def _technology_values(form: dict[str, str]) -> dict[str, Any]:
    title = (form.get("title") or "").strip()[:300]
    if not title:
        raise InvalidValue("Anh/chị vui lòng nhập tên công nghệ.")
    sector = (form.get("sector") or "").strip() or None
    province = (form.get("province") or "").strip() or None
    if sector is not None and sector not in SECTOR_BY_ID:
        raise InvalidValue("Lĩnh vực không hợp lệ.")
    if province is not None and province not in PROVINCE_BY_ID:
        raise InvalidValue("Tỉnh/thành không hợp lệ.")
    keywords = [w.strip()[:100] for w in (form.get("keywords") or "").split(";") if w.strip()]
    return {"title": title, "summary": (form.get("summary") or "").strip()[:2000],
            "description": (form.get("description") or "").strip()[:20000],
            "sector": sector, "province": province,
            "provider": (form.get("provider") or "").strip()[:300], "keywords": keywords[:50]}


async def technology(db: Database, tech_id: int) -> Technology:
    async with db.session() as s:
        found = await s.get(Technology, tech_id) if valid_id(tech_id) else None
    if found is None:
        raise NotFound(f"Không tìm thấy công nghệ số {tech_id}.")
    return found


async def save_technology(db: Database, tech_id: int | None, form: dict[str, str]) -> int:
    """Create (tech_id None) or edit a technology from the console's form; returns its id."""
    values = _technology_values(form)
    async with db.transaction() as s:
        if tech_id is None:
            tech = Technology(code=await next_code(s, "CN-W"), source="manual",
                              status="published", **values)
            s.add(tech)
        else:
            found = await s.get(Technology, tech_id) if valid_id(tech_id) else None
            if found is None:
                raise NotFound(f"Không tìm thấy công nghệ số {tech_id}.")
            tech = found
            for key, value in values.items():
                setattr(tech, key, value)
        await s.flush()
        return tech.id


async def set_archived(db: Database, tech_id: int, archived: bool) -> None:
    """Archive a technology (the bot stops offering it) or publish it again."""
    async with db.transaction() as s:
        tech = await s.get(Technology, tech_id) if valid_id(tech_id) else None
        if tech is None:
            raise NotFound(f"Không tìm thấy công nghệ số {tech_id}.")
        tech.status = "archived" if archived else "published"


async def import_upload(db: Database, kind: str, filename: str, content: bytes) -> ImportReport:
    """Import an uploaded spreadsheet (XLSX or CSV) like `ketnoi import` does."""
    model_of(kind)
    suffix = Path(filename or "").suffix.lower()
    if suffix not in (".xlsx", ".xlsm", ".csv"):
        raise InvalidValue("Anh/chị vui lòng chọn tệp .xlsx hoặc .csv.")
    if len(content) > MAX_UPLOAD:
        raise InvalidValue("Tệp quá lớn (tối đa 20 MB).")
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / f"upload{suffix}"
        path.write_bytes(content)
        return await import_into(db, kind, path)


async def export_sheet(db: Database, kind: str, suffix: str) -> bytes:
    """The whole catalog of `kind` in the import's columns, like `ketnoi export`."""
    model_of(kind)
    if suffix not in ("xlsx", "csv"):
        raise InvalidValue("Chỉ xuất được tệp .xlsx hoặc .csv.")
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / f"{kind}.{suffix}"
        await export_from(db, kind, path)
        return path.read_bytes()
