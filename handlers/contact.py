"""Known contact data of the user, offered as choices instead of asking again."""

from __future__ import annotations

from typing import Any

from handlers.base import Context
from handlers.forms import Choice
from storage.repos import users


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
    await users.remember_contact(ctx.db, user.id, **contact_fields(values))
    ctx.forget_user()


def contact_fields(values: dict[str, Any]) -> dict[str, Any]:
    """What a form collected about the user, as keywords of `users.remember_contact`."""
    contact = values.get("contact") or {}
    return {"organisation": values.get("organisation"), "phone": contact.get("phone"),
            "email": contact.get("email"), "province": (values.get("province") or {}).get("id"),
            "consent": bool(values.get("consent"))}
