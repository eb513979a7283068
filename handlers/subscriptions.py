"""`subscribe` / `unsubscribe`: news of technologies and events by sector and province.

Subscribing is a short form: sectors, then provinces (a button picks one, typing may name several,
"tất cả"/"toàn quốc" means everything), a summary, then saving. Unsubscribing never asks anything.
"""

from __future__ import annotations

import re
from typing import Any

from bot.types import Button
from handlers import parsers
from handlers.base import Context, Router
from handlers.forms import CANCEL_WORDS, Form, Slot
from handlers.news_render import KIND_LABELS, KIND_WORDS
from handlers.ui import intent_button, main_menu
from nlu.normalize import plain
from nlu.taxonomy import PROVINCE_BY_ID, SECTOR_BY_ID, SECTORS, find_sector
from storage.repos import subscriptions as subs_repo

router = Router("subscriptions")

ALL = "*"
_ALL_WORDS = re.compile(r"\b(tat ca|moi linh vuc|toan quoc|ca nuoc|moi noi|bat ky|dau cung duoc)\b")


def parse_sectors(value: str) -> list[str]:
    """'chế biến, bảo quản' → both ids; 'tất cả' → ['*']."""
    if _ALL_WORDS.search(plain(value)):
        return [ALL]
    found = [s.id for s, _ in parsers.rank_sectors(value)]
    for part in re.split(r"[,;/]| va ", plain(value)):
        sector = find_sector(part.strip()) if part.strip() else None
        if sector and sector.id not in found:
            found.append(sector.id)
    if not found:
        raise parsers.Invalid("Em chưa nhận ra lĩnh vực ạ. Anh/chị chọn một nút bên dưới, hoặc gõ "
                              "tên lĩnh vực (nhiều lĩnh vực cách nhau bởi dấu phẩy).")
    return found


def parse_provinces(value: str) -> list[str]:
    """'Bắc Giang, Hà Nội' → ['bac_ninh', 'ha_noi']; 'toàn quốc' → ['*']."""
    if _ALL_WORDS.search(plain(value)):
        return [ALL]
    found: list[str] = []
    for part in re.split(r"[,;/]|\bvà\b|\bva\b", value):
        hit = parsers.province_in_text(part) if part.strip() else None
        if hit and hit[0].id not in found:
            found.append(hit[0].id)
    if not found:
        raise parsers.Invalid("Em chưa nhận ra tỉnh/thành phố ạ. Anh/chị gõ tên tỉnh (nhiều tỉnh "
                              "cách nhau bởi dấu phẩy) hoặc chọn “Toàn quốc”.")
    return found


def parse_kinds(value: str) -> list[str]:
    """'hội thảo, techmart' → ['techmart', 'workshop']; 'tất cả' → ['*']."""
    folded = plain(value)
    if _ALL_WORDS.search(folded) or "moi loai" in folded:
        return [ALL]
    found = sorted({kind for word, kind in KIND_WORDS.items() if word in folded})
    if not found:
        raise parsers.Invalid("Em chưa nhận ra loại sự kiện ạ. Anh/chị chọn một nút bên dưới, "
                              "hoặc gõ ví dụ: “hội thảo, techmart”.")
    return found


def show_kinds(ids: list[str]) -> str:
    if not ids or ALL in ids:
        return "Mọi loại sự kiện"
    return ", ".join(KIND_LABELS.get(i, i) for i in ids)


def _kind_choices(ctx: Context, values: dict[str, Any]) -> list[tuple[str, Any]]:
    return [("Mọi loại sự kiện", [ALL])] + [(label, [kind]) for kind, label in KIND_LABELS.items()]


def show_sectors(ids: list[str]) -> str:
    if not ids or ALL in ids:
        return "Tất cả lĩnh vực"
    return ", ".join(SECTOR_BY_ID[i].name for i in ids if i in SECTOR_BY_ID)


def show_provinces(ids: list[str]) -> str:
    if not ids or ALL in ids:
        return "Toàn quốc"
    return ", ".join(PROVINCE_BY_ID[i].name for i in ids if i in PROVINCE_BY_ID)


def _all_entities(ctx: Context, name: str) -> list[str]:
    out: list[str] = []
    for e in ctx.entities:
        if e.get("entity") != name:
            continue
        value = e.get("id") if name == "province" else e.get("value")
        if value and value not in out:
            out.append(value)
    return out


async def _prefill_sectors(ctx: Context, values: dict[str, Any]) -> list[str] | None:
    return [s for s in _all_entities(ctx, "sector") if s in SECTOR_BY_ID] or None


async def _prefill_provinces(ctx: Context, values: dict[str, Any]) -> list[str] | None:
    return [p for p in _all_entities(ctx, "province") if p in PROVINCE_BY_ID] or None


def _sector_choices(ctx: Context, values: dict[str, Any]) -> list[tuple[str, Any]]:
    return [("Tất cả lĩnh vực", [ALL])] + [(s.name, [s.id]) for s in SECTORS]


async def _province_choices(ctx: Context, values: dict[str, Any]) -> list[tuple[str, Any]]:
    choices: list[tuple[str, Any]] = [("Toàn quốc", [ALL])]
    own = (await ctx.user()).province
    if own in PROVINCE_BY_ID:
        choices.append((PROVINCE_BY_ID[own].name, [own]))
    return choices


