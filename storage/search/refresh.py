"""Keeping each kind's search index fresh without making a reply wait.

A `count(*), max(updated_at), max(id)` stamp of the table tells whether it changed since the
build; it is checked at once after any catalog write made through the ORM in this process (a
session hook bumps a generation counter), and otherwise at most every `recheck_seconds` (writes by
another process, e.g. `ketnoi import` while the bot runs, show up within that delay).

When the stamp moved, a rebuild starts in the background and the previous index keeps answering;
the new one replaces it in a single assignment once complete, so a query sees either the old
index or the new one, never half of each. Only the very first query of a kind waits, as there is
nothing to answer from yet. A large catalog is rebuilt in a separate process with its own
database connection: the build is CPU-bound Python (about a minute at 100,000 technologies) and
in a thread it would hold the GIL against the event loop, slowing every reply meanwhile; the
finished index comes back as a few numpy arrays. Rows are read in batches by id and indexed batch
by batch, so neither the rows nor the build hold much memory at once.
"""

from __future__ import annotations

import asyncio
import itertools
import logging
import multiprocessing
import os
import time
from collections.abc import Sequence
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass
from typing import Any

from sqlalchemy import event, func, or_, select, text
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, create_async_engine
from sqlalchemy.orm import Session
from sqlalchemy.pool import NullPool, StaticPool

from storage.models import Event, Expert, Technology
from storage.search.index import BM25Index, IndexBuilder
from storage.search.text import (
    EXPERT_WEIGHTS,
    TECH_WEIGHTS,
    province_words,
    row_fields,
    search_text,
    sector_words,
)

log = logging.getLogger(__name__)

BATCH_ROWS = 2000  # rows read per query while building
BUILD_NICENESS = 10
OWN_PROCESS_ROWS = 1000  # from this size on, rebuild in a separate process (start-up ~1-2 s)
MODELS: dict[str, Any] = {"technology": Technology, "expert": Expert}


@dataclass(slots=True)
class _Built:
    stamp: tuple[Any, ...]
    index: BM25Index
    generation: int
    checked_at: float


_CATALOG_MODELS = (Technology, Expert, Event)
_generation = itertools.count(1)
_current_generation = 0


def catalog_generation() -> int:
    return _current_generation


def _bump() -> None:
    global _current_generation
    _current_generation = next(_generation)


@event.listens_for(Session, "after_flush")
def _after_flush(session: Session, _ctx: Any) -> None:
    """Note catalog writes; bump now and again at commit, when other sessions can see them."""
    if any(isinstance(o, _CATALOG_MODELS)
           for o in itertools.chain(session.new, session.dirty, session.deleted)):
        session.info["catalog_changed"] = True
        _bump()


@event.listens_for(Session, "after_commit")
def _after_commit(session: Session) -> None:
    if session.info.pop("catalog_changed", False):
        _bump()


class CatalogIndexes:
    """The current index of each kind; one instance per process, used from one event loop."""

    def __init__(self, recheck_seconds: float = 5.0) -> None:
        self.recheck_seconds = recheck_seconds
        self._built: dict[str, _Built] = {}
        self._first_build: dict[str, asyncio.Lock] = {}
        self._rebuilds: dict[str, asyncio.Task[None]] = {}

    def invalidate(self) -> None:
        """Forget every index: the next query of each kind builds it again (and waits)."""
        self._built.clear()

    def current(self, kind: str) -> BM25Index | None:
        built = self._built.get(kind)
        return built.index if built else None

    async def wait_rebuilds(self) -> None:
        """Return once the rebuilds under way, if any, have swapped their index in."""
        running = [t for t in self._rebuilds.values() if not t.done()]
        if running:
            await asyncio.gather(*running, return_exceptions=True)

    async def get(self, session: AsyncSession, kind: str) -> BM25Index:
        """The index of `kind` ("technology" | "expert"); stale while a rebuild is under way."""
        built = self._built.get(kind)
        generation, now = catalog_generation(), time.monotonic()
        if (built is not None and built.generation == generation
                and now - built.checked_at < self.recheck_seconds):
            return built.index
        stamp = await _stamp(session, MODELS[kind])
        if built is not None and built.stamp == stamp:
            built.generation, built.checked_at = generation, now
            return built.index
        engine = session.bind
        if built is not None and isinstance(engine, AsyncEngine) and not _single_connection(
                engine):
            self._rebuild_in_background(engine, kind)
            return built.index
        async with self._first_build.setdefault(kind, asyncio.Lock()):
            built = self._built.get(kind)
            if built is None or built.stamp != stamp:
                index = await build(session, kind)
                built = self._built[kind] = _Built(stamp, index, generation, now)
            return built.index

    def _rebuild_in_background(self, engine: AsyncEngine, kind: str) -> None:
        task = self._rebuilds.get(kind)
        if task is None or task.done():
            self._rebuilds[kind] = asyncio.create_task(self._rebuild(engine, kind),
                                                       name=f"rebuild {kind} index")

    async def _rebuild(self, engine: AsyncEngine, kind: str) -> None:
        generation, started = catalog_generation(), time.monotonic()
        previous = self._built.get(kind)
        own_process = previous is not None and previous.index.size >= OWN_PROCESS_ROWS
        try:
            async with AsyncSession(engine) as session:
                stamp = await _stamp(session, MODELS[kind])  # before the rows: never too new
                if own_process:
                    url, search_path = await _connection_target(session, engine)
                else:
                    index = await build(session, kind)
            if own_process:
                index = await build_in_own_process(url, search_path, kind)
        except Exception:  # keep answering from the previous index; the next check retries
            log.exception("could not rebuild the %s search index", kind)
            return
        self._built[kind] = _Built(stamp, index, generation, started)
        log.info("%s search index rebuilt: %d rows in %.1f s", kind, index.size,
                 time.monotonic() - started)


