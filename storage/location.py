"""Where a database is, said so a person can find it (CLI help, empty listings, start-up)."""

from __future__ import annotations

from pathlib import Path

from sqlalchemy.engine import make_url
from sqlalchemy.exc import ArgumentError


def describe(url: str) -> str:
    """An absolute file path for SQLite, the server URL without its password otherwise."""
    try:
        parsed = make_url(url)
    except ArgumentError:  # a malformed URL is reported when it is opened
        return url
    if parsed.get_backend_name() != "sqlite":
        return parsed.render_as_string(hide_password=True)
    database = parsed.database or ""
    if not database or database == ":memory:" or database.startswith("file:"):
        return "SQLite trong bộ nhớ (in memory)"
    return f"SQLite {Path(database).expanduser().resolve()}"
