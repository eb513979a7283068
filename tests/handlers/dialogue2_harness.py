"""Shared helpers for dialogue-2's handler tests: a real App (SQLite file, embedded NLU, DB state
store) driven message by message, exactly as a channel adapter drives it."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from bot.app import App
from bot.config import Settings
from bot.types import ContentKind, Incoming, Outgoing
from storage.db import Database
from storage.models import ConnectionPoint, Event

# A Wednesday, 10:00 in Vietnam (03:00 UTC): inside working hours.
NOW = datetime(2026, 11, 25, 3, 0, tzinfo=UTC)


async def make_app(tmp: Path, nlu: Any, now: datetime = NOW) -> App:
    settings = Settings(database_url=f"sqlite+aiosqlite:///{tmp / 'bot.db'}")
    db = Database(settings.database_url)
    app = await App.create(settings, db=db, nlu=nlu, search=False)
    app.services.clock = lambda: now
    return app


class Chat:
    """One user talking to the app; keeps the last replies."""

    def __init__(self, app: App, user: str = "u1", name: str = "Lan", channel: str = "console"):
        self.app, self.user, self.name, self.channel = app, user, name, channel
        self.replies: list[Outgoing] = []

    async def _send(self, **kw: Any) -> list[Outgoing]:
        inc = Incoming(channel=self.channel, chat_id=self.user, user_id=self.user,
                       user_name=self.name, time=self.app.services.clock(), **kw)
        self.replies = await self.app.handle(inc)
        assert self.replies, f"no reply to {kw}"
        return self.replies

    async def say(self, text: str) -> list[Outgoing]:
        kind = ContentKind.COMMAND if text.startswith("/") else ContentKind.TEXT
        return await self._send(text=text, kind=kind)

    async def press(self, payload: str) -> list[Outgoing]:
        return await self._send(payload=payload, kind=ContentKind.BUTTON)

    async def press_label(self, start: str) -> list[Outgoing]:
        return await self.press(self.payload(start))

    @property
    def text(self) -> str:
        return "\n".join(r.text for r in self.replies)

    @property
    def buttons(self) -> list[tuple[str, str]]:
        return [(b.label, b.payload) for r in self.replies for b in r.buttons]

    def payload(self, label_start: str) -> str:
        for label, payload in self.buttons:
            if label.startswith(label_start):
                return payload
        raise AssertionError(f"no button {label_start!r} in {self.buttons}")


def event(code: str, *, days: float, kind: str = "workshop", province: str | None = "bac_ninh",
          sectors: Iterable[str] = ("agri_processing",), capacity: int | None = None,
          deadline_days: float | None = None, title: str | None = None) -> Event:
    return Event(
        code=code, kind=kind, title=title or f"Sự kiện {code}", starts_at=NOW + timedelta(days=days),
        venue="Hội trường Sở KH&CN", province=province, sectors=list(sectors),
        capacity=capacity, organiser="Sở KH&CN",
        registration_deadline=None if deadline_days is None else NOW + timedelta(days=deadline_days),
    )


async def add(app: App, *rows: Any) -> None:
    async with app.services.db.transaction() as s:
        s.add_all(rows)


def connection_point() -> ConnectionPoint:
    return ConnectionPoint(code="DKN-BN", name="Điểm kết nối Bắc Ninh", provinces=["bac_ninh"],
                           contact={"phone": "02043000000"})