async def _connection_target(session: AsyncSession,
                             engine: AsyncEngine) -> tuple[str, str | None]:
    """URL (with its password) and, on PostgreSQL, the search_path this session reads with."""
    url = engine.url.render_as_string(hide_password=False)
    if engine.dialect.name != "postgresql":
        return url, None
    return url, (await session.execute(text("select current_setting('search_path')"))).scalar()


async def build_in_own_process(url: str, search_path: str | None, kind: str) -> BM25Index:
    """Build the index in a fresh process (spawned: this one runs threads and an event loop).

    The build runs at a lower CPU priority: on a small server replies come first.
    """
    pool = ProcessPoolExecutor(1, mp_context=multiprocessing.get_context("spawn"),
                               initializer=os.nice, initargs=(BUILD_NICENESS,))
    try:
        return await asyncio.get_running_loop().run_in_executor(
            pool, _build_from_url, url, search_path, kind)
    finally:
        pool.shutdown(wait=False)


def _build_from_url(url: str, search_path: str | None, kind: str) -> BM25Index:
    """In the build process: its own engine, the same reading and indexing code."""
    async def run() -> BM25Index:
        connect_args = {"server_settings": {"search_path": search_path}} if search_path else {}
        engine = create_async_engine(url, poolclass=NullPool, connect_args=connect_args)
        try:
            async with AsyncSession(engine) as session:
                return await build(session, kind)
        finally:
            await engine.dispose()

    return asyncio.run(run())


def _single_connection(engine: AsyncEngine) -> bool:
    """An in-memory SQLite database lives in one shared connection: no second session on it."""
    return isinstance(engine.pool, StaticPool)


async def _stamp(session: AsyncSession, model: Any) -> tuple[Any, ...]:
    stmt = select(func.count(model.id), func.max(model.updated_at), func.max(model.id))
    return tuple((await session.execute(stmt)).one())


async def build(session: AsyncSession, kind: str) -> BM25Index:
    return await (_build_technologies(session) if kind == "technology"
                  else _build_experts(session))


async def _build_technologies(session: AsyncSession) -> BM25Index:
    published = Technology.status == "published"
    computed = await _compute_missing(session, Technology, published & or_(
        Technology.search_text.is_(None), Technology.search_text == ""))
    columns = (Technology.id, Technology.search_text, Technology.sector, Technology.province)
    builder, last = IndexBuilder(), 0
    while True:  # batches by id: bounded memory, and the rows stay in id order
        rows = (await session.execute(select(*columns).where(published, Technology.id > last)
                                      .order_by(Technology.id).limit(BATCH_ROWS))).all()
        if not rows:
            break
        last = rows[-1].id
        # Indexing is CPU-bound (seconds at 100,000 rows): a thread keeps other chats answered.
        await asyncio.to_thread(_add_technologies, builder, rows, computed)
    return await asyncio.to_thread(builder.finish)


def _add_technologies(builder: IndexBuilder, rows: Sequence[Any], computed: dict[int, str]) -> None:
    for r in rows:
        fields = row_fields(computed.get(r.id) or r.search_text or "", TECH_WEIGHTS,
                            (sector_words(r.sector), province_words(r.province)))
        builder.add(r.id, fields, [r.sector] if r.sector else [],
                    [r.province] if r.province else [])


async def _build_experts(session: AsyncSession) -> BM25Index:
    experts = list((await session.execute(select(Expert).where(Expert.archived_at.is_(None))
                                          .order_by(Expert.id))).scalars())
    fields = [row_fields(e.search_text or search_text(e.search_fields()), EXPERT_WEIGHTS,
                         (province_words(e.province),)) for e in experts]
    return await asyncio.to_thread(
        BM25Index, [e.id for e in experts], fields, [e.sectors or [] for e in experts],
        [[e.province] if e.province else [] for e in experts])


async def _compute_missing(session: AsyncSession, model: Any, where: Any) -> dict[int, str]:
    """Search words of rows written without them (raw SQL, rows older than the column)."""
    rows = (await session.execute(select(model).where(where))).scalars()
    return {r.id: search_text(r.search_fields()) for r in rows}
