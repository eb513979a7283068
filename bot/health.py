"""`GET /healthz`: can this process answer? The database, Redis when configured, the channels.

200 with `"status": "ok"` when every dependency answers, 503 with `"status": "unavailable"`
otherwise, so a load balancer or an orchestrator takes the process out of rotation. The inbox
backlog is the number of updates stored but not handled yet, all processes together (a number
that keeps growing means the bot falls behind); `process` says which process answered.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Mapping
from typing import Any

from storage.db import Database
from storage.health import check_database, check_redis
from storage.repos import inbox

NO_INBOX = "no database: nothing is stored, so there is no backlog to report"


class Health:
    def __init__(self, db: Database | None, redis_url: str | None = None,
                 channels: Callable[[], Mapping[str, str]] = dict) -> None:
        self.db = db
        self.redis_url = redis_url
        self.channels = channels

    async def report(self) -> tuple[bool, dict[str, Any]]:
        problems: dict[str, str] = {}
        body: dict[str, Any] = {}
        if self.db is None:
            body["database"] = "not used"
        else:
            error = await check_database(self.db)
            body["database"] = "ok" if error is None else f"error: {error}"
            if error is not None:
                problems["database"] = error
        if not self.redis_url:
            body["redis"] = "not configured"
        else:
            error = await check_redis(self.redis_url)
            body["redis"] = "ok" if error is None else f"error: {error}"
            if error is not None:
                problems["redis"] = error
        body["inbox"] = await self._backlog("database" in problems)
        body["process"] = os.getpid()
        body["channels"] = dict(self.channels())
        ok = not problems
        return ok, {"status": "ok" if ok else "unavailable", **body}

    async def _backlog(self, database_down: bool) -> dict[str, Any]:
        if self.db is None:
            return {"backlog": None, "detail": NO_INBOX}
        if database_down:
            return {"backlog": None, "detail": "the database does not answer"}
        try:
            return {"backlog": await inbox.backlog(self.db)}
        except Exception as error:  # e.g. a database not migrated yet
            return {"backlog": None, "detail": f"unknown: {type(error).__name__}"}


def database_of(core: object) -> Database | None:
    """The core's database (`bot.app.App.services.db`), if it has one."""
    services = getattr(core, "services", None)
    db = getattr(services, "db", None)
    return db if isinstance(db, Database) else None
