"""`MemoryStateStore`: states in a dict (tests and tools); users still live in the database."""

from __future__ import annotations

import json
from typing import Any

from storage.state.base import DialogueState, StateStore


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
