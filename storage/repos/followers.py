"""Followers of a channel account (a Zalo OA): who follows, who left.

Unfollowing marks the user inactive (the core's `mark_user_inactive`); their subscriptions stay as
they are but are not delivered while the user is inactive (`subscriptions.active_matching` skips
inactive users), so following again resumes them.
"""

from __future__ import annotations

from storage.db import Database
from storage.repos import users


async def follow(db: Database, channel: str, external_id: str, name: str | None = None) -> None:
    """Record the user as an active follower (created on first contact, active again if they
    had left)."""
    await users.ensure(db, channel, external_id, name)
    await users.set_account_active(db, channel, external_id, True)
