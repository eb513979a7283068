"""Small repository helpers the dialogue needs (owned by the dialogue; see handlers/)."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from storage.models import Demand


async def demand_of_user(session: AsyncSession, demand_id: int, user_id: int) -> Demand | None:
    """The demand if it belongs to this user (button payloads can be stale or forged)."""
    stmt = select(Demand).where(Demand.id == demand_id, Demand.user_id == user_id)
    return (await session.execute(stmt)).scalar_one_or_none()


async def add_expert_interest(session: AsyncSession, demand: Demand, expert_id: int) -> bool:
    """Remember that the user asked to be connected with this expert; False if already noted."""
    details = dict(demand.details or {})
    wanted = list(details.get("interested_expert_ids") or [])
    if expert_id in wanted:
        return False
    details["interested_expert_ids"] = [*wanted, int(expert_id)]
    demand.details = details  # a new dict so the JSON column is marked dirty
    await session.flush()
    return True
