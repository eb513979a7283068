"""Dialogue handlers: one small module per feature, each router listed in `routers()` below.

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
Create `handlers/<feature>.py` with a module-level `router` and add it to `routers()` at the end
of this file. A key (intent, command, button prefix) may be registered only once across all
routers. A feature module never imports another feature module: what two features share lives in
a named helper module (`ui`, `parsers`, `contact`, `office_hours`, `render`, `event_list`,
`matching`, `demand_slots`, `knowledge/`)::

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
first contact, detached; on PostgreSQL read with the chat's state at the start of the turn, so
after changing it through storage call `ctx.forget_user()` before asking again), `ctx.db`
(pass it to the storage functions, e.g. `await demands.submit(ctx.db, user, draft, contact)`:
they own their transaction; handlers never open a session), `ctx.services.search`
(`storage.search.CatalogSearch`; pass `ctx.db`), `ctx.now()` (aware UTC datetime; tests may fix
the clock).

Replying: `ctx.say(text, buttons=[(label, payload), ...], link=None, request_contact=False,
attachments=(Attachment("photo", "x.png", data, url), ...))`; add buttons wherever a choice is
offered. Channels upload attachments (Telegram), save them (console) or show their `url`.
Payloads are short ASCII (≤ 64 bytes), `prefix:arg:arg`.
Texts are polite Vietnamese (anh/chị, "Dạ, ..."). Shared labels/menus: `handlers.ui`
(`main_menu()`, `intent_button(intent)`, `INTENT_LABELS`). Button `menu:<intent>` runs that
intent's handler with empty text. Validate `ctx.args` yourself (payloads can be stale or forged):
on a bad one, say so politely and offer `main_menu()`.

A yes/no question: `ctx.ask_yes_no(text, ("Có", "x:yes"), ("Không", "x:no"))` — the user may press
a button or type "có"/"ok"/"không"; either way your `@router.button("x")` handler receives
`ctx.args == ["yes"]` or `["no"]`. Moving the dialogue on (the only way to reach the dispatcher
and the form engine): `await ctx.run_intent("human_handoff")`, `await ctx.start_form(name)`,
`await ctx.resume(note)` (ask the open form's question again), `ctx.cancel()` (cancel the open
form), `await ctx.open_deep_link(payload)`, `ctx.handles_intent(intent)`.

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
            Slot("name", "Họ tên", "Anh/chị cho em xin họ tên người tham dự ạ?", parsers.short_text),
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
short_text, phone, email, contact, consent, money, province, sector, pick({id: label}, what).
Known contact data of the user: `handlers.contact.contact_choices` / `organisation_choices`.

State (`storage.state.DialogueState`) lives in storage's `conversation_states`, so a form
survives a restart: `storage.state.sql.SqlStateStore` (any database; cache + group commit) or, on
a SQLite file, `storage.state.sqlite.SqliteStateStore`, which writes the per-message state and
log with plain sqlite3 behind the reply (`await app.flush()` / `app.close()` wait for them).
Tests may use `storage.state.MemoryStateStore`.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from handlers.base import Router


def routers() -> list[Router]:
    """Every feature's router, in the order the dispatcher includes them."""
    from handlers import (
        events,
        fallback,
        funding,
        handoff,
        ip,
        joining,
        menu,
        offer,
        privacy,
        status,
        subscriptions,
        technology,
        training,
    )
    from handlers.knowledge import consult
    from handlers.staff import broadcasts as staff_broadcasts
    from handlers.staff import demands as staff_demands
    from handlers.staff import handoffs as staff_handoffs
    from handlers.staff import introductions as staff_introductions
    from handlers.staff import offers as staff_offers
    from handlers.staff import reports, team, web_link, whoami

    return [
        menu.router,
        events.router,
        fallback.router,
        funding.router,
        handoff.router,
        ip.router,
        joining.router,
        consult.router,
        offer.router,
        privacy.router,
        status.router,
        subscriptions.router,
        technology.router,
        training.router,
        whoami.router,
        reports.router,
        web_link.router,
        staff_broadcasts.router,
        staff_demands.router,
        staff_offers.router,
        staff_handoffs.router,
        team.router,
        staff_introductions.router,
    ]
