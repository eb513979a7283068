"""Migrations: upgrade an empty database to head, downgrade to base, upgrade again."""

from __future__ import annotations

from pathlib import Path

from sqlalchemy import inspect

from storage.db import Database
from storage.models import Base


async def _tables(db: Database) -> set[str]:
    async with db.engine.connect() as conn:
        return set(await conn.run_sync(lambda c: inspect(c).get_table_names()))


async def test_upgrade_downgrade_upgrade(empty_db: Database) -> None:
    assert await empty_db.current_revision() is None
    await empty_db.upgrade()
    assert set(Base.metadata.tables) <= await _tables(empty_db)
    assert await empty_db.current_revision() is not None
    await empty_db.downgrade("base")
    assert await empty_db.current_revision() is None
    assert not (set(Base.metadata.tables) & await _tables(empty_db))
    await empty_db.upgrade()
    assert set(Base.metadata.tables) <= await _tables(empty_db)


async def test_upgrade_is_idempotent(empty_db: Database) -> None:
    await empty_db.upgrade()
    await empty_db.upgrade()
    assert await empty_db.current_revision() is not None


async def test_models_match_migrations(empty_db: Database) -> None:
    """The models and the migration scripts describe the same schema (no pending autogenerate)."""
    from alembic.autogenerate import compare_metadata
    from alembic.migration import MigrationContext

    await empty_db.upgrade()
    async with empty_db.engine.connect() as conn:
        diff = await conn.run_sync(
            lambda c: compare_metadata(MigrationContext.configure(c), Base.metadata))
    assert diff == []


async def test_sqlite_file_and_parent_dir_created(tmp_path: Path) -> None:
    path = tmp_path / "nested" / "dir" / "k.db"
    db = Database(f"sqlite+aiosqlite:///{path}")
    await db.upgrade()
    async with db.engine.connect() as conn:
        mode = (await conn.exec_driver_sql("PRAGMA journal_mode")).scalar()
        fk = (await conn.exec_driver_sql("PRAGMA foreign_keys")).scalar()
    await db.dispose()
    assert path.exists() and mode == "wal" and fk == 1
