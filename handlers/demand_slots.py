"""Slots shared by the demand forms (find_technology, find_expert, offer_technology)."""

from __future__ import annotations

from collections import Counter
from typing import Any

from handlers import parsers
from handlers.base import Context
from handlers.contact import contact_choices, organisation_choices
from handlers.forms import Choice, Slot
from nlu.normalize import search_words
from nlu.query import contact_in
from nlu.taxonomy import PROVINCE_BY_ID, SECTOR_BY_ID, SECTORS, find_sector

MAX_SECTOR_BUTTONS = 5
# Words that say "I am looking for something" without saying what: a message made only of these
# (plus a product/sector/place) is not yet a description of the need.
GENERIC_WORDS = frozenset(search_words(
    "tôi mình em chúng tôi bên công ty cty doanh nghiệp htx hợp tác xã cần muốn tìm kiếm nhờ giúp "
    "cho hỏi có không ạ ad ơi với về một cái nào công nghệ thiết bị chuyên gia tư vấn giải pháp "
    "đang được hỗ trợ xin chào làm sao ở tại tỉnh thành phố"
))


def need_prefill(*intents: str) -> Any:
    """Use the first message as the need when it says what is needed (not just "tìm công nghệ")."""

    def prefill(ctx: Context, values: dict[str, Any]) -> str | None:
        if not ctx.text or (ctx.intent not in intents and ctx.intent != "nlu_fallback"):
            return None
        content = [w for w in search_words(ctx.text) if w not in GENERIC_WORDS]
        if ctx.entity("product") or ctx.entity("sector") or len(content) >= 3:
            return ctx.text[:1000]
        return None

    return prefill


def _about(ctx: Context, values: dict[str, Any]) -> str:
    product = values.get("product") or ctx.entity_value("product") or ""
    return " ".join(str(v) for v in (values.get("need"), values.get("title"),
                                      values.get("description"), product) if v)


def infer_sector(ctx: Context, values: dict[str, Any]) -> str | None:
    """The sector whose keywords clearly dominate the description (else ask with buttons)."""
    ranked = parsers.rank_sectors(_about(ctx, values))
    if not ranked or (len(ranked) > 1 and ranked[0][1] == ranked[1][1]):
        return None
    return ranked[0][0].id


def sector_from_entity(entity: dict[str, Any]) -> str | None:
    found = find_sector(str(entity.get("value") or ""))
    return found.id if found else None


async def sector_choices(ctx: Context, values: dict[str, Any]) -> list[Choice]:
    """Likely sectors first (keywords, then what the catalog finds); all sectors if none."""
    about = _about(ctx, values)
    likely = [s.id for s, _ in parsers.rank_sectors(about)]
    search = ctx.services.search
    if search is not None and about:
        hits = await search.technologies(ctx.db, about, k=10)
        counts = Counter(h.obj.sector for h in hits if h.obj.sector)
        likely += [sid for sid, _ in counts.most_common() if sid not in likely]
    ids = likely[:MAX_SECTOR_BUTTONS] or [s.id for s in SECTORS]
    return [(SECTOR_BY_ID[i].name, i) for i in ids if i in SECTOR_BY_ID]


def province_from_entity(entity: dict[str, Any]) -> dict[str, str] | None:
    pid = entity.get("id")
    if pid not in PROVINCE_BY_ID:
        found = parsers.province_in_text(str(entity.get("value") or ""))
        pid = found[0].id if found else None
    if pid is None:
        return None
    return {"id": pid, "mentioned": str(entity.get("mentioned") or PROVINCE_BY_ID[pid].name)}


async def province_choices(ctx: Context, values: dict[str, Any]) -> list[Choice]:
    user = await ctx.user()
    unit = PROVINCE_BY_ID.get(user.province or "")
    return [(unit.name, {"id": unit.id, "mentioned": unit.name})] if unit else []


def need_slot(prompt: str, *intents: str) -> Slot:
    return Slot("need", "Nhu cầu", prompt, parsers.text, prefill=need_prefill(*intents),
                recap=False)


SECTOR = Slot(
    "sector", "Lĩnh vực", "Nhu cầu này thuộc lĩnh vực nào ạ? (Anh/chị chọn nút hoặc gõ tên lĩnh vực)",
    parsers.sector, choices=sector_choices, entity="sector", from_entity=sector_from_entity,
    prefill=infer_sector, show=parsers.show_sector,
)
PRODUCT = Slot(
    "product", "Sản phẩm", "Sản phẩm hoặc nguyên liệu chính là gì ạ (ví dụ: vải thiều, chè, cá tra)?",
    parsers.short_text, required=False, entity="product",
)
PROVINCE = Slot(
    "province", "Tỉnh/thành phố", "Cơ sở của anh/chị ở tỉnh/thành phố nào ạ?", parsers.province,
    choices=province_choices, entity="province", from_entity=province_from_entity,
    show=parsers.show_province, echo=True,
)
BUDGET = Slot(
    "budget", "Kinh phí dự kiến",
    "Kinh phí dự kiến khoảng bao nhiêu ạ (ví dụ: 500 triệu, 1,5 tỷ)? Nếu chưa xác định, anh/chị "
    "chọn “Bỏ qua”.",
    parsers.money, required=False, entity="budget",
    from_entity=lambda e: int(e["value"]) if str(e.get("value", "")).isdigit() else None,
    show=parsers.show_money,
)
def organisation_prefill(ctx: Context, values: dict[str, Any]) -> str | None:
    """"Cty TNHH Minh Phát" typed in the first message is not asked again."""
    return contact_in(ctx.text).organisation if ctx.text else None


def contact_prefill(ctx: Context, values: dict[str, Any]) -> dict[str, str] | None:
    """A phone or email (and the name given with it) typed in the first message."""
    found = contact_in(ctx.text) if ctx.text else None
    if found is None or not (found.phone or found.email):
        return None
    fields = {"phone": found.phone, "email": found.email, "name": found.name}
    return {k: v for k, v in fields.items() if v}


ORGANISATION = Slot(
    "organisation", "Đơn vị", "Anh/chị cho em xin tên doanh nghiệp, hợp tác xã hoặc đơn vị ạ?",
    parsers.organisation, choices=organisation_choices, switch_min_words=7,
    prefill=organisation_prefill,
)
CONTACT = Slot(
    "contact", "Liên hệ",
    "Anh/chị để lại số điện thoại hoặc email để cán bộ Trung tâm liên hệ ạ?",
    parsers.contact, choices=contact_choices, show=parsers.show_contact, request_contact=True,
    prefill=contact_prefill,
)
CONSENT = Slot(
    "consent", "Đồng ý liên hệ",
    "Anh/chị có đồng ý để Trung tâm liên hệ và chia sẻ nhu cầu với đơn vị cung ứng không ạ?",
    parsers.consent, choices=[("Đồng ý", "đồng ý"), ("Không đồng ý", "không đồng ý")],
    show=lambda v: "Đồng ý" if v else "Chưa đồng ý", parse_choices=True, recap=False,
)
