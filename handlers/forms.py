"""Forms declared as data (`Form`, `Slot`) and the engine that asks for the missing slots.

The engine pre-fills slots from the message that started the form (and from NLU entities in every
later answer), asks only what is still missing, understands "hủy"/"thôi", "bỏ qua", "quay lại",
shows a summary with "Xác nhận" / "Sửa" / "Hủy", and asks before switching to another demand.
Button payloads: `fc:<slot>:<i>` (a choice), `f:skip|back|cancel|ok|edit|sum`, `f:edit:<slot>`,
`sw:yes|no` (switch to the parked demand or stay).
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from typing import Any

from bot.types import Button
from handlers import parsers
from handlers.base import Context, maybe_await
from handlers.form_switch import offer_switch, wants_switch
from handlers.form_words import (
    BACK_WORDS,
    CANCEL_WORDS,
    EDIT_WORDS,
    SKIP_WORDS,
    SMALL_TALK,
    SMALL_TALK_CONFIDENCE,
)
from handlers.ui import bullet_list, main_menu

Values = dict[str, Any]
Choice = tuple[str, Any]  # (button label, slot value)
ChoicesFn = Callable[[Context, Values], Sequence[Choice] | Awaitable[Sequence[Choice]]]

CONFIRM, EDIT = "@confirm", "@edit"
FREE_TEXT = (parsers.text, parsers.short_text, parsers.organisation, parsers.person_name)


@dataclass(frozen=True)
class Slot:
    """One piece of information a form collects."""

    name: str
    label: str  # short Vietnamese name, shown in the summary and the "Sửa" menu
    prompt: str | Callable[[Values], str]
    parse: Callable[[str], Any] = parsers.text  # raise parsers.Invalid to ask again
    required: bool = True
    choices: Sequence[Choice] | ChoicesFn | None = None  # buttons offered with the prompt
    entity: str | None = None  # NLU entity that fills this slot whenever it appears
    from_entity: Callable[[dict[str, Any]], Any] | None = None  # entity → value (default: value)
    prefill: Callable[[Context, Values], Any] | None = None  # at form start; may be async
    show: Callable[[Any], str] = str  # value → text for the summary
    when: Callable[[Values], bool] | None = None  # ask only when this holds
    switchable: bool = True  # may a high-confidence other intent here mean "switch demand"?
    switch_min_words: int = 1  # ...only in answers at least this long (names look like requests)
    echo: bool = False  # repeat the understood value back (e.g. old province → new unit)
    request_contact: bool = False  # channels may offer their native "share phone" button
    recap: bool = True  # list it in "Em đã ghi nhận" when pre-filled (off for long free text)
    parse_choices: bool = False  # pass a pressed choice's value (text) through `parse` too


@dataclass(frozen=True)
class Form:
    """A dialogue declared in one place; `on_done(ctx, values)` runs after "Xác nhận"."""

    name: str
    title: str  # "nhu cầu tìm công nghệ": used in "Em đã hủy {title}."
    slots: tuple[Slot, ...]
    on_done: Callable[[Context, Values], Awaitable[None]]
    intent: str | None = None
    related_intents: frozenset[str] = frozenset()  # intents that never trigger a switch question
    confirm: bool = True  # show the summary before on_done
    summary_title: str = "Anh/chị kiểm tra lại thông tin giúp em:"

    def slot(self, name: str) -> Slot | None:
        return next((s for s in self.slots if s.name == name), None)


class FormEngine:
    def __init__(self) -> None:
        self.forms: dict[str, Form] = {}

    def add(self, form: Form) -> None:
        if form.name in self.forms and self.forms[form.name] is not form:
            raise ValueError(f"two forms named {form.name!r}")
        self.forms[form.name] = form

    def active(self, ctx: Context) -> Form | None:
        name = ctx.state.form
        return self.forms.get(name) if name else None

    # --- starting and asking ---------------------------------------------------------------------
    async def start(self, ctx: Context, name: str, values: Values) -> None:
        form = self.forms[name]
        ctx.state.clear_form()
        ctx.state.form = name
        ctx.state.values = dict(values)
        filled = await self._prefill(ctx, form, first=True)
        await self._advance(ctx, form, self._recap(ctx, filled))

    async def _prefill(self, ctx: Context, form: Form, *, first: bool) -> list[Slot]:
        st, filled = ctx.state, []
        for slot in form.slots:
            if slot.name in st.values or slot.name in st.skipped:
                continue
            value = None
            found = ctx.entity(slot.entity) if slot.entity else None
            if found is not None:
                value = (slot.from_entity or (lambda e: e.get("value")))(found)
            if value is None and first and slot.prefill is not None:
                value = await maybe_await(slot.prefill(ctx, st.values))
            if value is not None:
                st.values[slot.name] = value
                filled.append(slot)
        return filled

    @staticmethod
    def _recap(ctx: Context, slots: list[Slot]) -> str:
        lines = [f"{s.label}: {s.show(ctx.state.values[s.name])}" for s in slots if s.recap]
        return "Em đã ghi nhận:\n" + bullet_list(lines) + "\n\n" if lines else ""

    def _next_slot(self, form: Form, ctx: Context) -> Slot | None:
        st = ctx.state
        for slot in form.slots:
            if slot.name in st.values or slot.name in st.skipped:
                continue
            if slot.when is None or slot.when(st.values):
                return slot
        return None

    async def _advance(self, ctx: Context, form: Form, note: str = "") -> None:
        slot = self._next_slot(form, ctx)
        if slot is not None:
            await self.ask(ctx, form, slot, note)
        elif form.confirm:
            self.summary(ctx, form, note)
        else:
            await self._finish(ctx, form)

    async def ask(self, ctx: Context, form: Form, slot: Slot, note: str = "") -> None:
        st = ctx.state
        prompt = slot.prompt(st.values) if callable(slot.prompt) else slot.prompt
        options = slot.choices(ctx, st.values) if callable(slot.choices) else slot.choices
        options = list(await maybe_await(options) or [])
        st.choices = [[label, value] for label, value in options]
        buttons = [Button(label, f"fc:{slot.name}:{i}") for i, (label, _) in enumerate(options)]
        if not slot.required:
            buttons.append(Button("Bỏ qua", "f:skip"))
        if not st.asked:
            prompt += "\n(Anh/chị có thể gõ “quay lại” để sửa câu trước hoặc “hủy” để dừng.)"
        st.awaiting = slot.name
        if slot.name in st.asked:
            st.asked.remove(slot.name)
        st.asked.append(slot.name)
        ctx.say(note + prompt, buttons, request_contact=slot.request_contact)

    def summary(self, ctx: Context, form: Form, note: str = "") -> None:
        st = ctx.state
        lines = []
        for slot in form.slots:
            if slot.name in st.values:
                lines.append(f"{slot.label}: {slot.show(st.values[slot.name])}")
            elif slot.name in st.skipped:
                lines.append(f"{slot.label}: (bỏ qua)")
        st.awaiting, st.choices = CONFIRM, []
        buttons = [Button("Xác nhận", "f:ok"), Button("Sửa", "f:edit"), Button("Hủy", "f:cancel")]
        ctx.say(f"{note}{form.summary_title}\n{bullet_list(lines)}", buttons)

    def edit_menu(self, ctx: Context, form: Form) -> None:
        st = ctx.state
        slots = [s for s in form.slots if s.when is None or s.when(st.values)]
        st.awaiting, st.choices = EDIT, []
        buttons = [Button(s.label, f"f:edit:{s.name}") for s in slots]
        buttons.append(Button("Giữ nguyên", "f:sum"))
        ctx.say("Anh/chị muốn sửa mục nào ạ?", buttons)

    # --- answers -----------------------------------------------------------------------------
    async def on_text(self, ctx: Context) -> None:
        form = self.active(ctx)
        assert form is not None
        key = parsers.words_key(ctx.text)
        if key in CANCEL_WORDS:
            return self.cancel(ctx, form)
        if key in BACK_WORDS:
            return await self.back(ctx, form)
        awaiting = ctx.state.awaiting
        if awaiting == CONFIRM:
            return await self._on_confirm_text(ctx, form, key)
        if awaiting == EDIT:
            return await self._on_edit_text(ctx, form, key)
        slot = form.slot(awaiting or "")
        if slot is None:  # a state from an older version of the form: resume where it fits
            return await self._advance(ctx, form)
        if key in SKIP_WORDS:  # a required slot says why it cannot be skipped
            return await self.skip(ctx, form, slot)
        await self._answer(ctx, form, slot)

    async def _answer(self, ctx: Context, form: Form, slot: Slot) -> None:
        if slot.parse in FREE_TEXT and self._small_talk(ctx, slot):
            reply = SMALL_TALK[ctx.intent or ""]
            return await self.ask(ctx, form, slot, f"{reply}\n\n")
        switchable = slot.switchable and len(ctx.text.split()) >= slot.switch_min_words
        if switchable and slot.parse in FREE_TEXT and wants_switch(ctx, form):
            return offer_switch(ctx, form)
        if slot.entity and await self._entity_answer(ctx, form, slot):
            return
        try:
            value = await maybe_await(slot.parse(ctx.text))
        except parsers.Invalid as exc:
            if switchable and wants_switch(ctx, form):
                return offer_switch(ctx, form)
            return await self.ask(ctx, form, slot, f"{exc}\n\n")
        await self.accept(ctx, form, slot, value)

    async def _entity_answer(self, ctx: Context, form: Form, slot: Slot) -> bool:
        """Entities first: the canonical value of this slot's entity, or, when the answer only
        fills other slots ("ở Bắc Giang" to the product question), those, then ask again."""
        found = ctx.entity(slot.entity or "")
        if found is not None:
            value = (slot.from_entity or (lambda e: e.get("value")))(found)
            if value is not None:
                await self.accept(ctx, form, slot, value)
                return True
            return False
        filled = await self._prefill(ctx, form, first=False) if ctx.nlu else []
        if not filled:
            return False
        await self.ask(ctx, form, slot, self._recap(ctx, filled))
        return True

    async def accept(self, ctx: Context, form: Form, slot: Slot, value: Any) -> None:
        st = ctx.state
        st.values[slot.name] = value
        note = f"Dạ, {slot.label.lower()}: {slot.show(value)}.\n" if slot.echo else ""
        others = await self._prefill(ctx, form, first=False) if ctx.nlu else []
        recap = self._recap(ctx, others)
        await self._advance(ctx, form, note + ("\n" if note and recap else "") + recap)

    async def _on_confirm_text(self, ctx: Context, form: Form, key: str) -> None:
        if key in EDIT_WORDS:
            return self.edit_menu(ctx, form)
        if parsers.yes_no(ctx.text) is True or ctx.intent == "affirm":
            return await self._finish(ctx, form)
        if wants_switch(ctx, form):
            return offer_switch(ctx, form)
        if ctx.intent == "deny" or parsers.yes_no(ctx.text) is False:
            return self.edit_menu(ctx, form)
        self.summary(ctx, form, "Anh/chị chọn “Xác nhận”, “Sửa” hoặc “Hủy” giúp em ạ.\n\n")

    async def _on_edit_text(self, ctx: Context, form: Form, key: str) -> None:
        for slot in form.slots:
            if key and key in (parsers.words_key(slot.label), slot.name):
                return await self.edit(ctx, form, slot.name)
        self.edit_menu(ctx, form)

    async def on_button(self, ctx: Context, payload: str) -> bool:
        """Form buttons (`fc:`, `f:`, `sw:`); False when the payload is not the engine's."""
        form = self.active(ctx)
        head, _, rest = payload.partition(":")
        if head not in ("fc", "f", "sw"):
            return False
        if form is None:
            ctx.say(
                "Dạ, phần khai thông tin này đã kết thúc hoặc đã hủy. Anh/chị cần gì tiếp ạ?",
                main_menu(),
            )
            return True
        if head == "fc":
            await self._on_choice(ctx, form, rest)
        elif head == "sw":
            await self._on_switch(ctx, form, rest == "yes")
        else:
            await self._on_control(ctx, form, rest)
        return True

    async def _on_choice(self, ctx: Context, form: Form, rest: str) -> None:
        st = ctx.state
        slot_name, _, index_text = rest.rpartition(":")
        slot = form.slot(slot_name)
        index = parsers.whole_number(index_text)
        if slot is None or slot_name != st.awaiting or index is None:
            ctx.say("Nút này thuộc câu hỏi trước rồi ạ.")
            return await self.resume(ctx, form)
        if index >= len(st.choices):
            return await self.resume(ctx, form)
        value = st.choices[index][1]
        if slot.parse_choices:
            try:
                value = await maybe_await(slot.parse(str(value)))
            except parsers.Invalid as exc:
                return await self.ask(ctx, form, slot, f"{exc}\n\n")
        await self.accept(ctx, form, slot, value)

    async def _on_control(self, ctx: Context, form: Form, rest: str) -> None:
        action, _, arg = rest.partition(":")
        slot = form.slot(ctx.state.awaiting or "")
        if action == "cancel":
            self.cancel(ctx, form)
        elif action == "back":
            await self.back(ctx, form)
        elif action == "skip" and slot is not None:
            await self.skip(ctx, form, slot)
        elif action == "ok" and ctx.state.awaiting == CONFIRM:
            await self._finish(ctx, form)
        elif action == "edit" and arg and ctx.state.awaiting in (CONFIRM, EDIT):
            await self.edit(ctx, form, arg)
        elif action == "edit" and ctx.state.awaiting == CONFIRM:
            self.edit_menu(ctx, form)
        elif action == "sum" and ctx.state.awaiting == EDIT:
            self.summary(ctx, form)
        else:  # a stale button (e.g. "Xác nhận" pressed twice): say where we are
            await self.resume(ctx, form)

    # --- moves -------------------------------------------------------------------------------
    async def resume(self, ctx: Context, form: Form, note: str = "") -> None:
        """Ask again whatever the form is waiting for."""
        awaiting = ctx.state.awaiting
        slot = form.slot(awaiting or "")
        if awaiting == EDIT:
            self.edit_menu(ctx, form)
        elif slot is not None:
            await self.ask(ctx, form, slot, note)
        else:
            await self._advance(ctx, form, note)

    def cancel(self, ctx: Context, form: Form) -> None:
        ctx.state.clear_form()
        ctx.say(
            f"Dạ, em đã hủy {form.title}. Anh/chị cần hỗ trợ gì khác cứ nhắn em nhé.", main_menu()
        )

    async def skip(self, ctx: Context, form: Form, slot: Slot) -> None:
        if slot.required:
            return await self.ask(ctx, form, slot, "Mục này cần thiết nên em chưa bỏ qua được ạ.\n\n")
        ctx.state.skipped.append(slot.name)
        await self._advance(ctx, form)

    async def back(self, ctx: Context, form: Form) -> None:
        st = ctx.state
        if st.awaiting in (CONFIRM, EDIT):
            previous = st.asked[-1] if st.asked else None
        else:
            if st.asked and st.asked[-1] == st.awaiting:
                st.asked.pop()
            previous = st.asked[-1] if st.asked else None
        slot = form.slot(previous or "")
        if slot is None:
            note = "Đây đã là câu hỏi đầu tiên ạ.\n\n"
            return await self.resume(ctx, form, note)
        st.values.pop(slot.name, None)
        if slot.name in st.skipped:
            st.skipped.remove(slot.name)
        await self.ask(ctx, form, slot)

    async def edit(self, ctx: Context, form: Form, name: str) -> None:
        slot = form.slot(name)
        if slot is None:
            return self.edit_menu(ctx, form)
        ctx.state.values.pop(name, None)
        if name in ctx.state.skipped:
            ctx.state.skipped.remove(name)
        await self.ask(ctx, form, slot)

    async def _finish(self, ctx: Context, form: Form) -> None:
        values = dict(ctx.state.values)
        # on_done runs first: if it fails, the app keeps the old state so "Xác nhận" can be retried.
        await form.on_done(ctx, values)
        if ctx.state.form == form.name:
            ctx.state.clear_form()

    @staticmethod
    def _small_talk(ctx: Context, slot: Slot) -> bool:
        """A short "xin chào" / "cảm ơn" is not an organisation name, nor is a question about the
        weather (long free-text slots such as a description accept anything)."""
        if ctx.intent not in SMALL_TALK or ctx.confidence < SMALL_TALK_CONFIDENCE:
            return False
        if ctx.intent == "out_of_scope":
            return slot.recap
        return len(ctx.text.split()) <= 4

    async def _on_switch(self, ctx: Context, form: Form, yes: bool) -> None:
        parked = ctx.state.parked
        ctx.state.parked = None
        if not yes or not parked:
            return await self.resume(ctx, form, "Dạ, mình tiếp tục nhé.\n\n")
        ctx.state.clear_form()
        ctx.text, ctx.nlu = parked["text"], parked.get("nlu") or {}
        await ctx.run_intent(parked["intent"])
