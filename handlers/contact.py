"""Known contact data of the user, offered as choices instead of asking again."""

from __future__ import annotations

from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from handlers.base import Context
from handlers.forms import Choice
from storage.models import User


async def contact_choices(ctx: Context, values: dict[str, Any]) -> list[Choice]:
    """"Dùng 0912345678" / "Dùng email ..." from the user's earlier demands (or shared phone)."""
    user = await ctx.user()
    choices: list[Choice] = []
    if user.phone and user.email:
        choices.append((f"Dùng {user.phone} và {user.email}", {"phone": user.phone,
                                                              "email": user.email}))
    if user.phone:
        choices.append((f"Dùng số {user.phone}", {"phone": user.phone}))
    if user.email:
        choices.append((f"Dùng email {user.email}", {"email": user.email}))
    return choices


async def organisation_choices(ctx: Context, values: dict[str, Any]) -> list[Choice]:
    user = await ctx.user()
    if user.organisation:
        label = user.organisation if len(user.organisation) <= 40 else user.organisation[:37] + "..."
        return [(label, user.organisation)]
    return []


async def remember_contact(ctx: Context, values: dict[str, Any]) -> None:
    """Keep organisation/phone/email/province on the user so the next demand can offer them."""
    user = await ctx.user()
    async with ctx.db.transaction() as s:
        await apply_contact(s, user, values)
    ctx.forget_user()


async def apply_contact(s: AsyncSession, user: User, values: dict[str, Any]) -> None:
    """`remember_contact` inside the caller's transaction (call `ctx.forget_user()` after)."""
    from storage.repos import users

    contact = values.get("contact") or {}
    fields: dict[str, Any] = {}
    if values.get("organisation"):
        fields["organisation"] = values["organisation"]
    if contact.get("phone"):
        fields["phone"] = contact["phone"]
    if contact.get("email"):
        fields["email"] = contact["email"]
    province = (values.get("province") or {}).get("id")
    if province:
        fields["province"] = province
    merged = await s.merge(user)
    await users.update_contact(s, merged, **fields)
    if values.get("consent"):
        await users.give_consent(s, merged)
