"""offer_technology: a provider offers a technology; saved as `pending_review` for staff."""

from __future__ import annotations

from typing import Any

from handlers import demand_slots as ds
from handlers import parsers
from handlers.base import Context, Router
from handlers.contact import remember_contact
from handlers.forms import Form, Slot
from handlers.ui import MODE_NAMES, STAGE_NAMES, main_menu
from nlu.normalize import search_words
from storage.repos import catalog

router = Router("offer")

STAGE_LABELS = {k: v[0].upper() + v[1:] for k, v in STAGE_NAMES.items()}
MODE_LABELS = {k: v[0].upper() + v[1:] for k, v in MODE_NAMES.items()}


def _description_prefill(ctx: Context, values: dict[str, Any]) -> str | None:
    """A long first message ("chúng tôi có công nghệ ... muốn chuyển giao") is the description."""
    if ctx.intent != "offer_technology" or len(search_words(ctx.text)) < 12:
        return None
    return ctx.text[:2000]


async def _done(ctx: Context, values: dict[str, Any]) -> None:
    user = await ctx.user()
    contact = values.get("contact") or {}
    description = values.get("description") or ""
    tech = await catalog.offer_technology(
        ctx.db, user, title=values["title"], summary=description[:300], description=description,
        sector=values.get("sector"), keywords=[], provider=values.get("organisation") or "",
        provider_contact=dict(contact), stage=values.get("stage"),
        transfer_modes=[values["mode"]] if values.get("mode") else [],
    )
    code = tech.code
    await remember_contact(ctx, values)
    ctx.say(
        f"Dạ, cảm ơn anh/chị! Em đã ghi nhận công nghệ “{values['title']}” (mã {code}), trạng "
        "thái chờ thẩm định. Cán bộ Trung tâm sẽ xem xét hồ sơ và liên hệ anh/chị trong giờ hành "
        "chính trước khi giới thiệu công nghệ tới doanh nghiệp có nhu cầu ạ.",
        main_menu(),
    )


OFFER_TECHNOLOGY = router.form(Form(
    name="offer_technology", title="thông tin chào bán công nghệ", intent="offer_technology",
    related_intents=frozenset({"find_technology"}), on_done=_done,
    summary_title="Anh/chị kiểm tra lại thông tin công nghệ chào bán giúp em:",
    slots=(
        Slot("title", "Tên công nghệ",
             "Anh/chị cho em xin tên công nghệ, thiết bị hoặc quy trình muốn chào bán ạ?",
             parsers.short_text, switchable=False),
        Slot("description", "Mô tả",
             "Anh/chị mô tả ngắn công nghệ giúp em: dùng để làm gì, công suất, ưu điểm chính ạ?",
             parsers.text, prefill=_description_prefill, switchable=False, recap=False),
        ds.SECTOR,
        Slot("stage", "Mức độ hoàn thiện", "Công nghệ đang ở mức độ hoàn thiện nào ạ?",
             parsers.pick(STAGE_LABELS, "mức độ hoàn thiện"),
             choices=[(label, key) for key, label in STAGE_LABELS.items()],
             show=lambda v: STAGE_LABELS.get(v, v)),
        Slot("mode", "Hình thức chuyển giao", "Anh/chị muốn chuyển giao theo hình thức nào ạ?",
             parsers.pick(MODE_LABELS, "hình thức chuyển giao"),
             choices=[(label, key) for key, label in MODE_LABELS.items()],
             show=lambda v: MODE_LABELS.get(v, v)),
        ds.ORGANISATION,
        ds.CONTACT,
    ),
))


@router.intent("offer_technology")
async def offer_technology(ctx: Context) -> None:
    await ctx.start_form("offer_technology")
