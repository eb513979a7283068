"""`StateStore` on storage's `conversation_states` table (one row per channel and chat)."""

from __future__ import annotations

from handlers.state import DialogueState, StateStore
from storage.db import Database
from storage.repos import conversations


class DbStateStore(StateStore):
    def __init__(self, db: Database) -> None:
        self.db = db

    async def load(self, channel: str, chat_id: str) -> DialogueState:
        async with self.db.session() as s:
            row = await conversations.load(s, channel, chat_id)
            return DialogueState.from_json(row.slots if row is not None else None)

    async def save(self, channel: str, chat_id: str, state: DialogueState) -> None:
        async with self.db.transaction() as s:
            if state.is_empty:
                await conversations.delete_state(s, channel, chat_id)
            else:
                await conversations.save(
                    s, channel, chat_id, handler=state.form, step=state.awaiting,
                    slots=state.to_json(),
                )
