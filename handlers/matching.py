"""Matched technologies, experts and events for a saved demand, as Vietnamese messages."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from bot.types import Button
from handlers.base import Context
from handlers.office_hours import local_tz
from handlers.render import register_button, show_time, where
from handlers.ui import MODE_NAMES, STAGE_NAMES, intent_button
from nlu.normalize import search_words
from nlu.query import need_terms
from nlu.taxonomy import SECTOR_BY_ID
from storage.models import Demand
from storage.search import Hit

TECH_PAGE = 5
EXPERTS_SHOWN = 3
EVENTS_SHOWN = 3


@dataclass
class Matches:
    technologies: list[Hit] = field(default_factory=list)
    experts: list[Hit] = field(default_factory=list)
    events: list[Hit] = field(default_factory=list)


# An expert is shown only when their match is at least this share of the best one: fewer
# experts rather than unrelated ones (measured by benchmarks/search_bench.py --relevance).
EXPERT_MIN_SHARE = 0.7


def demand_query(demand: Demand) -> str:
    """The catalog query: the need's content words (no names, contacts, organisations, places,
    amounts or filler words, see nlu/query.py), plus the product."""
    words = need_terms(demand.raw_text or "") + search_words(demand.product or "")
    return " ".join(dict.fromkeys(words))


def relevant_experts(hits: list[Hit]) -> list[Hit]:
    if not hits or hits[0].score <= 0:
        return hits
    return [h for h in hits if h.score >= EXPERT_MIN_SHARE * hits[0].score]


async def find_matches(ctx: Context, demand: Demand, *, techs: int = TECH_PAGE) -> Matches:
    """Search the catalog for this demand (province and sector boost, never filter)."""
    search = ctx.services.search
    if search is None:
        return Matches()
    technologies, experts, events = await search.everything(
        ctx.db, demand_query(demand), technologies=techs, experts=EXPERTS_SHOWN,
        events=EVENTS_SHOWN, province=demand.province, sector=demand.sector, now=ctx.now())
    return Matches(technologies=technologies, experts=relevant_experts(experts), events=events)


def short(text: str, limit: int = 30) -> str:
    return text if len(text) <= limit else text[: limit - 1].rstrip() + "…"


def technology_line(index: int, hit: Hit) -> str:
    tech = hit.obj
    stage = STAGE_NAMES.get(tech.stage or "", "")
    head = f"{index}. {tech.title}"
    lines = [head, f"   Đơn vị cung ứng: {tech.provider or 'đang cập nhật'}"
             + (f" · {stage.capitalize()}" if stage else "")]
    if hit.reason:
        lines.append(f"   Phù hợp vì: {hit.reason}")
    return "\n".join(lines)


def expert_line(index: int, hit: Hit) -> str:
    expert = hit.obj
    fields = ", ".join((expert.fields or [])[:3]) or ", ".join(
        SECTOR_BY_ID[s].name for s in (expert.sectors or []) if s in SECTOR_BY_ID
    )
    lines = [f"{index}. {hit.title} — {expert.organisation or 'chuyên gia độc lập'}"]
    if fields:
        lines.append(f"   Chuyên môn: {fields}")
    return "\n".join(lines)


def event_line(hit: Hit, ctx: Context) -> str:
    event = hit.obj
    return f"• {event.title}\n   🗓 {show_time(event.starts_at, local_tz(ctx))} · 📍 {where(event)}"


def technology_buttons(demand: Demand, hits: list[Hit], offset: int, more: bool) -> list[Button]:
    buttons = [
        Button(f"Quan tâm: {short(h.obj.title)}", f"tm:like:{demand.id}:{h.id}") for h in hits
    ]
    if more:
        buttons.append(Button("Xem thêm công nghệ", f"tm:more:{demand.id}:{offset + len(hits)}"))
    buttons.append(intent_button("human_handoff"))
    return buttons


def say_technologies(ctx: Context, demand: Demand, hits: list[Hit], offset: int = 0,
                     more: bool = True) -> None:
    if not hits:
        ctx.say(
            "Hiện trong cơ sở dữ liệu chưa có công nghệ khớp sát với nhu cầu này ạ. Cán bộ Trung tâm "
            "sẽ tìm thêm nguồn công nghệ trong nước và nước ngoài rồi liên hệ anh/chị.",
            [intent_button("human_handoff")],
        )
        return
    title = "Công nghệ phù hợp" if offset == 0 else "Các công nghệ tiếp theo"
    body = "\n".join(technology_line(offset + i + 1, h) for i, h in enumerate(hits))
    ctx.say(f"{title}:\n{body}", technology_buttons(demand, hits, offset, more))


def say_experts(ctx: Context, demand: Demand, hits: list[Hit]) -> None:
    if not hits:
        return
    body = "\n".join(expert_line(i + 1, h) for i, h in enumerate(hits))
    buttons = [Button(f"Kết nối: {short(h.obj.name, 28)}", f"tm:exp:{demand.id}:{h.id}")
               for h in hits]
    ctx.say(f"Chuyên gia có thể tư vấn:\n{body}", buttons)


def say_events(ctx: Context, hits: list[Hit]) -> None:
    if not hits:
        return
    body = "\n".join(event_line(h, ctx) for h in hits)
    ctx.say(f"Sự kiện sắp tới liên quan:\n{body}", [register_button(h.obj) for h in hits])


def technology_details(hit_or_tech: Any) -> str:
    tech = getattr(hit_or_tech, "obj", hit_or_tech)
    lines = [f"“{tech.title}” ({tech.code})"]
    if tech.summary:
        lines.append(tech.summary)
    stage = STAGE_NAMES.get(tech.stage or "")
    if stage:
        lines.append(f"Giai đoạn: {stage}.")
    modes = [MODE_NAMES[m] for m in (tech.transfer_modes or []) if m in MODE_NAMES]
    if modes:
        lines.append(f"Hình thức chuyển giao: {', '.join(modes)}.")
    if tech.price_min or tech.price_max:
        from handlers.parsers import show_money

        low, high = tech.price_min, tech.price_max
        price = (f"từ {show_money(low)} đến {show_money(high)}" if low and high and low != high
                 else show_money(low or high))
        lines.append(f"Chi phí tham khảo: {price}.")
    lines.append(f"Đơn vị cung ứng: {tech.provider or 'đang cập nhật'}.")
    return "\n".join(lines)
