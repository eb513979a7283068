"""`ask_training`: upcoming training courses, same listing and registration as events."""

from __future__ import annotations

from handlers.base import Context, Router
from handlers.event_list import filters_from, show_events

router = Router("training")


@router.intent("ask_training")
async def ask_training(ctx: Context) -> None:
    # A workshop asked for in a training question ("hội thảo tập huấn") keeps its kind.
    kind = ctx.entity_value("event_kind") or "training"
    await show_events(ctx, filters_from(ctx, kind))
