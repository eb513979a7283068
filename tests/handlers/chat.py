"""The chat harness of the handler tests: a real `App` driven message by message, as a channel
adapter drives it, with storage reachable for assertions.

    bot = await open_bot()                                    # fixture: demo catalog, real clock
    bot = await open_bot(event(...), seeded=False, now=NOW)   # empty tables + these rows, fixed clock
    bot = await open_bot(database="postgresql")               # a schema of its own on PostgreSQL
    chat = bot.chat("u1", name="Lan")
    await chat.send("cần công nghệ sấy vải")                   # text or /command (or kind=STICKER...)
    await chat.press("Xác nhận")                               # a button of the last replies, by label
    await chat.press_payload("ev:reg:HT-BN")                   # any payload, stale or forged too
    chat.text, chat.buttons, chat.labels, chat.payloads        # what the user sees now
    [demand] = await bot.demands()                             # storage, for assertions
    await bot.restart()                                        # a new App on the same database

The fixtures (`open_bot`, `bot`, `chat`, and `any_bot` for SQLite then PostgreSQL) are in
conftest.py; `Bot.open(directory, nlu, ...)` works without them. The same `Chat` drives any `App`,
e.g. `memory_app(router, nlu=StubNlu({...}))`: just the routers of a test, states in memory, no
database (tests/handlers/test_form_engine.py).
"""

from __future__ import annotations

import asyncio
import functools
import os
import shutil
import tempfile
import uuid
from collections.abc import Awaitable, Callable, Iterable
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any, TypeVar

import pytest
from sqlalchemy import select
from sqlalchemy.exc import DBAPIError

from bot.app import App
from bot.config import Settings
from bot.types import Button, ContentKind, Incoming, Outgoing
from handlers.base import Router, Services
from handlers.dispatch import Dispatcher
from nlu.api import EmbeddedBackend, load_engine
from storage.db import Database
from storage.models import Base, ConnectionPoint, Demand, Event, User
from storage.repos import catalog, demands, registrations, users
from storage.seed import seed_database
from storage.state import MemoryStateStore

# A Wednesday, 10:00 in Vietnam (03:00 UTC): inside working hours.
NOW = datetime(2026, 11, 25, 3, 0, tzinfo=UTC)

M = TypeVar("M", bound=Base)
OpenBot = Callable[..., Awaitable["Bot"]]  # `open_bot` fixture: (*rows, seeded, now, database)


def sqlite_url(path: Path) -> str:
    return f"sqlite+aiosqlite:///{path}"


# --- databases and the NLU, built once per test process ---------------------------------------
def _build(path: Path, seeded: bool) -> Path:
    async def build() -> None:
        db = Database(sqlite_url(path))
        await db.upgrade()
        if seeded:
            await seed_database(db)
        await db.dispose()

    # In its own thread: this may be called from inside a running event loop (async fixtures).
    with ThreadPoolExecutor(1) as pool:
        pool.submit(asyncio.run, build()).result()
    return path


@functools.cache
def template(seeded: bool = True) -> Path:
    """A migrated database (with the demo catalog when `seeded`), copied for each test."""
    name = "seeded.db" if seeded else "empty.db"
    return _build(Path(tempfile.mkdtemp(prefix="ketnoi-template-")) / name, seeded)


def copy_db(target: Path, seeded: bool = True) -> str:
    """A fresh copy of the template at `target`; returns its database URL."""
    shutil.copy(template(seeded), target)
    return sqlite_url(target)


@functools.cache
def shared_nlu() -> EmbeddedBackend:
    """One trained engine per test process (trained into var/nlu-model when missing)."""
    return EmbeddedBackend(engine=load_engine())


async def make_app(url: str, nlu: Any = None, now: datetime | None = None,
                   db: Database | None = None) -> App:
    """An App on the database at `url` (migrated on start), optionally with a fixed clock."""
    app = await App.create(Settings(database_url=url), db=db, nlu=nlu or shared_nlu())
    if now is not None:
        app.services.clock = lambda: now
    return app


async def fresh_app(directory: Path, seeded: bool = True) -> App:
    """An App on a fresh copy of the (seeded) database in `directory`."""
    return await make_app(copy_db(directory / "ketnoi.db", seeded))


# --- PostgreSQL: a schema of its own per bot -------------------------------------------------------
PG_URL = os.environ.get("KETNOI_TEST_POSTGRES_URL",
                        "postgresql+asyncpg://postgres@127.0.0.1:5432/test")


async def _pg_schema() -> str:
    """A new empty schema; skips the test when the server is unreachable, fails if required."""
    schema = f"chat_{uuid.uuid4().hex[:12]}"
    admin = Database(PG_URL)
    try:
        async with asyncio.timeout(10), admin.engine.begin() as conn:
            await conn.exec_driver_sql(f'CREATE SCHEMA "{schema}"')
    except (OSError, TimeoutError, DBAPIError) as exc:
        if os.environ.get("KETNOI_REQUIRE_POSTGRES") == "1":
            pytest.fail(f"PostgreSQL is required but unreachable at {PG_URL}: {exc}")
        pytest.skip(f"PostgreSQL unreachable at {PG_URL}")
    finally:
        await admin.dispose()
    return schema


