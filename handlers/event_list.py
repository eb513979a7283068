"""Upcoming events for the filters of a question (kind, province, sector, product), relaxed when
nothing matches, shown a page at a time with their register buttons (`ask_events`,
`ask_training`, and the event buttons)."""

from __future__ import annotations

from typing import Any

from bot.types import Button
from handlers.base import Context
from handlers.office_hours import local_tz
from handlers.render import describe_filters, event_card, register_button
from handlers.ui import intent_button
from nlu.normalize import plain
from nlu.taxonomy import SECTOR_BY_ID
from storage.models import Event
from storage.repos import catalog, registrations

PAGE = 5


def filters_from(ctx: Context, kind: str | None) -> dict[str, Any]:
    province = ctx.entity("province")
    sector = ctx.entity_value("sector")
    return {
        "kind": kind or ctx.entity_value("event_kind"),
        "province": (province or {}).get("id"),
        "sector": sector if sector in SECTOR_BY_ID else None,
        "product": ctx.entity_value("product"),  # orders the list, never filters it
    }


_RELAX = ((), ("sector",), ("sector", "kind"), ("sector", "province"), ("sector", "kind", "province"))
_RELAX_TRAINING = ((), ("sector",), ("sector", "province"), ("sector", "kind", "province"))


async def _find(ctx: Context, f: dict[str, Any]) -> tuple[list[Event], dict[str, Any]]:
    """Events for the filters; if none, relax the sector, then the kind, then the province: an
    enterprise usually prefers another kind of event nearby to the same kind far away. A
    training question keeps its kind longer."""
    attempts = _RELAX_TRAINING if f.get("kind") == "training" else _RELAX
    seen: list[dict[str, Any]] = []
    for dropped in attempts:
        tried = {**f, **{key: None for key in dropped}}
        if tried in seen:  # nothing to relax there: the same query was already tried
            continue
        seen.append(tried)
        found = await catalog.events_ahead(
            ctx.db, now=ctx.now(), limit=50, kind=tried.get("kind"),
            province=tried.get("province"), sector=tried.get("sector"))
        if found:
            return _product_first(found, f.get("product")), tried
    return [], dict(f)


def _product_first(events: list[Event], product: str | None) -> list[Event]:
    """Events naming the product the user mentioned ("vải thiều") come first, soonest first."""
    if not product:
        return events
    key = plain(product)
    return sorted(events, key=lambda e: key not in plain(f"{e.title} {e.description}"))


async def show_events(ctx: Context, filters: dict[str, Any], offset: int = 0) -> None:
    events, used = await _find(ctx, filters)
    if not events:
        ctx.say("Hiện chưa có sự kiện nào sắp diễn ra. Anh/chị có thể đăng ký nhận tin để được báo "
                "khi có sự kiện mới ạ.", [intent_button("subscribe"), intent_button("find_technology")])
        return
    ctx.state.data["ev_filters"] = used
    page = events[offset: offset + PAGE]
    if not page:
        offset, page = 0, events[:PAGE]
    intro = (f"Các {describe_filters(used)} sắp tới:" if used == filters else
             f"Hiện chưa có {describe_filters(filters)} sắp diễn ra. Anh/chị tham khảo các "
             f"{describe_filters(used)} sắp tới nhé:")
    tz = local_tz(ctx)
    cards, buttons = [], []
    seats = await registrations.free_seats(ctx.db, list(page))
    for i, event in enumerate(page, start=offset + 1):
        cards.append(event_card(event, tz, seats[event.id], i))
        buttons.append(register_button(event))
    if offset + PAGE < len(events):
        buttons.append(Button("Xem thêm sự kiện", f"ev:more:{offset + PAGE}"))
    buttons.append(intent_button("subscribe", "Nhận tin sự kiện mới"))
    ctx.say(intro + "\n\n" + "\n\n".join(cards), buttons)
