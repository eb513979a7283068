"""Followers of a channel account (a Zalo OA): who follows, who left.

Unfollowing marks the user inactive (the core's `mark_user_inactive`); their subscriptions stay as
they are but are not delivered while the user is inactive (`subscriptions.active_matching` skips
inactive users), so following again resumes them.
"""

from __future__ import annotations

from storage.db import Database
from storage.repos import users


async def follow(db: Database, channel: str, external_id: str, name: str | None = None) -> bool:
    """Record the user as an active follower; True when they were not known before."""
    async with db.transaction() as s:
        known = await users.find(s, channel, external_id)
        user = known or await users.get_or_create(s, channel, external_id, name)
        if not user.active:
            await users.set_active(s, user, True)
        return known is None
