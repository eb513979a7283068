"""The outbox on SQLite and PostgreSQL: priority, leases, outcomes, dedupe, concurrent claims."""

from __future__ import annotations

import asyncio
from datetime import timedelta

from storage.db import Database
from storage.repos import outbox
from storage.repos.outbox import Envelope
from storage.sqltypes import utcnow


def env(kind: str, chat: str, n: int = 0, **extra: object) -> Envelope:
    return Envelope(kind, "telegram", chat, {"text": f"{kind} {n}"}, **extra)  # type: ignore[arg-type]


async def test_replies_first_then_staff_alerts_then_broadcasts(db: Database) -> None:
    await outbox.post(db, [env("broadcast", "1"), env("staff_alert", "2"), env("reply", "3"),
                           env("broadcast", "4")])
    claimed = await outbox.claim(db, "telegram", "a", limit=10)
    order = sorted(claimed, key=lambda c: (outbox.PRIORITY[c.kind], c.id))
    assert [c.kind for c in order] == ["reply", "staff_alert", "broadcast", "broadcast"]
    assert await outbox.claim(db, "telegram", "b", limit=10) == []  # all taken


async def test_not_before_and_channel_respected(db: Database) -> None:
    later = utcnow() + timedelta(hours=1)
    await outbox.post(db, [env("broadcast", "1", not_before=later),
                           Envelope("reply", "zalo", "9", {"text": "x"})])
    assert await outbox.claim(db, "telegram", "a") == []
    assert len(await outbox.claim(db, "telegram", "a", now=later + timedelta(seconds=1))) == 1


async def test_outcomes_only_by_the_lease_holder(db: Database) -> None:
    await outbox.post(db, [env("broadcast", str(i), i) for i in range(3)])
    a, b, c = await outbox.claim(db, "telegram", "me", limit=3)
    assert not await outbox.mark_failed(db, a.id, "someone else", "x")
    assert await outbox.mark_sent(db, a.id, "me", "77")
    assert not await outbox.mark_sent(db, a.id, "me", "78")  # recorded once
    assert await outbox.mark_failed(db, b.id, "me", "Bad Request: chat not found")
    assert await outbox.retry_later(db, c.id, "me", utcnow() - timedelta(seconds=1), "429")
    counts = await outbox.counts(db)
    assert (counts.sent, counts.pending, counts.failed) == (1, 1, {"Bad Request: chat not found": 1})
    [again] = await outbox.claim(db, "telegram", "me")
    assert again.id == c.id and again.attempts == 2


async def test_expired_claims_are_reclaimed(db: Database) -> None:
    await outbox.post(db, [env("broadcast", "1")])
    now = utcnow()
    [row] = await outbox.claim(db, "telegram", "dead", lease_seconds=5, now=now)
    assert await outbox.reclaim_expired(db, now=now + timedelta(seconds=1)) == 0
    assert await outbox.reclaim_expired(db, now=now + timedelta(seconds=6)) == 1
    assert not await outbox.mark_failed(db, row.id, "dead", "x")  # too late: not its row
    [again] = await outbox.claim(db, "telegram", "alive", now=now + timedelta(seconds=7))
    assert again.id == row.id
    # The dead sender's message did reach the chat after all: recorded, so nobody resends it.
    assert await outbox.mark_sent(db, row.id, "dead", "5")
    assert not await outbox.mark_sent(db, row.id, "alive", "6")


async def test_dedupe_key_makes_jobs_idempotent(db: Database) -> None:
    first = [env("reminder", "1", dedupe_key="reminder:1d:5:1"),
             env("reminder", "1", dedupe_key="reminder:1d:5:1")]
    assert await outbox.post(db, first) == 1
    assert await outbox.post(db, first) == 0
    assert (await outbox.counts(db)).pending == 1


