"""offer_technology: a provider offers a technology; saved as `pending_review` for staff.

When a reviewer asks for more ("Cần bổ sung"), the offerer's next plain message (or the
"Trả lời" button, `of:ans:<question>`) is their answer: stored on the offer, sent back to the
reviewer, and the offerer's normal dialogue goes on.
"""

from __future__ import annotations

from typing import Any

from bot.types import ContentKind
from handlers import demand_slots as ds
from handlers import parsers
from handlers.base import Context, Router
from handlers.contact import remember_contact
from handlers.forms import Form, Slot
from handlers.offer_text import answer_to_staff
from handlers.ui import MODE_NAMES, STAGE_NAMES, main_menu
from nlu.normalize import search_words
from storage.errors import StorageError
from storage.repos import catalog, offers

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
    ctx.state.data[OFFERER] = True  # a reviewer's question may come: look for answers
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


OFFERER = "offerer"


@router.intercept
async def answer_to_review(ctx: Context) -> bool:
    """An offerer's plain message while a reviewer's question waits is the answer (not while
    they fill a form, nor a picture or a shared phone number)."""
    if not ctx.state.data.get(OFFERER):
        return False  # only chats with an offer under review pay for the look-up
    if ctx.incoming.kind != ContentKind.TEXT or ctx.state.form or not ctx.text.strip():
        return False
    user = await ctx.user()
    question, under_review = await offers.awaiting(ctx.db, user.id)
    if not under_review:
        ctx.state.data.pop(OFFERER, None)  # every offer decided: no question can come
    if question is None:
        return False
    await _answer(ctx, question.id, user.id, ctx.text)
    return True


async def _answer(ctx: Context, question_id: int, user_id: int, text: str) -> None:
    try:
        offer = await offers.answer(ctx.db, question_id, user_id, text, tell=answer_to_staff)
    except StorageError as exc:
        ctx.say(f"Dạ, {str(exc)[0].lower()}{str(exc)[1:]} Anh/chị cần hỗ trợ gì thêm ạ?",
                main_menu())
        return
    ctx.say(f"Dạ, em đã chuyển câu trả lời của anh/chị về công nghệ “{offer.title}” tới cán bộ "
            "thẩm định. Trung tâm sẽ báo kết quả duyệt ạ. Anh/chị cần hỗ trợ gì thêm không ạ?",
            main_menu())


@router.button("of")
async def on_button(ctx: Context) -> None:
    if (ctx.args[:1] != ["ans"] or len(ctx.args) < 2 or not ctx.args[1].isdecimal()
            or len(ctx.args[1]) > 9):
        ctx.say("Dạ, nút này không còn hiệu lực ạ.", main_menu())
        return
    user = await ctx.user()
    question = await offers.open_question(ctx.db, user.id, int(ctx.args[1]))
    if question is None:
        ctx.say("Dạ, câu hỏi này đã được trả lời hoặc công nghệ đã có kết quả thẩm định ạ.",
                main_menu())
        return
    await ctx.start_form(ANSWER_FORM.name, {"question": question.id})


async def _answer_done(ctx: Context, values: dict[str, Any]) -> None:
    ctx.state.clear_form()
    user = await ctx.user()
    await _answer(ctx, int(values["question"]), user.id, values["answer"])


ANSWER_FORM = router.form(Form(
    name="offer_answer", title="câu trả lời cho cán bộ thẩm định", confirm=False,
    on_done=_answer_done,
    slots=(Slot("answer", "Câu trả lời", "Anh/chị nhắn câu trả lời cho cán bộ thẩm định ạ.",
                parsers.text, switchable=False, recap=False),),
))


@router.intent("offer_technology")
async def offer_technology(ctx: Context) -> None:
    await ctx.start_form("offer_technology")
