"""`CatalogSearch`: ranked technologies, experts and upcoming events for a free-text demand.

Province and sector are **boosts** by default (a technology from another province can still be
the best answer); `strict=True` turns them into filters (the CLI's `--province`/`--sector`).
A province named in the query itself ("sấy vải ở Bắc Giang") is a boost too. Unknown province
or sector: ignored as a boost, `InvalidValue` (Vietnamese message) as a filter.

Each kind has its own in-memory index (`storage.search.index`), rebuilt in the background when
the catalog changes while the previous one keeps answering (`storage.search.refresh`).
"""

from __future__ import annotations

import math
from collections.abc import AsyncIterator, Sequence
from contextlib import asynccontextmanager
from datetime import datetime
from typing import TYPE_CHECKING, Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from nlu.taxonomy import find_province, find_sector
from storage import convert as cv
from storage.errors import InvalidValue
from storage.models import Event, Expert, Technology
from storage.search.hits import (
    Hit,
    accent_mismatches,
    accented_words,
    province_name,
    reason,
    sector_name,
)
from storage.search.index import BM25Index, Fields
from storage.search.refresh import CatalogIndexes
from storage.search.text import (
    KIND_NOISE,
    MAX_QUERY_CHARS,
    province_words,
    provinces_in_query,
    query_terms,
    query_words,
    row_fields,
    search_text,
    sector_words,
    sectors_in_query,
)
from storage.sqltypes import utcnow

if TYPE_CHECKING:
    from storage.db import Database

MAX_K = 100
EVENT_HORIZON_DAYS = 45.0  # date weight halves roughly every month
ACCENT_POOL = 3  # candidates per shown hit when some query word has diacritics
TOPIC_MIN = 0.25  # an event matching far worse than the best one counts as off-topic
EVENT_INDEXES_KEPT = 8  # lists of upcoming events (by kind, by province) indexed lately


def resolve_province(value: str | None, *, strict: bool) -> str | None:
    if not value or not value.strip():
        return None
    province = find_province(value)
    if province is None and strict:
        raise InvalidValue(f"Không nhận ra tỉnh/thành “{value[:60]}”. Anh/chị vui lòng nhập tên "
                           "tỉnh/thành (ví dụ: Bắc Ninh, TP. Hồ Chí Minh).")
    return province.id if province else None


def resolve_sector(value: str | None, *, strict: bool) -> str | None:
    if not value or not value.strip():
        return None
    sector = find_sector(value)
    if sector is None and strict:
        raise InvalidValue(f"Không nhận ra lĩnh vực “{value[:60]}”. Anh/chị có thể dùng mã lĩnh "
                           "vực (ví dụ: post_harvest) hoặc tên lĩnh vực.")
    return sector.id if sector else None


def resolve_event_kind(value: str | None) -> str | None:
    if not value or not value.strip():
        return None
    try:
        return cv.event_kind(value)
    except ValueError:
        raise InvalidValue(f"Không nhận ra loại sự kiện “{value[:60]}”. Các loại: techmart, "
                           "techdemo, techfest, workshop, training, connection_session.") from None


@asynccontextmanager
async def _reading(source: AsyncSession | Database) -> AsyncIterator[AsyncSession]:
    """The session given, or one of the `Database` given (the dialogue passes its database)."""
    if isinstance(source, AsyncSession):
        yield source
        return
    async with source.session() as session:
        yield session


