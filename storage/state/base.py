"""Conversation state: what one chat is in the middle of, and the base of the stores keeping it.

`DialogueState` is plain data (JSON-serialisable) so any backend can keep it; `StateStore` is the
small abstract base the app talks to, shaped like aiogram's `BaseStorage`: `MemoryStateStore`
(storage.state.memory) for tests and tools, `SqlStateStore` (storage.state.sql) on the
`conversation_states` table of any database, `SqliteStateStore` (storage.state.sqlite) for a
SQLite file, writing behind the reply.
"""

from __future__ import annotations

import abc
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field, fields
from typing import TYPE_CHECKING, Any

from storage.repos import users
from storage.repos.outbox import QueuedReply

if TYPE_CHECKING:
    from storage.db import Database
    from storage.models import User


@dataclass
class DialogueState:
    """Everything the bot remembers about one chat between two messages."""

    form: str | None = None  # name of the form being filled
    awaiting: str | None = None  # slot name, or "@confirm" / "@edit" / "@switch"
    values: dict[str, Any] = field(default_factory=dict)  # slot → parsed value
    skipped: list[str] = field(default_factory=list)  # optional slots the user skipped
    asked: list[str] = field(default_factory=list)  # slots asked, in order (for "quay lại")
    # Choices offered with the last question: [label, value]; button payload "fc:<index>".
    choices: list[list[Any]] = field(default_factory=list)
    # Every button of the last reply: [label, payload]; typing a label presses it.
    buttons: list[list[str]] = field(default_factory=list)
    # A yes/no question waiting for an answer: {"yes": payload, "no": payload}.
    pending: dict[str, str] | None = None
    # A message put aside while asking "switch to another demand?": {"text", "intent"}.
    parked: dict[str, Any] | None = None
    fallbacks: int = 0  # consecutive messages not understood (two-stage fallback)
    data: dict[str, Any] = field(default_factory=dict)  # free scratch space for handlers

    def to_json(self) -> dict[str, Any]:
        """A plain dict of the fields (shared, not copied: stores copy what they keep)."""
        return {name: getattr(self, name) for name in _FIELDS}

    @classmethod
    def from_json(cls, raw: dict[str, Any] | None) -> DialogueState:
        if not raw:
            return cls()
        known = {k: v for k, v in raw.items() if k in cls.__dataclass_fields__}
        try:
            return cls(**known)
        except TypeError:  # a state written by an incompatible version: start afresh
            return cls()

    def clear_form(self) -> None:
        self.form = None
        self.awaiting = None
        self.values = {}
        self.skipped = []
        self.asked = []
        self.choices = []
        self.parked = None

    @property
    def is_empty(self) -> bool:
        return self.to_json() == _EMPTY


_FIELDS = tuple(f.name for f in fields(DialogueState))
_EMPTY = DialogueState().to_json()


MAX_LOGGED_TEXT = 4000  # Telegram's limit is 4096; longer text is cut in the message log only


@dataclass(frozen=True, slots=True)
class LogLine:
    """One message for the message log."""

    direction: str  # "in" | "out"
    text: str
    user_id: str | None = None
    intent: str | None = None
    confidence: float | None = None


@dataclass(slots=True)
class TurnOutcome:
    """What handling one update produced, to be committed in one transaction."""

    state: DialogueState | None  # None: leave the chat's state as it was
    log: list[LogLine]
    # Serialised replies to queue in the outbox (kind "reply"); empty when the caller shows
    # them itself (the console, tools).
    replies: list[dict[str, Any]] = field(default_factory=list)
    user_id: int | None = None  # the sender's users.id (the replies' owner, for erasure)
    failed: bool = False  # a handler raised: its effects are rolled back, the rest is kept
    erased: bool = False  # the turn erased the sender: its replies are anonymised once sent
    # The sender's account (external id, name) when `user_id` is left to a store that
    # `finds_sender`: it finds (or creates) the user in the turn's own statement.
    sender: tuple[str, str | None] | None = None


@dataclass(slots=True)
class TurnResult:
    """`duplicate`: the update was handled before (`unsent`: its replies not yet sent);
    otherwise `outcome` was committed and `queued` are its replies' outbox rows, in order."""

    duplicate: bool
    outcome: TurnOutcome | None = None
    queued: list[QueuedReply] = field(default_factory=list)
    unsent: list[QueuedReply] = field(default_factory=list)


TurnBody = Callable[[DialogueState], Awaitable[TurnOutcome]]


class StateStore(abc.ABC):
    """Where `DialogueState` lives, keyed by (channel, chat id).

    The app calls `begin_turn` before and `end_turn` after handling a message; backends may
    override them to do each in one transaction (see `storage.state.sql.SqlStateStore`).
    """

    # Whether the store finds the replies' owner from `TurnOutcome.sender` itself (no separate
    # look-up of the user before the turn commits).
    finds_sender = False

    def __init__(self) -> None:
        self._seen: set[tuple[str, str]] = set()

    @abc.abstractmethod
    async def load(self, channel: str, chat_id: str) -> DialogueState: ...

    @abc.abstractmethod
    async def save(self, channel: str, chat_id: str, state: DialogueState) -> None: ...

    async def clear(self, channel: str, chat_id: str) -> None:
        await self.save(channel, chat_id, DialogueState())

    async def flush(self) -> None:
        """Wait until every state and log line handed over so far is stored."""
        return None  # stores that write before end_turn returns have nothing to wait for

    async def begin_turn(
        self, channel: str, chat_id: str, update_id: str | None
    ) -> DialogueState | None:
        """The chat's state; None when `update_id` was already processed (a re-delivery)."""
        if update_id is not None:
            if (channel, update_id) in self._seen:
                return None
            self._seen.add((channel, update_id))
        return await self.load(channel, chat_id)

    async def end_turn(
        self, channel: str, chat_id: str, state: DialogueState | None, log: list[LogLine]
    ) -> None:
        """Keep the new state (None: leave it as it was); this base class keeps no log."""
        if state is not None:
            await self.save(channel, chat_id, state)

    async def run_turn(self, channel: str, chat_id: str, update_id: str | None,
                       body: TurnBody, sender: str | None = None) -> TurnResult:
        """Handle one update exactly once: `body` gets the chat's state and returns what to keep.
        `sender` (the sender's external id) lets a store read their user with the state (see
        `sender_at_start`).

        This base class keeps states only (no outbox): the database-backed stores commit the
        body's effects, the processed update id, the state, the log and the replies together.
        """
        state = await self.begin_turn(channel, chat_id, update_id)
        if state is None:
            return TurnResult(duplicate=True)
        outcome = await body(state)
        await self.end_turn(channel, chat_id, outcome.state, outcome.log)
        return TurnResult(duplicate=False, outcome=outcome)

    async def mark_sent(self, sent: list[tuple[int, str | None]]) -> None:
        """Record replies as delivered: (outbox row id, the channel's message id)."""
        return None

    def sender_at_start(self, channel: str, external_id: str) -> User | None:
        """The sender's `User` as the start of this task's turn read it, detached; None when the
        store does not read it there, the user is not known yet, or it was handed out before
        (after that, or after a change, `user` reads it afresh)."""
        return None

    async def user(self, db: Database, channel: str, external_id: str, name: str | None) -> User:
        """The sender's `User` (created on first contact), detached from any session.

        A store on a SQLite file answers from its own connection (no thread hop)."""
        return await users.ensure(db, channel, external_id, name)

    async def close(self) -> None:
        """Wait for writes in flight (stores that write before returning have none)."""
        await self.flush()
