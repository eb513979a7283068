"""The pieces every handler uses: `Services`, `Context` and `Router` (see `handlers/__init__.py`)."""

from __future__ import annotations

import inspect
from collections.abc import Awaitable, Callable, Iterable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

from bot.types import Attachment, Button, Incoming, Outgoing
from storage.state import DialogueState, StateStore

if TYPE_CHECKING:
    from handlers.dispatch import Dispatcher
    from handlers.forms import Form
    from nlu.api import NluBackend
    from storage.db import Database
    from storage.models import User


@dataclass
class Services:
    """What handlers may use; built once by `bot.app.App` (tests build their own)."""

    db: Database
    nlu: NluBackend
    states: StateStore
    search: Any = None  # storage.search.CatalogSearch
    settings: Any = None  # bot.config.Settings
    clock: Callable[[], datetime] = field(default=lambda: datetime.now(UTC))


Handler = Callable[["Context"], Awaitable[None]]
# Sees a message before the NLU and returns True when it took it (a chat handed to a person).
Intercept = Callable[["Context"], Awaitable[bool]]
ButtonLike = Button | tuple[str, str]


def as_buttons(buttons: Iterable[ButtonLike]) -> tuple[Button, ...]:
    return tuple(b if isinstance(b, Button) else Button(b[0], b[1]) for b in buttons)


async def maybe_await(value: Any) -> Any:
    return await value if inspect.isawaitable(value) else value


class Context:
    """One incoming message being handled: what was said, the chat's state, and the replies.

    Handlers read `text`, `intent`, `entities`, `args`; write replies with `say`; may ask a yes/no
    question (`ask_yes_no`) and move the dialogue on with the flow operations: `start_form`,
    `resume`, `cancel`, `run_intent`, `open_deep_link`, `handles_intent`. Those are the only way
    a feature reaches the dispatcher and the form engine.
    """

    def __init__(
        self,
        incoming: Incoming,
        services: Services,
        state: DialogueState,
        dispatcher: Dispatcher,
        text: str = "",
    ) -> None:
        self.incoming = incoming
        self.services = services
        self.state = state
        self._dispatcher = dispatcher  # reached only through the flow operations below
        self.text = text  # the message text, trimmed (and cut when very long)
        self.nlu: dict[str, Any] = {}  # the NLU parse of `text` (Rasa shape), {} when not parsed
        self.args: list[str] = []  # words after a command, or payload parts after the prefix
        self.replies: list[Outgoing] = []
        # No reply at all is the answer (a message relayed to a person): no "anything else?".
        self.quiet = False
        self._user: User | None = None
        self._user_read_at_start = True  # the turn's start may have read the sender's user
        # The turn erased the sender's personal data: it keeps no trace of them either (no log
        # lines, no dialogue state, no account made afresh).
        self.erased = False

    # --- what was said -------------------------------------------------------------------
    @property
    def intent(self) -> str | None:
        return (self.nlu.get("intent") or {}).get("name")

    @property
    def confidence(self) -> float:
        return float((self.nlu.get("intent") or {}).get("confidence") or 0.0)

    @property
    def entities(self) -> list[dict[str, Any]]:
        return list(self.nlu.get("entities") or [])

    def entity(self, name: str) -> dict[str, Any] | None:
        """The first entity of that type in the message (dict with value, and extra fields)."""
        return next((e for e in self.entities if e.get("entity") == name), None)

    def entity_value(self, name: str) -> Any:
        found = self.entity(name)
        return found.get("value") if found else None

    @property
    def db(self) -> Database:
        return self.services.db

    def now(self) -> datetime:
        return self.services.clock()

    # --- replying --------------------------------------------------------------------------
    def say(
        self,
        text: str,
        buttons: Sequence[ButtonLike] = (),
        *,
        link: str | None = None,
        request_contact: bool = False,
        attachments: Sequence[Attachment] = (),
    ) -> None:
        """Queue a reply; its buttons join those the user can also press by typing a label."""
        btns = as_buttons(buttons)
        self.replies.append(Outgoing(text, btns, link, request_contact, tuple(attachments)))
        self.state.buttons.extend([b.label, b.payload] for b in btns)

    def ask_yes_no(
        self,
        text: str,
        yes: ButtonLike,
        no: ButtonLike,
        extra: Sequence[ButtonLike] = (),
    ) -> None:
        """A question answered by a button or by typing yes/no ("có", "không", "ok"...)."""
        y, n = as_buttons([yes, no])
        self.state.pending = {"yes": y.payload, "no": n.payload}
        self.say(text, (y, n, *as_buttons(extra)))

    # --- moving on -------------------------------------------------------------------------
    async def start_form(self, name: str, values: dict[str, Any] | None = None) -> None:
        """Start form `name` (pre-filling slots from this message); replies with the first question."""
        await self._dispatcher.forms.start(self, name, values or {})

    async def resume(self, note: str = "") -> bool:
        """Ask again what the open form is waiting for, after `note`; False when no form is open."""
        form = self._dispatcher.forms.active(self)
        if form is None:
            return False
        await self._dispatcher.forms.resume(self, form, note)
        return True

    def cancel(self) -> bool:
        """Cancel the open form (the user is told so); False when no form is open."""
        form = self._dispatcher.forms.active(self)
        if form is None:
            return False
        self._dispatcher.forms.cancel(self, form)
        return True

    async def run_intent(self, intent: str) -> None:
        """Handle this message as if the NLU had said `intent`."""
        await self._dispatcher.run_intent(self, intent)

    async def open_deep_link(self, payload: str) -> bool:
        """Route `/start <payload>` to the handler of its prefix; False when none matches."""
        return await self._dispatcher.start_payload(self, payload)

    def handles_intent(self, intent: str) -> bool:
        """Whether some feature handles `intent`."""
        return intent in self._dispatcher.intents

    async def user(self) -> User:
        """The storage `User` of the sender (created on first contact), detached from its session."""
        if self._user is None:
            channel, external_id = self.incoming.channel, str(self.incoming.user_id)
            states = self.services.states
            if self._user_read_at_start:  # no round trip when the turn's start read it
                self._user_read_at_start = False
                self._user = states.sender_at_start(channel, external_id)
            if self._user is None:
                self._user = await states.user(self.db, channel, external_id,
                                               self.incoming.user_name)
        return self._user

    @property
    def loaded_user(self) -> User | None:
        """The sender's `User` if this turn has loaded it already (no database access)."""
        return self._user

    def forget_user(self) -> None:
        """Drop the cached `User` (after changing it in another session)."""
        self._user = None
        self._user_read_at_start = False  # read before the change


