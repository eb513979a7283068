"""One-time sign-in links to the staff web console.

`issue` gives a staff member a random token valid for a few minutes; only its SHA-256 is stored.
`redeem` spends it once: a second use, an expired token or a member who is no longer staff gets
a `LoginRefused` with the reason to show, and no session.
"""

from __future__ import annotations

import hashlib
import secrets
from datetime import UTC, datetime, timedelta

from sqlalchemy import delete, select, update

from storage.db import Database
from storage.errors import StorageError
from storage.models import WebLogin
from storage.repos import staff
from storage.repos.staff import StaffMember

LINK_LIFETIME = timedelta(minutes=10)


class LoginRefused(StorageError):
    default = "Đường dẫn đăng nhập không hợp lệ."


class NotStaff(LoginRefused):
    default = ("Tài khoản này không phải cán bộ của điểm kết nối nào, nên không đăng nhập được "
               "trang quản trị.")


class LinkUnknown(LoginRefused):
    default = "Đường dẫn đăng nhập không đúng. Anh/chị vui lòng lấy đường dẫn mới bằng lệnh /web."


class LinkExpired(LoginRefused):
    default = ("Đường dẫn đăng nhập đã hết hạn (chỉ dùng được trong 10 phút). Anh/chị vui lòng "
               "lấy đường dẫn mới bằng lệnh /web.")


class LinkUsed(LoginRefused):
    default = ("Đường dẫn đăng nhập này đã được dùng rồi (mỗi đường dẫn chỉ dùng một lần). "
               "Anh/chị vui lòng lấy đường dẫn mới bằng lệnh /web.")


def _digest(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8", "replace")).hexdigest()


async def issue(db: Database, channel: str, user_id: str, *,
                now: datetime | None = None) -> tuple[StaffMember, str]:
    """A fresh one-time token for this staff member; raises NotStaff for everyone else."""
    member = await staff.find(db, channel, user_id)
    if member is None:
        raise NotStaff()
    now = now or datetime.now(UTC)
    token = secrets.token_urlsafe(32)
    async with db.transaction() as s:
        # Spent and expired links are useless: drop them as new ones are made.
        await s.execute(delete(WebLogin).where(WebLogin.expires_at < now - LINK_LIFETIME))
        s.add(WebLogin(token_hash=_digest(token), channel=member.channel,
                       user_id=member.user_id, created_at=now,
                       expires_at=now + LINK_LIFETIME))
    return member, token


async def redeem(db: Database, token: str, *, now: datetime | None = None) -> StaffMember:
    """Spend the token (once) and return the staff member it was given to."""
    now = now or datetime.now(UTC)
    digest = _digest((token or "")[:200])
    async with db.transaction() as s:
        # One UPDATE decides who wins when the same link is opened twice at once.
        spent = await s.execute(
            update(WebLogin)
            .where(WebLogin.token_hash == digest, WebLogin.used_at.is_(None),
                   WebLogin.expires_at > now)
            .values(used_at=now))
        row = (await s.execute(select(WebLogin).where(WebLogin.token_hash == digest)))\
            .scalar_one_or_none()
    if row is None:
        raise LinkUnknown()
    if not spent.rowcount:  # type: ignore[attr-defined]
        raise LinkUsed() if row.used_at is not None else LinkExpired()
    member = await staff.find(db, row.channel, row.user_id)
    if member is None:
        raise NotStaff()
    return member