class CatalogSearch:
    """Share one instance per process; it is safe for concurrent use from one event loop.

    Each search takes a session, or the `Database` (then it opens its own session to read)."""

    def __init__(self, recheck_seconds: float = 5.0) -> None:
        self.indexes = CatalogIndexes(recheck_seconds)
        self._event_fields: dict[tuple[int, datetime], Fields] = {}
        self._event_indexes: dict[tuple[Any, ...], BM25Index] = {}

    def invalidate(self) -> None:
        self.indexes.invalidate()

    async def index_for(self, session: AsyncSession, kind: str) -> BM25Index:
        """The index of `kind` ("technology" | "expert"); see `storage.search.refresh`."""
        return await self.indexes.get(session, kind)

    async def wait_rebuilds(self) -> None:
        """Return once background index rebuilds under way have been swapped in."""
        await self.indexes.wait_rebuilds()

    async def everything(
        self, source: AsyncSession | Database, query: str, *, technologies: int = 5,
        experts: int = 5, events: int = 5, province: str | None = None,
        sector: str | None = None, now: datetime | None = None,
    ) -> tuple[list[Hit], list[Hit], list[Hit]]:
        """Technologies, experts and upcoming events for one query, read in one session."""
        where: dict[str, Any] = {"province": province, "sector": sector}
        async with _reading(source) as session:
            return (await self.technologies(session, query, k=technologies, **where),
                    await self.experts(session, query, k=experts, **where),
                    await self.events(session, query, k=events, now=now, **where))

    async def technologies(
        self, source: AsyncSession | Database, query: str, province: str | None = None,
        sector: str | None = None, k: int = 5, *, strict: bool = False,
    ) -> list[Hit]:
        async with _reading(source) as session:
            return await self._search(session, "technology", query, province, sector, k, strict)

    async def experts(
        self, source: AsyncSession | Database, query: str, province: str | None = None,
        sector: str | None = None, k: int = 5, *, strict: bool = False,
    ) -> list[Hit]:
        async with _reading(source) as session:
            return await self._search(session, "expert", query, province, sector, k, strict)

    async def _search(self, session: AsyncSession, kind: str, query: str, province: str | None,
                      sector: str | None, k: int, strict: bool) -> list[Hit]:
        province_id = resolve_province(province, strict=strict)
        sector_id = resolve_sector(sector, strict=strict)
        k = max(0, min(int(k), MAX_K))
        words = query_words(query, KIND_NOISE[kind])
        terms = query_terms(words)
        boost_province = province_id or next(iter(provinces_in_query(query)), None)
        index = await self.index_for(session, kind)
        if terms:
            # more candidates than shown: some may only match a word with other diacritics
            pool = min(MAX_K, k * ACCENT_POOL) if accented_words(query[:MAX_QUERY_CHARS]) else k
            scored = index.search(terms, pool, sector=sector_id, province=boost_province,
                                  filter_sector=strict and sector_id is not None,
                                  filter_province=strict and province_id is not None,
                                  implied_sectors=sectors_in_query(words))
            ranked = [(s.row_id, s.score, s.matched) for s in scored]
        elif sector_id or province_id:  # no words, only filters: list what matches them
            ranked = [(r, 0.0, ()) for r in index.rows_with(sector=sector_id,
                                                            province=province_id)[:k]]
        else:
            return []
        model: Any = Technology if kind == "technology" else Expert
        rows = {r.id: r for r in (await session.execute(
            select(model).where(model.id.in_([r for r, _, _ in ranked])))).scalars()}
        ranked = _prefer_accents(query, [x for x in ranked if x[0] in rows], rows)[:k]
        return [_hit(kind, rows[r], score, matched, words) for r, score, matched in ranked]

    async def events(
        self, source: AsyncSession | Database, query: str = "", kind: str | None = None,
        province: str | None = None, sector: str | None = None, k: int = 5,
        now: datetime | None = None, *, strict: bool = False,
    ) -> list[Hit]:
        """Upcoming events: topic matches first, sooner before later; boosts as above.

        `kind` (id or Vietnamese name, "hội thảo" → workshop) always filters.
        """
        province_id = resolve_province(province, strict=strict)
        sector_id = resolve_sector(sector, strict=strict)
        kind_id = resolve_event_kind(kind)
        now = now or utcnow()
        stmt = (select(Event).where(Event.starts_at >= now, Event.archived_at.is_(None))
                .order_by(Event.starts_at, Event.id))
        if kind_id:
            stmt = stmt.where(Event.kind == kind_id)
        if strict and province_id:
            stmt = stmt.where(Event.province == province_id)
        async with _reading(source) as session:
            events = list((await session.execute(stmt)).scalars())
        if strict and sector_id:
            events = [e for e in events if sector_id in (e.sectors or [])]
        words = query_words(query, KIND_NOISE["event"])
        topic = self._event_topics(events, query_terms(words))
        ranked = sorted(events, key=lambda e: -_event_score(e, topic.get(e.id), now,
                                                            sector_id, province_id))
        return [_event_hit(e, topic.get(e.id), now, words)
                for e in ranked[:max(0, min(k, MAX_K))]]

    def _event_topics(self, events: Sequence[Event],
                      terms: list[str]) -> dict[int, tuple[float, tuple[str, ...]]]:
        """Topic score (0..1, relative to the best event) of events matching the query well."""
        if not terms or not events:
            return {}
        top = self._event_index(events).search(terms, len(events))
        best = max((s.score for s in top), default=0.0) or 1.0
        return {s.row_id: (s.score / best, s.matched) for s in top
                if s.score / best >= TOPIC_MIN}

    def _event_index(self, events: Sequence[Event]) -> BM25Index:
        """The index of these upcoming events, built once for as long as they stay the same (a
        changed event has another `updated_at`): building it was most of an events search."""
        key = tuple((e.id, e.updated_at, e.province, tuple(e.sectors or ())) for e in events)
        index = self._event_indexes.get(key)
        if index is None:
            if len(self._event_indexes) >= EVENT_INDEXES_KEPT:
                self._event_indexes.pop(next(iter(self._event_indexes)))
            index = self._event_indexes[key] = BM25Index(
                [e.id for e in events], [self._fields_of_event(e) for e in events],
                [e.sectors or [] for e in events],
                [[e.province] if e.province else [] for e in events])
        return index

    def _fields_of_event(self, e: Event) -> Fields:
        key = (e.id, e.updated_at)
        if key not in self._event_fields:
            if len(self._event_fields) > 5000:
                self._event_fields.clear()
            stored = search_text((e.title, e.description, e.organiser, e.venue))
            meta = [sector_words(s) for s in e.sectors or []] + [province_words(e.province)]
            self._event_fields[key] = row_fields(stored, (3, 1, 1, 1), meta)
        return self._event_fields[key]


