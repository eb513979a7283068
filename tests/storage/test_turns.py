"""One update's turn (`StateStore.run_turn`) on SQLite and PostgreSQL: the state, the log, the
update processed and done in the inbox, and the replies commit together, once, with the
handlers' own writes; a redelivered update gets only its replies not yet sent."""

from __future__ import annotations

import asyncio
from typing import Any

from sqlalchemy import event, select

from storage.db import Database
from storage.models import ConversationState, InboxUpdate, MessageLog, OutboxMessage, User
from storage.repos import inbox, users
from storage.state import DialogueState, LogLine, for_database
from storage.state.base import TurnOutcome


async def _rows(db: Database, model: type) -> list[Any]:
    async with db.session() as s:
        return list((await s.execute(select(model).order_by(model.id))).scalars())


def _body(db: Database, replies: list[str], *, failed: bool = False, write: bool = False,
          state: DialogueState | None = None) -> Any:
    async def body(current: DialogueState) -> TurnOutcome:
        user_id = None
        if write:  # a handler's own write, in the turn's transaction
            user = await users.ensure(db, "telegram", "9", "Lan")
            user_id = user.id
            await users.remember_contact(db, user.id, phone="0912345678")
        new = state if state is not None else DialogueState(form="find_technology",
                                                            awaiting="contact")
        return TurnOutcome(None if failed else new,
                           [LogLine("in", "chào", "9", "greet", 0.9),
                            *(LogLine("out", r) for r in replies)],
                           [{"text": r} for r in replies], user_id, failed)
    return body



async def test_a_turn_commits_everything_once_and_a_redelivery_gets_its_unsent_replies(
        db: Database) -> None:
    await inbox.store(db, "telegram", [("100", {"update_id": 100})], ["9"])
    store = for_database(db)
    result = await store.run_turn("telegram", "9", "100", _body(db, ["Dạ, chào anh", "Anh cần gì?"]))
    assert not result.duplicate
    assert [q.payload["text"] for q in result.queued] == ["Dạ, chào anh", "Anh cần gì?"]
    await store.flush()
    assert [(m.direction, m.text) for m in await _rows(db, MessageLog)] == [
        ("in", "chào"), ("out", "Dạ, chào anh"), ("out", "Anh cần gì?")]
    assert [r.status for r in await _rows(db, InboxUpdate)] == ["done"]
    outbox_rows = await _rows(db, OutboxMessage)
    assert [(r.id, r.update_id, r.status) for r in outbox_rows] == [
        (q.id, "100", "pending") for q in result.queued]
    again = await store.run_turn("telegram", "9", "100", _body(db, ["khác"]))
    assert again.duplicate and [q.id for q in again.unsent] == [q.id for q in result.queued]
    await store.mark_sent([(result.queued[0].id, "m1")])
    later = await store.run_turn("telegram", "9", "100", _body(db, ["khác"]))
    assert [q.id for q in later.unsent] == [result.queued[1].id]
    await store.close()
    assert len(await _rows(db, OutboxMessage)) == 2  # the redeliveries added nothing
    loaded = await for_database(db).load("telegram", "9")
    assert (loaded.form, loaded.awaiting) == ("find_technology", "contact")


async def test_the_handlers_writes_commit_with_the_turn_and_a_failure_keeps_the_state(
        db: Database) -> None:
    store = for_database(db)
    done = await store.run_turn("telegram", "9", "1", _body(db, ["Dạ"], write=True))
    assert done.outcome is not None and done.outcome.user_id is not None
    assert [(u.external_id, u.phone) for u in await _rows(db, User)] == [("9", "0912345678")]
    assert (await _rows(db, OutboxMessage))[0].user_id == done.outcome.user_id
    # A handler raised: its effects and the new state are dropped, the apology and log kept.
    async with db.transaction() as s:
        user = await users.get_or_create(s, "telegram", "9")
        user.phone = None

    async def failing(current: DialogueState) -> TurnOutcome:
        await users.remember_contact(db, user.id, phone="0999999999")
        return TurnOutcome(None, [LogLine("in", "x", "9")], [{"text": "Xin lỗi"}], None, True)

    failed = await store.run_turn("telegram", "9", "2", failing)
    assert [q.payload["text"] for q in failed.queued] == ["Xin lỗi"]
    assert (await _rows(db, User))[0].phone is None
    loaded = await store.load("telegram", "9")
    assert loaded.form == "find_technology"  # as before the failed message
    finished = await store.run_turn("telegram", "9", "3", _body(db, [], state=DialogueState()))
    assert finished.queued == []
    await store.close()
    assert await _rows(db, ConversationState) == []  # an empty state leaves no row


async def test_two_processes_running_one_update_at_once_commit_it_once(db: Database) -> None:
    stores = [for_database(db), for_database(db)]
    results = await asyncio.gather(*(s.run_turn("telegram", "9", "7", _body(db, ["Dạ"]))
                                     for s in stores))
    assert sorted(r.duplicate for r in results) == [False, True]
    for store in stores:
        await store.close()
    assert len(await _rows(db, OutboxMessage)) == 1
    assert len(await _rows(db, MessageLog)) == 2


