"""Share codes: an admin invites a colleague without knowing their chat id. The code (shown once,
valid for a day, used once) is sent to the bot from the new member's own chat account, on any
channel, and makes that account staff of the admin's point. Only its SHA-256 is stored."""

from __future__ import annotations

import hashlib
import secrets
from datetime import datetime, timedelta

from sqlalchemy import select, update

from storage.db import Database
from storage.errors import NotFound
from storage.models import ConnectionPoint, StaffInvite
from storage.repos import audit
from storage.repos.staff import StaffMember, add, resolve_point
from storage.sqltypes import utcnow

ALPHABET = "ABCDEFGHJKLMNPQRSTUVWXYZ23456789"  # no 0/O, 1/I: read aloud or typed on a phone
VALID = timedelta(hours=24)


class InvalidInvite(NotFound):
    default = ("Mã mời không đúng, đã dùng hoặc đã hết hạn. Anh/chị nhờ quản trị viên của điểm "
               "tạo mã mới ạ.")


def _hash(code: str) -> str:
    clean = "".join(ch for ch in (code or "").upper() if ch.isalnum())
    return hashlib.sha256(clean.encode()).hexdigest()


async def create(db: Database, point: str, actor: str, *, role: str = "staff",
                 now: datetime | None = None) -> tuple[str, datetime]:
    """A new code for `point` (code or province): (the code, when it expires). Audited."""
    code = "KN-" + "".join(secrets.choice(ALPHABET) for _ in range(8))
    now = now or utcnow()
    async with db.transaction() as s:
        target = await resolve_point(s, point)
        s.add(StaffInvite(code_hash=_hash(code), connection_point_id=target.id, role=role,
                          created_by=actor[:160], created_at=now, expires_at=now + VALID))
        await audit.record(s, actor, "staff.invite", f"point:{target.code}", role=role)
    return code, now + VALID


async def join(db: Database, code: str, channel: str, user_id: str, name: str | None, *,
               now: datetime | None = None) -> StaffMember:
    """Use a code from this chat account: it becomes staff of the code's point (once: of two
    accounts sending the same code at once, one joins)."""
    now = now or utcnow()
    who = f"{channel}:{user_id}"
    async with db.transaction() as s:
        invite = (await s.execute(select(StaffInvite).where(
            StaffInvite.code_hash == _hash(code)))).scalar_one_or_none()
        if invite is None or invite.used_at is not None or invite.expires_at <= now:
            raise InvalidInvite()
        used = await s.execute(
            update(StaffInvite).where(StaffInvite.id == invite.id, StaffInvite.used_at.is_(None))
            .values(used_at=now, used_by=who[:160]).execution_options(synchronize_session=False))
        if used.rowcount != 1:  # type: ignore[attr-defined]
            raise InvalidInvite()
        await s.refresh(invite, ["connection_point_id", "role", "created_by"])
        point = await s.get(ConnectionPoint, invite.connection_point_id)
        assert point is not None  # the invite cascades with its point
        member = await add(db, channel, user_id, point=point.code, name=name, role=invite.role)
        await audit.record(s, who, "staff.join", f"staff:{who}", point=point.code,
                           invited_by=invite.created_by)
        return member