async def _drop_pg_schema(schema: str) -> None:
    admin = Database(PG_URL)
    try:
        async with admin.engine.begin() as conn:
            await conn.exec_driver_sql(f'DROP SCHEMA "{schema}" CASCADE')
    finally:
        await admin.dispose()


# --- the bot under test ------------------------------------------------------------------------
class Bot:
    """An App on a database of its own (a SQLite file, or a PostgreSQL schema), plus what tests
    need to seed and read its storage."""

    def __init__(self, app: App, url: str, nlu: Any, now: datetime | None, *,
                 path: Path | None = None, schema: str | None = None) -> None:
        self.app, self.url, self.nlu, self.now = app, url, nlu, now
        self.path, self.schema = path, schema  # the SQLite file | the PostgreSQL schema

    @classmethod
    async def open(cls, directory: Path, nlu: Any = None, *, seeded: bool = True,
                   now: datetime | None = None, database: str = "sqlite") -> Bot:
        """A bot on a fresh database, "sqlite" (a file in `directory`) or "postgresql" (a schema
        on KETNOI_TEST_POSTGRES_URL): the demo catalog, or empty tables."""
        if database == "postgresql":
            return await cls._open_postgresql(nlu, seeded, now)
        directory.mkdir(parents=True, exist_ok=True)
        path = directory / "ketnoi.db"
        url = copy_db(path, seeded)
        return cls(await make_app(url, nlu, now), url, nlu, now, path=path)

    @classmethod
    async def _open_postgresql(cls, nlu: Any, seeded: bool, now: datetime | None) -> Bot:
        schema = await _pg_schema()
        try:
            app = await make_app(PG_URL, nlu, now, Database(PG_URL, schema=schema))
        except BaseException:
            await _drop_pg_schema(schema)
            raise
        bot = cls(app, PG_URL, nlu, now, schema=schema)
        if seeded:
            await seed_database(bot.db)  # as the SQLite template is seeded
        return bot

    @property
    def db(self) -> Database:
        return self.app.services.db

    def chat(self, user: str = "u1", name: str | None = None, channel: str = "console") -> Chat:
        return Chat(self.app, user, name=name, channel=channel)

    async def restart(self) -> Bot:
        """Close this App and start a new one on the same database (a process restart)."""
        await self.app.close()
        db = Database(self.url, schema=self.schema) if self.schema else None
        self.app = await make_app(self.url, self.nlu, self.now, db)
        return self

    async def close(self) -> None:
        await self.app.close()
        if self.schema:
            await _drop_pg_schema(self.schema)

    # --- seeding ---------------------------------------------------------------------------
    async def add(self, *rows: Base) -> None:
        """Store model rows (events, connection points, users...) in one transaction."""
        async with self.db.transaction() as s:
            s.add_all(rows)

    async def add_user(self, external_id: str = "u1", channel: str = "console",
                       **fields: Any) -> User:
        """A known user (contact data, consent...) before they write."""
        user = User(channel=channel, external_id=external_id, **fields)
        await self.add(user)
        return user

    async def add_demand(self, user: User, type: str = "find_technology", raw_text: str = "", *,
                         status: str = "new", created_at: datetime | None = None,
                         status_changed_at: datetime | None = None, **fields: Any) -> Demand:
        """A demand sent earlier by `user` (through the storage function the bot uses), then
        moved to `status`; the dates default to storage's own."""
        async with self.db.transaction() as s:
            demand = await demands.create(s, user.id, type, raw_text, commit=False, **fields)
            if created_at is not None:
                demand.created_at = created_at
            if status != "new":
                await demands.change_status(s, demand, status)
                if status_changed_at is not None:
                    demand.history[-1].changed_at = status_changed_at
        return demand

    # --- reading, for assertions -------------------------------------------------------------
    async def rows(self, model: type[M]) -> list[M]:
        """Every row of a table, oldest first."""
        async with self.db.session() as s:
            return list((await s.execute(select(model).order_by(model.id))).scalars())  # type: ignore[attr-defined]

    async def demands(self) -> list[Demand]:
        return await self.rows(Demand)

    async def user(self, external_id: str = "u1", channel: str = "console") -> User | None:
        async with self.db.session() as s:
            return await users.find(s, channel, external_id)

    async def registrations(self, event_code: str) -> int:
        """How many people are registered for the event."""
        async with self.db.session() as s:
            return await registrations.count(s, await catalog.require_event(s, event_code))


# --- the engine alone: memory state store, stub NLU, the routers a test declares ------------------
class StubNlu:
    """Rasa-shaped parses chosen by the test: `StubNlu({"text": ("intent", 0.95)})`, optionally
    with entities as a third item; any other text is `nlu_fallback` at 0.2."""

    def __init__(self, parses: dict[str, tuple[Any, ...]] | None = None) -> None:
        self.parses = dict(parses or {})
        self.seen: list[str] = []  # texts the dispatcher asked about, in order

    async def parse(self, text: str) -> dict[str, Any]:
        self.seen.append(text)
        name, confidence, *rest = self.parses.get(text, ("nlu_fallback", 0.2))
        entities = [{"entity": e, "value": v, "start": 0, "end": len(text), "confidence": 1.0}
                    for e, v in (rest[0] if rest else {}).items()]
        intent = {"name": name, "confidence": confidence}
        return {"text": text, "intent": intent, "intent_ranking": [intent], "entities": entities}