async def test_a_first_message_creates_its_sender_who_owns_the_replies(db: Database) -> None:
    store = for_database(db)
    if not store.finds_sender:  # this store is given the owner's id by the app
        return

    async def body(current: DialogueState) -> TurnOutcome:
        return TurnOutcome(DialogueState(), [LogLine("in", "chào", "9")], [{"text": "Dạ"}],
                           sender=("9", "Lan"))

    first = await store.run_turn("telegram", "9", "1", body)
    second = await store.run_turn("telegram", "9", "2", body)
    await store.close()
    [user] = await _rows(db, User)
    assert (user.external_id, user.display_name, user.role, user.active) == (
        "9", "Lan", "enterprise", True)
    owners = {r.id: r.user_id for r in await _rows(db, OutboxMessage)}
    assert owners == {first.queued[0].id: user.id, second.queued[0].id: user.id}


async def test_the_sender_known_at_the_start_of_a_turn_costs_no_statement_of_its_own(
        db: Database) -> None:
    """What a handler gets as the sender: created once on first contact, then on PostgreSQL
    read by the turn's first statement (a turn is two statements: start and commit), handed out
    once per turn, with the changes of earlier turns."""
    store = for_database(db)
    statements: list[str] = []

    def count(*args: Any) -> None:
        statements.append(args[2])

    engines = {db.engine.sync_engine, db.write_engine.sync_engine}
    for engine in engines:
        event.listen(engine, "before_cursor_execute", count)
    seen: list[User] = []

    async def body(current: DialogueState) -> TurnOutcome:
        user = (store.sender_at_start("telegram", "9")
                or await store.user(db, "telegram", "9", "Lan"))
        assert store.sender_at_start("telegram", "9") is None
        seen.append(user)
        if len(seen) == 1:
            await users.remember_contact(db, user.id, phone="0912345678")
        return TurnOutcome(None, [LogLine("in", "chào", "9")], [{"text": "Dạ"}], user.id)

    await store.run_turn("telegram", "9", "1", body, sender="9")
    statements.clear()
    await store.run_turn("telegram", "9", "2", body, sender="9")
    turn = list(statements)
    await store.close()
    for engine in engines:
        event.remove(engine, "before_cursor_execute", count)
    [stored] = await _rows(db, User)
    assert (stored.display_name, stored.role, stored.active) == ("Lan", "enterprise", True)
    assert [(u.id, u.display_name) for u in seen] == [(stored.id, "Lan")] * 2
    assert seen[1].phone == "0912345678"
    assert [r.user_id for r in await _rows(db, OutboxMessage)] == [stored.id] * 2
    if db.dialect == "postgresql":
        assert len(turn) == 2, turn


async def test_replies_marked_sent_by_many_chats_at_once_are_all_recorded(db: Database) -> None:
    store = for_database(db)
    turns = [await store.run_turn("telegram", str(n), str(100 + n), _body(db, ["Dạ", "Vâng"]))
             for n in range(12)]
    await asyncio.gather(*(store.mark_sent([(q.id, f"m{q.id}") for q in t.queued])
                           for t in turns))
    await store.close()
    rows = await _rows(db, OutboxMessage)
    assert len(rows) == 24
    assert all(r.status == "sent" and r.message_id == f"m{r.id}" for r in rows)


async def test_updates_stored_by_many_webhooks_at_once_are_each_in_the_inbox_once(
        db: Database) -> None:
    """The inbox as the webhook fills it (on a SQLite file: plain sqlite3, group-committed; on
    PostgreSQL: batched on a connection of its own): every update of every chat kept once with
    its JSON and chat, a redelivery changes nothing, and the turn that handles one marks it
    done."""
    store = for_database(db)
    intake = inbox.InboxWrites(db) if db.dialect == "postgresql" else None
    receive = intake.store if intake else getattr(store, "store_updates", None)

    async def deliver(update_id: str, chat: str) -> None:
        raw = {"update_id": int(update_id), "message": {"chat": {"id": int(chat)},
                                                        "text": "chào em ạ"}}
        if receive is not None:
            await receive("telegram", [(update_id, raw)], [chat])
        else:
            await inbox.store(db, "telegram", [(update_id, raw)], [chat])

    await asyncio.gather(*(deliver(str(100 + n), str(n % 5)) for n in range(20)))
    await deliver("103", "3")  # Telegram sends it again
    await store.run_turn("telegram", "0", "100", _body(db, ["Dạ"]))
    await store.close()
    if intake is not None:
        await intake.close()
    left = await inbox.unhandled(db, "telegram")
    assert sorted(update_id for update_id, _ in left) == [str(101 + n) for n in range(19)]
    assert dict(left)["107"] == {"update_id": 107, "message": {"chat": {"id": 2},
                                                               "text": "chào em ạ"}}
    chats = {r.update_id: r.chat_id for r in await _rows(db, InboxUpdate)}
    assert len(chats) == 20 and chats["107"] == "2"
