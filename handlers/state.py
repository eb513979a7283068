"""Conversation state: what one chat is in the middle of, and where it is kept.

`DialogueState` is plain data (JSON-serialisable) so any backend can keep it; `StateStore` is the
small abstract base the app talks to (`MemoryStateStore` for tests and tools, `DbStateStore` on
storage's `ConversationState` rows so a form survives a restart).
"""

from __future__ import annotations

import abc
import json
from dataclasses import dataclass, field, fields
from typing import Any


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


@dataclass(frozen=True, slots=True)
class LogLine:
    """One message for the message log."""

    direction: str  # "in" | "out"
    text: str
    user_id: str | None = None
    intent: str | None = None
    confidence: float | None = None


class StateStore(abc.ABC):
    """Where `DialogueState` lives, keyed by (channel, chat id).

    The app calls `begin_turn` before and `end_turn` after handling a message; backends may
    override them to do each in one transaction (see `handlers.state_db.DbStateStore`).
    """

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


class MemoryStateStore(StateStore):
    """A dict; states are copied through JSON so they behave like persisted ones."""

    def __init__(self) -> None:
        super().__init__()
        self._states: dict[tuple[str, str], dict[str, Any]] = {}

    async def load(self, channel: str, chat_id: str) -> DialogueState:
        raw = self._states.get((channel, chat_id))
        return DialogueState.from_json(json.loads(json.dumps(raw)) if raw else None)

    async def save(self, channel: str, chat_id: str, state: DialogueState) -> None:
        if state.is_empty:
            self._states.pop((channel, chat_id), None)
        else:
            self._states[(channel, chat_id)] = json.loads(json.dumps(state.to_json()))
