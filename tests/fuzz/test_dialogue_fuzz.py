"""Fuzz the core as every channel reaches it: any sequence of texts, button presses (real ones and
forged callback data), other content and shared contacts, in any dialogue state, on SQLite and
PostgreSQL. Every message gets a reply, no handler crashes, the database stays consistent."""

from __future__ import annotations

import io
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from bot.app import APOLOGY, App
from bot.console import Console, read_line
from bot.types import ContentKind, Outgoing
from tests.fuzz import strategies as fz
from tests.fuzz.conftest import ErrorLog
from tests.fuzz.consistency import problems
from tests.fuzz.tally import tried
from tests.handlers.chat import Chat

KINDS = [k for k in ContentKind if k not in (ContentKind.TEXT, ContentKind.BUTTON,
                                             ContentKind.COMMAND, ContentKind.CONTACT)]
ACTIONS = st.lists(st.one_of(
    st.tuples(st.just("text"), fz.texts),
    st.tuples(st.just("press"), st.integers(0, 12)),  # a button of the last answer, if any
    st.tuples(st.just("payload"), fz.payloads),  # forged or stale callback data
    st.tuples(st.just("kind"), st.sampled_from(KINDS)),
    st.tuples(st.just("contact"), st.one_of(st.just("+84912345678"), fz.any_text)),
), min_size=1, max_size=8)


async def act(chat: Chat, action: tuple[str, Any]) -> list[Outgoing]:
    kind, value = action
    if kind == "press" and chat.buttons:
        button = chat.buttons[value % len(chat.buttons)]
        return await chat.send(button.label, ContentKind.BUTTON, button.payload)
    if kind == "payload":
        return await chat.send("", ContentKind.BUTTON, value)
    if kind == "kind":
        return await chat.send("", value)
    if kind == "contact":
        return await chat.send(value, ContentKind.CONTACT)
    return await chat.send(value if kind == "text" else "xin chào")


def check_replies(replies: list[Outgoing], errors: ErrorLog, what: object) -> None:
    assert replies, f"no reply to {what!r}"
    assert all(r.text.strip() or r.buttons for r in replies), f"an empty reply to {what!r}"
    assert APOLOGY not in [r.text for r in replies], (what, errors.lines())
    assert errors.lines() == [], what


@given(actions=ACTIONS)
async def test_any_dialogue_is_answered_and_keeps_the_database_consistent(
    app: App, errors: ErrorLog, actions: list[tuple[str, Any]]
) -> None:
    errors.records.clear()  # one example's findings are its own
    chat = Chat(app, user=f"fz{fz.next_id()}", channel="telegram", name="Lan")
    for action in actions:
        tried(f"dialogue ({app.services.db.dialect})")
        check_replies(await act(chat, action), errors, action)
    await app.flush()
    assert await problems(app.services.db) == []


LINES = st.one_of(st.binary(max_size=120), fz.texts.map(lambda t: t.encode("utf-8", "replace")))


@given(raw=st.lists(LINES, min_size=1, max_size=5))
async def test_console_lines_of_any_bytes_are_answered(
    app: App, errors: ErrorLog, raw: list[bytes]
) -> None:
    if app.services.db.dialect != "sqlite":
        pytest.skip("the console's own database is the local SQLite file")
    errors.records.clear()
    stdin = io.TextIOWrapper(io.BytesIO(b"\n".join(raw) + b"\n"), encoding="utf-8")
    console = Console(app, f"fzc{fz.next_id()}")
    while (line := read_line(stdin)) != "":
        tried("console line")
        replies = await console.send(line)
        check_replies(replies, errors, line)
        Console.render(replies).encode("utf-8")  # printable as it is
