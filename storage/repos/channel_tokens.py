"""OAuth token pairs of channel accounts (the Zalo OA), stored as the caller hands them over.

The caller encrypts (bot.zalo.tokens); this module never sees a plain token. Refreshing spends a
single-use refresh token, so `claim_refresh` holds the row (a row lock on PostgreSQL, the writer
lock on SQLite) until the new pair is written in the same transaction: of two processes refreshing
at the same moment, the second sees the pair the first stored and does not spend anything.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession

from storage.db import Database
from storage.models import ChannelToken


@dataclass(frozen=True, slots=True)
class StoredTokens:
    access_token: str
    refresh_token: str
    expires_at: datetime
    version: int


def _stored(row: ChannelToken) -> StoredTokens:
    return StoredTokens(row.access_token, row.refresh_token, row.expires_at, row.version)


async def read(db: Database, account: str) -> StoredTokens | None:
    async with db.session() as s:
        row = await _row(s, account)
        return _stored(row) if row is not None and row.refresh_token else None


async def store(
    db: Database, account: str, access_token: str, refresh_token: str, expires_at: datetime
) -> StoredTokens:
    """Keep a new pair (from the CLI or a code exchange), replacing any earlier one."""
    async with db.transaction() as s:
        row = await _row(s, account, lock=True)
        if row is None:
            row = ChannelToken(account=account, version=0)
            s.add(row)
        _replace(row, access_token, refresh_token, expires_at)
        row.pending_verifier = None
        await s.flush()
        return _stored(row)


async def save_verifier(db: Database, account: str, verifier: str) -> None:
    """Remember the PKCE code verifier of a consent request until its code is exchanged."""
    async with db.transaction() as s:
        row = await _row(s, account, lock=True)
        if row is None:
            row = ChannelToken(account=account, access_token="", refresh_token="", version=0)
            s.add(row)
        row.pending_verifier = verifier


async def pending_verifier(db: Database, account: str) -> str | None:
    async with db.session() as s:
        row = await _row(s, account)
        return row.pending_verifier if row is not None else None


class RefreshClaim:
    """The locked row while a refresh is under way: `current`, then `replace(...)` once."""

    def __init__(self, session: AsyncSession, row: ChannelToken | None) -> None:
        self._session = session
        self._row = row
        self.current = _stored(row) if row is not None and row.refresh_token else None

    async def replace(self, access_token: str, refresh_token: str, expires_at: datetime) -> None:
        if self._row is None:
            raise LookupError("no token pair to replace")
        _replace(self._row, access_token, refresh_token, expires_at)
        await self._session.flush()
        self.current = _stored(self._row)


@asynccontextmanager
async def claim_refresh(db: Database, account: str) -> AsyncIterator[RefreshClaim]:
    """Hold the account's pair until the block ends; what `replace` wrote commits with it."""
    async with db.transaction() as s:
        yield RefreshClaim(s, await _row(s, account, lock=True))


async def _row(s: AsyncSession, account: str, lock: bool = False) -> ChannelToken | None:
    if lock and s.get_bind().dialect.name == "sqlite":
        # A write takes SQLite's single writer lock at once (BEGIN is deferred); other processes
        # wait for it in the busy handler, so nobody reads the pair that is being spent.
        await s.execute(update(ChannelToken).where(ChannelToken.account == account)
                        .values(version=ChannelToken.version))
    stmt = select(ChannelToken).where(ChannelToken.account == account)
    if lock:
        stmt = stmt.with_for_update()
    return (await s.execute(stmt)).scalar_one_or_none()


def _replace(row: ChannelToken, access: str, refresh: str, expires_at: datetime) -> None:
    row.access_token, row.refresh_token, row.expires_at = access, refresh, expires_at
    row.version = (row.version or 0) + 1
