"""The memory state store (storage/state/memory.py): states kept as JSON copies, updates seen once."""

from __future__ import annotations

from storage.state import DialogueState, MemoryStateStore


async def test_memory_state_store_keeps_copies() -> None:
    store = MemoryStateStore()
    state = DialogueState(form="find_technology", values={"province": {"id": "bac_ninh"}})
    await store.save("console", "c1", state)
    state.values["province"]["id"] = "ha_noi"  # later changes do not leak into the store
    loaded = await store.load("console", "c1")
    assert loaded.values == {"province": {"id": "bac_ninh"}} and loaded.form == "find_technology"
    assert await store.begin_turn("console", "c1", "7") is not None
    assert await store.begin_turn("console", "c1", "7") is None  # a re-delivered update
    await store.clear("console", "c1")
    assert (await store.load("console", "c1")).is_empty