def memory_app(*routers: Router, nlu: StubNlu | None = None) -> App:
    """An App of just these routers, states kept in memory, no database and no model."""
    services = Services(db=None, nlu=nlu or StubNlu(), states=MemoryStateStore())  # type: ignore[arg-type]
    return App(services, Dispatcher(routers))


# --- one user talking ---------------------------------------------------------------------------
class Chat:
    """One user talking to an App; keeps the replies to the last message."""

    def __init__(self, app: App, user: str = "u1", *, name: str | None = None,
                 channel: str = "console") -> None:
        self.app, self.user, self.name, self.channel = app, user, name, channel
        self.replies: list[Outgoing] = []

    def incoming(self, text: str = "", kind: ContentKind = ContentKind.TEXT,
                 payload: str | None = None, update_id: str | None = None) -> Incoming:
        """What an adapter would hand to the app for this message ("/..." is a command)."""
        if kind == ContentKind.TEXT and text.startswith("/"):
            kind = ContentKind.COMMAND
        return Incoming(self.channel, self.user, self.user, text=text, user_name=self.name,
                        payload=payload, kind=kind, update_id=update_id,
                        time=self.app.services.clock())

    async def send(self, text: str = "", kind: ContentKind = ContentKind.TEXT,
                   payload: str | None = None, update_id: str | None = None, *,
                   quiet: bool = False) -> list[Outgoing]:
        """Send a message; every message gets an answer, except a re-delivered update and
        (`quiet`) a message relayed to a person."""
        self.replies = await self.app.handle(self.incoming(text, kind, payload, update_id))
        if quiet:
            assert not self.replies, f"unexpected reply to {text!r}: {self.text}"
        elif update_id is None:
            assert self.replies, f"no reply to {text or payload!r}"
        return self.replies

    async def press(self, label: str) -> list[Outgoing]:
        """Press a button of the last replies by its label: the exact label, else the first
        starting with `label`, else the first containing it (case-insensitive)."""
        button = self.button(label)
        return await self.send(button.label, ContentKind.BUTTON, button.payload)

    async def press_payload(self, payload: str) -> list[Outgoing]:
        """Press a button with this payload, shown or not (stale and forged buttons too)."""
        return await self.send("", ContentKind.BUTTON, payload)

    def button(self, label: str) -> Button:
        wanted = label.casefold()
        for fits in (str.__eq__, str.startswith, str.__contains__):
            for button in self.buttons:
                if fits(button.label.casefold(), wanted):
                    return button
        raise AssertionError(f"no button {label!r} in {self.labels}")

    def has_button(self, label: str) -> bool:
        try:
            self.button(label)
        except AssertionError:
            return False
        return True

    @property
    def text(self) -> str:
        return "\n\n".join(r.text for r in self.replies)

    @property
    def buttons(self) -> list[Button]:
        return [b for r in self.replies for b in r.buttons]

    @property
    def labels(self) -> list[str]:
        return [b.label for b in self.buttons]

    @property
    def payloads(self) -> list[str]:
        return [b.payload for b in self.buttons]


# --- rows to seed ---------------------------------------------------------------------------------
def event(code: str, *, days: float, kind: str = "workshop", province: str | None = "bac_ninh",
          sectors: Iterable[str] = ("agri_processing",), capacity: int | None = None,
          deadline_days: float | None = None, title: str | None = None) -> Event:
    """An event `days` after NOW (negative: already held)."""
    return Event(
        code=code, kind=kind, title=title or f"Sự kiện {code}", starts_at=NOW + timedelta(days=days),
        venue="Hội trường Sở KH&CN", province=province, sectors=list(sectors),
        capacity=capacity, organiser="Sở KH&CN",
        registration_deadline=None if deadline_days is None else NOW + timedelta(days=deadline_days),
    )


def connection_point() -> ConnectionPoint:
    return ConnectionPoint(code="DKN-BN", name="Điểm kết nối Bắc Ninh", provinces=["bac_ninh"],
                           contact={"phone": "02043000000"})


# --- a demand told in one message, used by several files --------------------------------------------
# A find_technology demand naming product, place and budget: only organisation and contact are asked.
ACCEPTANCE = "cty minh o bac giang can cong nghe say vai thieu, kinh phi khoang 500 trieu"


async def finish_contact(chat: Chat, org: str = "Công ty TNHH Minh Phát",
                         contact: str = "0912 345 678") -> None:
    """Answer the organisation, contact and consent questions; ends at the summary."""
    assert "tên doanh nghiệp" in chat.text
    await chat.send(org)
    assert "số điện thoại hoặc email" in chat.text
    await chat.send(contact)
    assert "đồng ý để trung tâm" in chat.text.lower()
    await chat.press("Đồng ý")
    assert "kiểm tra lại" in chat.text
