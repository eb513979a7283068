"""`ketnoi seed`: load the demo catalog (storage/seed_data/*.yml) idempotently, upserting by code.

Event dates in the YAML are relative to the seeding day (starts_in_days, local start_time), so a
freshly seeded database always has upcoming events; seeding again on another day moves them.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Any

import yaml
from sqlalchemy.ext.asyncio import AsyncSession

from storage import convert as cv
from storage.errors import ImportFileError
from storage.models import ConnectionPoint
from storage.records import clean
from storage.upsert import UpsertCount, upsert

if TYPE_CHECKING:
    from storage.db import Database

SEED_DIR = Path(__file__).parent / "seed_data"
FILES = {"technologies": "technologies.yml", "experts": "experts.yml", "events": "events.yml",
         "connection_points": "connection_points.yml"}


@dataclass(slots=True)
class SeedReport:
    counts: dict[str, UpsertCount] = field(default_factory=dict)


def _load(path: Path) -> list[dict[str, Any]]:
    if not path.exists():
        return []
    data = yaml.safe_load(path.read_text(encoding="utf-8")) or []
    if not isinstance(data, list) or not all(isinstance(x, dict) for x in data):
        raise ImportFileError(f"{path.name}: cần một danh sách các mục.")
    return data


def _flat_contact(item: dict[str, Any], key: str) -> dict[str, Any]:
    raw = dict(item)
    for part, value in (raw.pop(key, None) or {}).items():
        raw[f"contact_{part}"] = value
    return raw


def _event_raw(item: dict[str, Any], today: date) -> dict[str, Any]:
    raw = dict(item)
    hour, minute = (int(x) for x in str(raw.pop("start_time", "08:00")).split(":")[:2])
    start = datetime.combine(today + timedelta(days=int(raw.pop("starts_in_days"))),
                             time(hour, minute), tzinfo=cv.LOCAL_TZ)
    raw["starts_at"] = start
    hours = raw.pop("duration_hours", None)
    raw["ends_at"] = start + timedelta(hours=float(hours)) if hours else None
    closes = raw.pop("registration_closes_days_before", None)
    if closes is not None:  # registration closes at the end of that day, local time
        day = start.date() - timedelta(days=int(closes))
        raw["registration_deadline"] = min(
            start, datetime.combine(day, time(23, 59), tzinfo=cv.LOCAL_TZ))
    return raw


def _records(kind: str, items: list[dict[str, Any]], today: date) -> list[dict[str, Any]]:
    out = []
    for n, item in enumerate(items, 1):
        if kind == "technologies":
            raw = _flat_contact(item, "provider_contact")
        elif kind == "experts":
            raw = _flat_contact(item, "contact")
        else:
            raw = _event_raw(item, today)
        try:
            out.append(clean(kind, raw))
        except (ValueError, KeyError, TypeError) as exc:
            raise ImportFileError(f"{FILES[kind]}, mục {n} ({item.get('code')}): {exc}") from None
    return out


def _point_records(items: list[dict[str, Any]]) -> list[dict[str, Any]]:
    out = []
    for item in items:
        provinces = ["*" if p == "*" else cv.province(p) for p in item.get("provinces") or []]
        out.append({"code": str(item["code"]).upper(), "name": cv.text(item["name"]),
                    "organisation": cv.text(item.get("organisation")),
                    "provinces": [p for p in provinces if p],
                    "contact": dict(item.get("contact") or {})})
    return out


async def seed(session: AsyncSession, directory: Path | None = None,
               today: date | None = None) -> SeedReport:
    """Upsert every seed file (flushes; the caller commits, so a bad file writes nothing)."""
    directory = directory or SEED_DIR
    today = today or datetime.now(cv.LOCAL_TZ).date()
    report = SeedReport()
    for kind in ("technologies", "experts", "events"):
        records = _records(kind, _load(directory / FILES[kind]), today)
        report.counts[kind] = await upsert(session, kind, records)
    points = _point_records(_load(directory / FILES["connection_points"]))
    report.counts["connection_points"] = await upsert(session, "connection_points", points,
                                                      model=ConnectionPoint)
    return report


async def seed_database(db: Database, directory: Path | None = None,
                        today: date | None = None) -> SeedReport:
    """`seed` in its own transaction (`ketnoi seed`)."""
    async with db.transaction() as s:
        return await seed(s, directory, today)
