"""Handoffs: a user's requests to talk to staff, recorded on their open demand or a new one."""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING, Any

from sqlalchemy.ext.asyncio import AsyncSession

from storage.models import Demand, User
from storage.repos import demands as demands_repo
from storage.repos import users

if TYPE_CHECKING:
    from storage.db import Database

OPEN_STATUSES = ("new", "matched", "assigned", "proposed", "connected")  # a request joins such a demand


async def record_handoff(
    session: AsyncSession, demand: Demand, *, at: datetime, note: str = "", channel: str = ""
) -> Demand:
    """Append a request to talk to staff to `demand.details["handoff"]` (a new dict, so the JSON
    column is marked dirty). Flushes."""
    details: dict[str, Any] = dict(demand.details or {})
    entry = {"at": at.isoformat(), "note": note[:500], "channel": channel}
    details["handoff"] = [*details.get("handoff", []), entry]
    demand.details = details
    await session.flush()
    return demand


# --- taking the Database: each owns its transaction ------------------------------------------
async def request(db: Database, user: User, *, at: datetime, note: str,
                  channel: str) -> tuple[Demand, bool]:
    """Attach the request to the user's open demand, else create a handoff demand (with its
    connection point). Returns (demand, attached_to_existing)."""
    async with db.transaction() as s:
        latest = await demands_repo.latest_of(s, user)
        if latest is not None and latest.status in OPEN_STATUSES:
            await record_handoff(s, latest, at=at, note=note, channel=channel)
            return latest, True
        demand = await demands_repo.create(
            s, user.id, "human_handoff", note, province=user.province, commit=False,
            details={"handoff": [{"at": at.isoformat(), "note": note[:500], "channel": channel}]},
        )
        await demands_repo.assign_connection_point(s, demand)
        return demand, False


async def leave_contact(db: Database, user_id: int, demand_id: int,
                        contact: dict[str, Any]) -> None:
    """Keep the phone/e-mail left for a call back, on the user and on their demand."""
    async with db.transaction() as s:
        fresh = await users.get(s, user_id)
        await users.update_contact(s, fresh, phone=contact.get("phone") or fresh.phone,
                                   email=contact.get("email") or fresh.email)
        demand = await s.get(Demand, demand_id)
        if demand is not None and demand.user_id == user_id:
            demand.details = {**(demand.details or {}), **contact}
