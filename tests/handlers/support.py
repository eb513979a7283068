"""Test support for dialogue tests: a seeded SQLite template, one NLU engine, a chat driver."""

from __future__ import annotations

import asyncio
import functools
import shutil
import tempfile
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

from bot.app import App
from bot.config import Settings
from bot.types import Button, ContentKind, Incoming, Outgoing
from nlu.api import EmbeddedBackend, load_engine
from storage.db import Database
from storage.seed import seed


def sqlite_url(path: Path) -> str:
    return f"sqlite+aiosqlite:///{path}"


def build_template(path: Path) -> Path:
    """A migrated database with the demo catalog, built once and copied for each test."""

    async def build() -> None:
        db = Database(sqlite_url(path))
        await db.upgrade()
        async with db.session() as s:
            await seed(s)
            await s.commit()
        await db.dispose()

    # In its own thread: this may be called from inside a running event loop (async fixtures).
    with ThreadPoolExecutor(1) as pool:
        pool.submit(asyncio.run, build()).result()
    return path


def copy_db(template: Path, target: Path) -> str:
    shutil.copy(template, target)
    return sqlite_url(target)


async def make_app(url: str, nlu: object) -> App:
    return await App.create(Settings(database_url=url), nlu=nlu)  # type: ignore[arg-type]


@functools.cache
def shared_nlu() -> EmbeddedBackend:
    """One trained engine per test process (trained into var/nlu-model when missing)."""
    return EmbeddedBackend(engine=load_engine())


@functools.cache
def shared_template() -> Path:
    """One seeded database per test process, copied for each test."""
    return build_template(Path(tempfile.mkdtemp(prefix="ketnoi-template-")) / "template.db")


async def fresh_app(directory: Path) -> App:
    """An App on a fresh copy of the seeded database in `directory`."""
    return await make_app(copy_db(shared_template(), directory / "ketnoi.db"), shared_nlu())


class Chat:
    """One user talking to the app, remembering the buttons of the last answer."""

    def __init__(self, app: App, user: str = "u1", channel: str = "console",
                 name: str | None = None) -> None:
        self.app, self.user, self.channel, self.name = app, user, channel, name
        self.replies: list[Outgoing] = []

    @property
    def buttons(self) -> list[Button]:
        return [b for r in self.replies for b in r.buttons]

    @property
    def text(self) -> str:
        return "\n\n".join(r.text for r in self.replies)

    async def send(self, text: str = "", kind: ContentKind = ContentKind.TEXT,
                   payload: str | None = None, update_id: str | None = None) -> list[Outgoing]:
        if kind == ContentKind.TEXT and text.startswith("/"):
            kind = ContentKind.COMMAND
        incoming = Incoming(self.channel, self.user, self.user, text=text, user_name=self.name,
                            payload=payload, kind=kind, update_id=update_id)
        self.replies = await self.app.handle(incoming)
        return self.replies

    async def press(self, label_part: str) -> list[Outgoing]:
        """Press the first button of the last answer whose label contains `label_part`."""
        for button in self.buttons:
            if label_part.lower() in button.label.lower():
                return await self.send(button.label, ContentKind.BUTTON, button.payload)
        raise AssertionError(f"no button {label_part!r} in {[b.label for b in self.buttons]}")

    def has_button(self, label_part: str) -> bool:
        return any(label_part.lower() in b.label.lower() for b in self.buttons)
