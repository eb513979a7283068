"""The dispatcher: includes the routers listed in `handlers.routers()` and routes one message.

Order for a message: button payloads → the routers' intercepts (a chat handed to a person) (form engine first, then `menu:<intent>`, then routers'
prefixes) → shared phone numbers → other non-text content → commands → empty text → a typed button
label → a pending yes/no question → NLU → the active form, or the intent's handler.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Iterable

from bot.types import ContentKind
from handlers import parsers
from handlers.base import Context, Handler, Intercept, Router
from handlers.form_words import BACK_WORDS, CANCEL_WORDS, SKIP_WORDS
from handlers.forms import FormEngine
from handlers.ui import main_menu

log = logging.getLogger(__name__)

FALLBACK_INTENT = "nlu_fallback"
FALLBACK_THRESHOLD = 0.3  # below this the NLU guess is treated as "not understood" (Rasa default)
YES_NO_CONFIDENCE = 0.6
# Intents handled at once even in the middle of a form (the form stays where it was): stopping
# news must always take one message (`unsubscribe`).
IMMEDIATE_INTENTS = frozenset({"unsubscribe"})
IMMEDIATE_CONFIDENCE = 0.8
FORM_WORDS = CANCEL_WORDS | SKIP_WORDS | BACK_WORDS  # a bare "hủy" cancels the form, not the news
MEDIA_TEXT = (
    "Dạ, hiện em chỉ đọc được tin nhắn dạng chữ ạ. Anh/chị vui lòng gõ nội dung cần hỗ trợ giúp em."
)


class Dispatcher:
    def __init__(self, routers: Iterable[Router]) -> None:
        self.forms = FormEngine()
        self.intents: dict[str, Handler] = {}
        self.commands: dict[str, Handler] = {}
        self.buttons: dict[str, Handler] = {}
        self.start_payloads: dict[str, Handler] = {}
        self.intercepts: list[Intercept] = []
        self.routers: list[Router] = []
        for router in routers:
            self.include(router)

    def include(self, router: Router) -> None:
        for own, theirs, what in (
            (self.intents, router.intents, "intent"),
            (self.commands, router.commands, "command"),
            (self.buttons, router.buttons, "button prefix"),
            (self.start_payloads, router.start_payloads, "/start payload"),
        ):
            for key, handler in theirs.items():
                if key in own and own[key] is not handler:
                    raise ValueError(f"{what} {key!r} registered twice (router {router.name})")
                own[key] = handler
        for form in router.forms:
            self.forms.add(form)
        self.intercepts.extend(router.intercepts)
        self.routers.append(router)

    # --- entry point -------------------------------------------------------------------------
    async def dispatch(self, ctx: Context) -> None:
        inc, st = ctx.incoming, ctx.state
        last_buttons, pending = st.buttons, st.pending
        st.buttons, st.pending = [], None  # both only answer the very next message
        if inc.kind == ContentKind.BUTTON or (inc.payload and inc.kind != ContentKind.COMMAND):
            return await self.on_payload(ctx, inc.payload or "")
        if not ctx.text.startswith("/"):
            for intercept in self.intercepts:  # a person has this chat: not the NLU or forms
                if await intercept(ctx):
                    return None
        if inc.kind == ContentKind.CONTACT:
            return await self.on_contact(ctx)
        if inc.kind not in (ContentKind.TEXT, ContentKind.COMMAND):
            return await self.on_unreadable(ctx, MEDIA_TEXT)
        if ctx.text.startswith("/"):
            return await self.on_command(ctx)
        if not ctx.text:
            return await self.on_unreadable(ctx, "Dạ, em chưa nhận được nội dung tin nhắn ạ.")
        payload = _typed_button(ctx.text, last_buttons, inc.numbered)
        if payload is None and pending:
            payload = _typed_yes_no(ctx.text, pending)
        if payload is not None:
            return await self.on_payload(ctx, payload)
        if not re.search(r"[^\W_]", ctx.text):  # only emoji / punctuation
            return await self.on_unreadable(ctx, "Dạ, em chưa hiểu ý anh/chị ạ.")
        ctx.nlu = await ctx.services.nlu.parse(ctx.text)
        if pending and ctx.intent in ("affirm", "deny") and ctx.confidence >= YES_NO_CONFIDENCE:
            return await self.on_payload(ctx, pending["yes" if ctx.intent == "affirm" else "no"])
        if self.forms.active(ctx) is not None:
            if (ctx.intent in IMMEDIATE_INTENTS and ctx.confidence >= IMMEDIATE_CONFIDENCE
                    and parsers.words_key(ctx.text) not in FORM_WORDS):
                return await self.run_intent(ctx, ctx.intent)
            return await self.forms.on_text(ctx)
        await self.on_intent(ctx)

    async def on_intent(self, ctx: Context) -> None:
        intent = ctx.intent
        if intent is None or ctx.confidence < FALLBACK_THRESHOLD or intent not in self.intents:
            intent = FALLBACK_INTENT
        if intent not in (FALLBACK_INTENT, "out_of_scope"):
            ctx.state.fallbacks = 0
        await self.run_intent(ctx, intent)

    async def run_intent(self, ctx: Context, intent: str) -> None:
        handler = self.intents.get(intent) or self.intents.get(FALLBACK_INTENT)
        if handler is None:  # pragma: no cover - fallback.py registers it
            ctx.say("Dạ, em chưa hỗ trợ được yêu cầu này ạ.", main_menu())
            return
        await handler(ctx)

    # --- buttons and commands ----------------------------------------------------------------
    async def on_payload(self, ctx: Context, payload: str) -> None:
        if await self.forms.on_button(ctx, payload):
            return
        head, _, rest = payload.partition(":")
        if head == "menu" and rest in self.intents:
            if (form := self.forms.active(ctx)) is not None and form.intent != rest:
                ctx.state.clear_form()
                ctx.say(f"Dạ, em đã dừng {form.title} đang khai dở.")
            ctx.text, ctx.nlu = "", {}
            ctx.state.fallbacks = 0
            return await self.run_intent(ctx, rest)
        for prefix in sorted(self.buttons, key=len, reverse=True):
            if payload == prefix or payload.startswith(prefix + ":"):
                ctx.args = payload[len(prefix) + 1 :].split(":") if payload != prefix else []
                return await self.buttons[prefix](ctx)
        log.info("unknown button payload %r", payload[:80])
        await self.on_unreadable(
            ctx, "Dạ, nút này không còn hiệu lực (có thể tin nhắn đã cũ) ạ."
        )

    async def on_command(self, ctx: Context) -> None:
        parts = ctx.text[1:].split()
        name = parts[0].split("@")[0].lower() if parts else ""
        ctx.args = parts[1:]
        handler = self.commands.get(name)
        if handler is not None:
            return await handler(ctx)
        known = " ".join(f"/{c}" for c in sorted(self.commands))
        note = f"Dạ, em chưa biết lệnh “/{name[:30]}” ạ. Các lệnh em hiểu: {known}."
        await self.on_unreadable(ctx, note)

    async def start_payload(self, ctx: Context, payload: str) -> bool:
        """Route `/start <payload>` to the handler registered for its prefix; False if none."""
        for prefix in sorted(self.start_payloads, key=len, reverse=True):
            if payload.startswith(prefix) and len(payload) > len(prefix):
                ctx.args = [payload[len(prefix) :]]
                await self.start_payloads[prefix](ctx)
                return True
        return False

    async def on_contact(self, ctx: Context) -> None:
        number = parsers.normalize_phone(ctx.text) or ctx.text.strip()
        form = self.forms.active(ctx)
        slot = form.slot(ctx.state.awaiting or "") if form else None
        if form is not None and slot is not None:
            ctx.text = number
            return await self.forms.on_text(ctx)
        if parsers.normalize_phone(number) is None:
            return await self.on_unreadable(ctx, "Dạ, em chưa đọc được số điện thoại này ạ.")
        from storage.repos import users

        user = await ctx.user()
        await users.remember_contact(ctx.db, user.id, phone=number)
        ctx.forget_user()
        ctx.say(f"Dạ, em đã lưu số điện thoại {number} của anh/chị. Anh/chị cần hỗ trợ gì ạ?",
                main_menu())

    async def on_unreadable(self, ctx: Context, note: str) -> None:
        """Say what went wrong, then repeat the open question (or show the menu)."""
        form = self.forms.active(ctx)
        if form is not None:
            return await self.forms.resume(ctx, form, note + "\n\n")
        ctx.say(note + " Anh/chị có thể chọn một mục dưới đây hoặc nhắn nhu cầu của mình:",
                main_menu())


def _typed_button(text: str, buttons: list[list[str]], numbered: bool = False) -> str | None:
    """The payload of the button the user typed: its label, or its number where choices are
    shown numbered (the buttons of the last answer live in the chat's state, not the adapter)."""
    number = re.fullmatch(r"\s*(\d{1,2})\s*[.)]?\s*", text) if numbered else None
    if number is not None and 1 <= int(number.group(1)) <= len(buttons):
        return buttons[int(number.group(1)) - 1][1]
    key = parsers.words_key(text)
    if not key:
        return None
    for label, payload in buttons:
        if parsers.words_key(label) == key:
            return payload
    return None


def _typed_yes_no(text: str, pending: dict[str, str]) -> str | None:
    answer = parsers.yes_no(text)
    if answer is None:
        return None
    return pending["yes" if answer else "no"]
