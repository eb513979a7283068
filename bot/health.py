"""`GET /healthz`: can this process answer? The database, Redis when configured, the channels.

200 with `"status": "ok"` when every dependency answers, 503 with `"status": "unavailable"`
otherwise, so a load balancer or an orchestrator takes the process out of rotation. The inbox
backlog (updates stored but not yet handled) is reported once updates are stored before they are
handled; until then the report says so instead of giving a number.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from storage.db import Database
from storage.health import check_database, check_redis

NO_INBOX = ("no inbox yet: each update is handled as it arrives and nothing is queued, so there "
            "is no backlog to report")


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
        body["inbox"] = {"backlog": None, "detail": NO_INBOX}
        body["channels"] = dict(self.channels())
        ok = not problems
        return ok, {"status": "ok" if ok else "unavailable", **body}


def database_of(core: object) -> Database | None:
    """The core's database (`bot.app.App.services.db`), if it has one."""
    services = getattr(core, "services", None)
    db = getattr(services, "db", None)
    return db if isinstance(db, Database) else None