async def _save(ctx: Context, values: dict[str, Any]) -> None:
    sectors = [s for s in values.get("sectors", []) if s != ALL]
    provinces = [p for p in values.get("provinces", []) if p != ALL]
    kinds = [k for k in values.get("event_kinds", []) if k != ALL]
    user = await ctx.user()
    await subs_repo.start(ctx.db, user, sectors=sectors, provinces=provinces, event_kinds=kinds)
    ctx.state.clear_form()
    ctx.say(f"Em đã đăng ký nhận tin cho anh/chị: {show_sectors(sectors).lower()}, "
            f"{show_provinces(provinces)}, {show_kinds(kinds).lower()}. Khi có công nghệ hoặc sự "
            "kiện mới phù hợp, em sẽ nhắn anh/chị ngay, và gửi bản tin tổng hợp mỗi tuần. "
            "Muốn dừng, anh/chị chỉ cần nhắn “hủy nhận tin” hoặc gõ /huynhantin.",
            [Button("Xem sự kiện sắp tới", "ev:list"),
             Button("Chỉ nhận bản tin tuần", "sub:quiet"), Button("Hủy nhận tin", "sub:off")])


SUBSCRIBE_FORM = router.form(Form(
    name="subscription",
    title="việc đăng ký nhận tin",
    intent="subscribe",
    related_intents=frozenset({"unsubscribe"}),
    on_done=_save,
    summary_title="Anh/chị sẽ nhận tin về:",
    slots=(
        Slot("sectors", "Lĩnh vực", "Anh/chị muốn nhận tin về lĩnh vực nào ạ? Chọn một nút, hoặc "
             "gõ tên nhiều lĩnh vực cách nhau bởi dấu phẩy.", parse_sectors,
             choices=_sector_choices, prefill=_prefill_sectors, show=show_sectors),
        Slot("provinces", "Địa bàn", "Anh/chị quan tâm tin ở tỉnh/thành phố nào ạ? Chọn “Toàn "
             "quốc”, hoặc gõ tên tỉnh (nhiều tỉnh cách nhau bởi dấu phẩy).", parse_provinces,
             choices=_province_choices, prefill=_prefill_provinces, show=show_provinces),
        Slot("event_kinds", "Loại sự kiện", "Anh/chị muốn nhận tin về loại sự kiện nào ạ? Chọn "
             "một nút, hoặc gõ nhiều loại cách nhau bởi dấu phẩy.", parse_kinds,
             choices=_kind_choices, show=show_kinds),
    ),
))


@router.intent("subscribe")
async def subscribe(ctx: Context) -> None:
    user = await ctx.user()
    current = await subs_repo.current(ctx.db, user)
    if current:
        sub = current[0]
        ctx.say(f"Anh/chị đang nhận tin về: {show_sectors(sub.sectors).lower()}, "
                f"{show_provinces(sub.provinces)}, {show_kinds(sub.event_kinds).lower()}. "
                "Em sẽ cập nhật theo lựa chọn mới ạ.")
    await ctx.start_form(SUBSCRIBE_FORM.name)


async def unsubscribe_now(ctx: Context) -> None:
    user = await ctx.user()
    stopped = await subs_repo.stop_all(ctx.db, user)
    text = ("Em đã hủy đăng ký nhận tin của anh/chị, từ giờ em sẽ không gửi tin tự động nữa ạ."
            if stopped else "Anh/chị hiện không đăng ký nhận tin nào, em sẽ không gửi tin tự động ạ.")
    if ctx.state.form == SUBSCRIBE_FORM.name:
        ctx.state.clear_form()
    if await ctx.resume(text + "\n\nMình tiếp tục nhé: "):  # said inside another form: carry on
        return
    ctx.say(text, [intent_button("subscribe", "Đăng ký lại"), *main_menu()[:2]])


@router.intent("unsubscribe")
async def unsubscribe(ctx: Context) -> None:
    if parsers.words_key(ctx.text) in CANCEL_WORDS:  # a bare "hủy": nothing says "news"
        ctx.say("Dạ, hiện không có thao tác nào đang làm dở để hủy ạ. Nếu anh/chị muốn ngừng "
                "nhận tin tự động, bấm “Hủy nhận tin”.", [Button("Hủy nhận tin", "sub:off"),
                                                          *main_menu()[:3]])
        return
    await unsubscribe_now(ctx)


@router.command("huynhantin")
async def unsubscribe_command(ctx: Context) -> None:
    await unsubscribe_now(ctx)


@router.command("dangkynhantin")
async def subscribe_command(ctx: Context) -> None:
    await subscribe(ctx)


async def set_news_alerts(ctx: Context, on: bool) -> None:
    """Opt in or out of the messages sent as soon as a matching item is published."""
    changed = await subs_repo.set_notify(ctx.db, await ctx.user(), on)
    if not changed:
        ctx.say("Anh/chị chưa đăng ký nhận tin ạ. Anh/chị có muốn đăng ký không?",
                [intent_button("subscribe", "Đăng ký nhận tin"), *main_menu()[:2]])
    elif on:
        ctx.say("Dạ, em sẽ báo anh/chị ngay khi có sự kiện hoặc công nghệ mới phù hợp, kèm bản "
                "tin tuần ạ.", [Button("Chỉ nhận bản tin tuần", "sub:quiet")])
    else:
        ctx.say("Dạ, từ giờ em chỉ gửi anh/chị bản tin tổng hợp mỗi tuần (và nhắc lịch sự kiện "
                "đã đăng ký) ạ.", [Button("Báo tin mới ngay", "sub:alerts"),
                                   Button("Hủy nhận tin", "sub:off")])


@router.button("sub")
async def on_button(ctx: Context) -> None:
    action = ctx.args[:1]
    if action == ["off"]:
        await unsubscribe_now(ctx)
    elif action in (["quiet"], ["alerts"]):
        await set_news_alerts(ctx, action == ["alerts"])
    else:
        await ctx.start_form(SUBSCRIBE_FORM.name)
