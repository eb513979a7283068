"""Dialogue handlers: one small module per feature, found automatically at start-up.

How a message flows
-------------------
`bot.app.App.handle(incoming)` loads the chat's `DialogueState`, builds a `Context` and calls
`handlers.dispatch.Dispatcher.dispatch(ctx)`, which routes: button payload → shared phone number →
other non-text content (polite "I read text") → `/command` → empty text → a typed button label
(typing "Xác nhận" presses that button) → a pending yes/no question → NLU parse → the active form,
or the handler of the NLU intent (low confidence → `nlu_fallback`, two-stage fallback in
`handlers/fallback.py`). The state is saved after the handlers ran; if a handler raises, the user
gets an apology and the state is left as it was.

Writing a handler
-----------------
Create `handlers/<feature>.py` with a module-level `router`; the dispatcher imports every module
under `handlers/` (sub-packages too) and includes each `router`. A key (intent, command, button
prefix) may be registered only once across all modules::

    from handlers.base import Context, Router
    from handlers.ui import main_menu

    router = Router("events")

    @router.intent("ask_events")                 # NLU intent (also reached by button menu:ask_events)
    async def list_events(ctx: Context) -> None:
        province = ctx.entity("province")         # {"value": "Bắc Ninh", "id": "bac_ninh", ...} | None
        kind = ctx.entity_value("event_kind")     # "techmart" | ... | None
        ctx.say("Dạ, các sự kiện sắp tới: ...", [("Đăng ký", "ev:reg:SK-003")])

    @router.button("ev:reg")                     # payload "ev:reg:SK-003" → ctx.args == ["SK-003"]
    async def register(ctx: Context) -> None: ...

    @router.command("dulieu")                    # "/dulieu a b" → ctx.args == ["a", "b"]
    async def my_data(ctx: Context) -> None: ...

    @router.start_payload("event_")              # "/start event_SK-003" → ctx.args == ["SK-003"]
    async def deep_link(ctx: Context) -> None: ...

`Context` gives: `ctx.text` (trimmed message), `ctx.intent`, `ctx.confidence`, `ctx.entities`,
`ctx.entity(name)`, `ctx.entity_value(name)`, `ctx.nlu` (the raw Rasa-shaped parse), `ctx.args`,
`ctx.incoming` (channel, chat_id, user_id, user_name...), `ctx.state.data` (a JSON dict kept
between messages for your own small needs), `await ctx.user()` (the storage `User`, created on
first contact; detached: to change it, `await s.merge(user)` in your session, then
`ctx.forget_user()`), `ctx.db` (`async with ctx.db.transaction() as s:`), `ctx.services.search`
(`storage.search.CatalogSearch`), `ctx.now()` (aware UTC datetime; tests may fix the clock).

Replying: `ctx.say(text, buttons=[(label, payload), ...], link=None, request_contact=False)`; add
buttons wherever a choice is offered. Payloads are short ASCII (≤ 64 bytes), `prefix:arg:arg`.
Texts are polite Vietnamese (anh/chị, "Dạ, ..."). Shared labels/menus: `handlers.ui`
(`main_menu()`, `intent_button(intent)`, `INTENT_LABELS`). Button `menu:<intent>` runs that
intent's handler with empty text. Validate `ctx.args` yourself (payloads can be stale or forged):
on a bad one, say so politely and offer `main_menu()`.

A yes/no question: `ctx.ask_yes_no(text, ("Có", "x:yes"), ("Không", "x:no"))` — the user may press
a button or type "có"/"ok"/"không"; either way your `@router.button("x")` handler receives
`ctx.args == ["yes"]` or `["no"]`. Another intent: `await ctx.run_intent("human_handoff")`.

Writing a form
--------------
A form is data: slots asked in order, skipping those already filled. Declare it once and register
it on your router; start it from a handler with `await ctx.start_form(name, values)`::

    from handlers import parsers
    from handlers.forms import Form, Slot

    async def save(ctx: Context, values: dict) -> None:    # runs after "Xác nhận"
        ...                                                 # commit first, then ctx.say(...)

    REGISTER = router.form(Form(
        name="event_registration", title="đăng ký sự kiện", on_done=save,
        intent="ask_events",                          # intents in related_intents never ask to switch
        slots=(
            Slot("name", "Họ tên", "Anh/chị cho em xin họ tên người tham dự ạ?", parsers.person_name),
            Slot("contact", "Liên hệ", "Số điện thoại hoặc email của anh/chị ạ?", parsers.contact,
                 show=parsers.show_contact, choices=known_contact_choices),  # [(label, value)]
            Slot("note", "Ghi chú", "Anh/chị có ghi chú gì không ạ?", required=False),
        ),
    ))
    await ctx.start_form("event_registration", {"event": "SK-003"})   # extra values kept as-is

`Slot(name, label, prompt, parse=parsers.text, required=True, choices=None, entity=None,
from_entity=None, prefill=None, show=str, when=None, switchable=True, switch_min_words=1,
echo=False, request_contact=False, recap=True, parse_choices=False)`: `parse(text)` returns the
value or raises
`parsers.Invalid("lý do")` (the question is asked again with that reason); `choices` is a list of
(label, value) or a (possibly async) function `(ctx, values) -> list`; a pressed choice stores its
value directly (`parse_choices=True`: the value goes through `parse` too, e.g. consent).
`entity` fills the slot from that NLU entity whenever one appears (first message
and every answer); `prefill(ctx, values)` runs once at the start. `when(values)` asks the slot only
if true. Optional slots get a "Bỏ qua" button. The engine handles "hủy"/"thôi" (cancel),
"bỏ qua" (skip optional), "quay lại" (previous question), the summary with "Xác nhận" / "Sửa" /
"Hủy" (`confirm=False` to go straight to `on_done`), "Sửa" → pick a field, and a high-confidence
different domain intent → "switch?" question. Parsers ready in `handlers.parsers`: text,
short_text, organisation, person_name, phone, email, contact, consent, money, province, sector,
pick({id: label}, what).
Known contact data of the user: `handlers.contact.contact_choices` / `organisation_choices`.

State (`handlers.state.DialogueState`) lives in storage's `conversation_states`, so a form
survives a restart: `handlers.state_db.DbStateStore` (any database; cache + group commit) or, on a
SQLite file, `handlers.state_sqlite.SqliteStateStore`, which writes the per-message state and log
with plain sqlite3 behind the reply (`await app.flush()` / `app.close()` wait for them). Tests may
use `MemoryStateStore`. On SQLite every `db.transaction()` of the process queues on one writer
lock (`bot.sqlite_writes`): write inside `db.transaction()`, not `db.session()` + commit.
"""