def _event_score(e: Event, topic: tuple[float, tuple[str, ...]] | None, now: datetime,
                 sector: str | None, province: str | None) -> float:
    days = max(0.0, (e.starts_at - now).total_seconds() / 86400)
    score = 0.4 * math.exp(-days / EVENT_HORIZON_DAYS)
    if topic:
        score += 1.0 + 0.6 * topic[0]
    if sector and sector in (e.sectors or []):
        score += 0.3
    if province and e.province == province:
        score += 0.3
    return score


def _event_hit(e: Event, topic: tuple[float, tuple[str, ...]] | None, now: datetime,
               words: Sequence[str]) -> Hit:
    days = (e.starts_at - now).days
    when = "sắp diễn ra" if days < 1 else f"còn {days} ngày"
    matched = topic[1] if topic else ()
    texts = (e.title, *(sector_name(s) or "" for s in e.sectors or []), e.description)
    return Hit("event", e, topic[0] if topic else 0.0,
               reason(words, matched, texts, e.sectors or [], e.province, (when,)), matched)


def _row_texts(row: Any) -> tuple[tuple[str, ...], tuple[str, ...]]:
    """(what the row's author wrote, the sector and province names the index adds)."""
    place = province_name(row.province) or ""
    if isinstance(row, Technology):
        return ((row.title, ", ".join(row.keywords or []), row.summary, row.description,
                 row.provider or ""), (sector_name(row.sector) or "", place))
    return ((row.name, row.title or "", ", ".join(row.fields or []), row.bio, row.organisation),
            (*(sector_name(s) or "" for s in row.sectors or []), place))


def _prefer_accents(query: str, ranked: list[tuple[int, float, tuple[str, ...]]],
                    rows: dict[int, Any]) -> list[tuple[int, float, tuple[str, ...]]]:
    """A word typed with diacritics counts only where the row has it so (or has no diacritics
    there): "nấm" does not match "Nam". A row is dropped when nothing else matched, and loses
    the share of its score that came from such words otherwise."""
    accented = accented_words(query[:MAX_QUERY_CHARS])
    if not accented:
        return ranked
    out = []
    for row_id, score, matched in ranked:
        wrong = accent_mismatches(accented, matched, *_row_texts(rows[row_id]))
        if not wrong:
            out.append((row_id, score, matched))
            continue
        kept = tuple(t for t in matched if t not in wrong)
        if kept:
            out.append((row_id, score * len(kept) / len(matched), kept))
    out.sort(key=lambda x: -x[1])
    return out


def _hit(kind: str, row: Any, score: float, matched: tuple[str, ...],
         words: Sequence[str]) -> Hit:
    if isinstance(row, Technology):
        texts: tuple[str, ...] = (row.title, ", ".join(row.keywords or []),
                                  sector_name(row.sector) or "", row.summary, row.description)
        return Hit(kind, row, score, reason(words, matched, texts, [row.sector] if row.sector else [],
                                            row.province), matched)
    extra = () if not row.foreign else (row.country,)
    texts = (", ".join(row.fields or []), *(sector_name(s) or "" for s in row.sectors or []),
             row.bio, row.organisation)
    return Hit(kind, row, score, reason(words, matched, texts, row.sectors or [], row.province,
                                        extra),
               matched)