@dataclass
class Router:
    """A feature's handlers, gathered by `handlers.dispatch.Dispatcher` at start-up.

    Each handler module defines `router = Router("name")` and decorates its functions.
    """

    name: str
    intents: dict[str, Handler] = field(default_factory=dict)
    commands: dict[str, Handler] = field(default_factory=dict)
    buttons: dict[str, Handler] = field(default_factory=dict)  # payload prefix → handler
    start_payloads: dict[str, Handler] = field(default_factory=dict)  # /start prefix → handler
    forms: list[Form] = field(default_factory=list)
    intercepts: list[Intercept] = field(default_factory=list)

    def intent(self, *names: str) -> Callable[[Handler], Handler]:
        return self._register(self.intents, names)

    def command(self, *names: str) -> Callable[[Handler], Handler]:
        """`/name args`: `ctx.args` holds the words after the command."""
        return self._register(self.commands, tuple(n.lstrip("/").lower() for n in names))

    def button(self, *prefixes: str) -> Callable[[Handler], Handler]:
        """Payloads starting with `prefix:`; `ctx.args` holds the ':'-separated parts after it."""
        return self._register(self.buttons, tuple(p.rstrip(":") for p in prefixes))

    def start_payload(self, *prefixes: str) -> Callable[[Handler], Handler]:
        """`/start <prefix><rest>` (deep links): `ctx.args == [rest]`."""
        return self._register(self.start_payloads, prefixes)

    def form(self, form: Form) -> Form:
        self.forms.append(form)
        return form

    def intercept(self, fn: Intercept) -> Intercept:
        """`fn(ctx)` sees every text and non-text message (not buttons or commands) before the
        NLU; returning True ends the dispatch. It runs on every message: keep its first check
        cheap (e.g. a key in `ctx.state.data`)."""
        self.intercepts.append(fn)
        return fn

    @staticmethod
    def _register(table: dict[str, Handler], keys: tuple[str, ...]) -> Callable[[Handler], Handler]:
        def decorator(fn: Handler) -> Handler:
            for key in keys:
                table[key] = fn
            return fn

        return decorator
