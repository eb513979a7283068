"""One active sender per bot token: a lease in the database, renewed while the sender works.

A sender that stops renewing (it died) loses the lease when it expires; the next one to ask
takes it and learns whose it was, so it can resume that sender's claimed rows at once.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import or_, update
from sqlalchemy.exc import IntegrityError

from storage.db import Database
from storage.models import SenderLease
from storage.sqltypes import utcnow


@dataclass(frozen=True, slots=True)
class Lease:
    held: bool
    taken_from: str | None = None  # the previous holder, when this call took the lease over

    def __bool__(self) -> bool:
        return self.held


async def acquire(db: Database, name: str, owner: str, *, seconds: float,
                  now: datetime | None = None) -> Lease:
    """Take or renew the lease `name`; not held while another owner's lease runs."""
    async with db.transaction() as s:
        # The lease counts from when the database is reached: connecting (a new process, a
        # busy machine) can take a good part of a short lease.
        await s.connection()
        now = now or utcnow()
        expires = now + timedelta(seconds=seconds)
        # One statement, so two processes asking at once cannot both win; SET reads the old
        # owner, which tells a new holder whose claims to resume.
        stmt = (update(SenderLease)
                .where(SenderLease.name == name,
                       or_(SenderLease.owner == owner, SenderLease.expires_at < now))
                .values(taken_from=SenderLease.owner, owner=owner, expires_at=expires)
                .returning(SenderLease.taken_from))
        row = (await s.execute(stmt.execution_options(synchronize_session=False))).first()
        if row is not None:
            return Lease(True, row[0] if row[0] != owner else None)
        if await s.get(SenderLease, name) is not None:
            return Lease(False)
        try:
            async with s.begin_nested():
                s.add(SenderLease(name=name, owner=owner, expires_at=expires))
        except IntegrityError:  # another process inserted it first
            return Lease(False)
        return Lease(True)


async def release(db: Database, name: str, owner: str) -> None:
    """Give the lease up at a clean stop so a standby takes over at once."""
    async with db.transaction() as s:
        await s.execute(update(SenderLease)
                        .where(SenderLease.name == name, SenderLease.owner == owner)
                        .values(expires_at=utcnow() - timedelta(seconds=1))
                        .execution_options(synchronize_session=False))