async def test_one_sender_lease_per_token(db: Database) -> None:
    from storage.repos import sender_leases as leases

    now = utcnow()
    assert await leases.acquire(db, "telegram:1", "a", seconds=10, now=now)
    assert not await leases.acquire(db, "telegram:1", "b", seconds=10, now=now)
    assert await leases.acquire(db, "telegram:2", "b", seconds=10, now=now)
    renewed = await leases.acquire(db, "telegram:1", "a", seconds=10, now=now)
    assert renewed.held and renewed.taken_from is None
    later = now + timedelta(seconds=11)  # a died: b takes over, and knows from whom
    taken = await leases.acquire(db, "telegram:1", "b", seconds=10, now=later)
    assert taken.held and taken.taken_from == "a"
    await leases.release(db, "telegram:1", "b")
    assert (await leases.acquire(db, "telegram:1", "a", seconds=10, now=later)).taken_from == "b"


async def test_a_dead_owners_claims_resumed_at_once(db: Database) -> None:
    await outbox.post(db, [env("broadcast", str(i), i) for i in range(4)])
    await outbox.claim(db, "telegram", "dead", limit=2)
    await outbox.claim(db, "telegram", "other token", limit=2)
    assert await outbox.reclaim_expired(db, "telegram", owner="dead") == 2
    assert (await outbox.counts(db)).pending == 4
    assert len(await outbox.claim(db, "telegram", "me")) == 2  # the other token's stay its own


async def test_a_request_interrupted_by_a_crash_is_unknown_news_or_a_resent_reply(
        db: Database) -> None:
    """A row found "sending" after its sender died may have arrived: news is reported unknown
    and never sent again; a reply goes back to pending (a user waiting gets it at least once)."""
    await outbox.post(db, [env("broadcast", "1"), env("reply", "2"), env("broadcast", "3")])
    rows = {c.recipient: c for c in await outbox.claim(db, "telegram", "dead", limit=10)}
    flags = await outbox.record(db, "dead", [outbox.Outcome(rows["1"].id, "sending"),
                                             outbox.Outcome(rows["2"].id, "sending")])
    assert flags == [True, True]
    assert await outbox.reclaim_expired(db, "telegram", owner="dead") == 3
    counts = await outbox.counts(db)
    assert (counts.unknown, counts.pending) == (1, 2)
    again = await outbox.claim(db, "telegram", "me", limit=10)
    assert sorted(c.recipient for c in again) == ["2", "3"]  # not the unknown broadcast


async def test_an_attempt_on_a_row_no_longer_held_does_not_count(db: Database) -> None:
    """Cancelled or unsubscribed after the claim: the attempt is refused, nothing is sent."""
    assert await outbox.post(db, [env("broadcast", "1")]) == 1
    [row] = await outbox.claim(db, "telegram", "a")
    async with db.transaction() as s:
        await outbox.skip_pending(s, reason="unsubscribed", kinds=outbox.NEWS_KINDS)
    assert await outbox.record(db, "a", [outbox.Outcome(row.id, "sending")]) == [False]


async def test_parts_of_a_long_message_are_counted_and_resumed(db: Database) -> None:
    await outbox.post(db, [env("broadcast", "1")])
    [row] = await outbox.claim(db, "telegram", "a")
    await outbox.record(db, "a", [outbox.Outcome(row.id, "sending"),
                                  outbox.Outcome(row.id, "part", "m1", parts_sent=1)])
    [again] = await outbox.claim(db, "telegram", "b")
    assert (again.id, again.parts_sent) == (row.id, 1)


async def test_two_claimers_never_take_the_same_row(db: Database) -> None:
    """Two senders with their own connections claim concurrently: each row goes to one."""
    await outbox.post(db, [env("broadcast", str(i), i) for i in range(300)])
    other = Database(str(db.url.render_as_string(hide_password=False)), schema=db.schema)
    taken: dict[str, list[int]] = {"a": [], "b": []}

    async def drain(handle: Database, owner: str) -> None:
        while rows := await outbox.claim(handle, "telegram", owner, limit=7):
            taken[owner] += [r.id for r in rows]
            for r in rows:
                await outbox.mark_sent(handle, r.id, owner)
            await asyncio.sleep(0)

    try:
        await asyncio.gather(drain(db, "a"), drain(other, "b"))
    finally:
        await other.dispose()
    assert not set(taken["a"]) & set(taken["b"])
    assert len(taken["a"]) + len(taken["b"]) == 300
    assert (await outbox.counts(db)).sent == 300
