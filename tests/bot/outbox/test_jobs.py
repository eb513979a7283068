"""Scheduled jobs with a fixed clock: reminders 1 day and 1 hour before, news of new events for
subscribers who opted in, the weekly digest; each runs twice and queues once."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import select

from bot.config import Settings
from bot.jobs import run_jobs
from storage.db import Database
from storage.models import Event, EventRegistration, OutboxMessage, Subscription, Technology, User

# Monday 30 November 2026, 08:30 in Vietnam.
MONDAY = datetime(2026, 11, 30, 1, 30, tzinfo=UTC)
SETTINGS = Settings(digest_weekday=0, digest_hour=8)
NO_DIGEST = Settings(digest_weekday=6, digest_hour=23)


async def _add(db: Database, *rows: Any) -> list[Any]:
    async with db.transaction() as s:
        s.add_all(rows)
        await s.flush()
        return list(rows)


def _user(ext: str, channel: str = "telegram") -> User:
    return User(channel=channel, external_id=ext, created_at=MONDAY - timedelta(days=30),
                updated_at=MONDAY - timedelta(days=30))


def _event(code: str, starts: datetime, created: datetime, **kw: Any) -> Event:
    return Event(code=code, title=f"Hội thảo {code}", starts_at=starts, created_at=created,
                 updated_at=created, **kw)


async def _rows(db: Database) -> list[OutboxMessage]:
    async with db.session() as s:
        return list((await s.execute(select(OutboxMessage).order_by(OutboxMessage.id))).scalars())


async def test_reminders_one_day_and_one_hour_before(db: Database) -> None:
    lan, console = await _add(db, _user("11"), _user("c1", channel="console"))
    [event] = await _add(db, _event("SK-9", MONDAY + timedelta(hours=20),
                                    MONDAY - timedelta(days=10), online_url="https://meet.vn/x"))
    await _add(db, EventRegistration(event_id=event.id, user_id=lan.id),
               EventRegistration(event_id=event.id, user_id=console.id))
    first = await run_jobs(db, SETTINGS, MONDAY - timedelta(days=2))
    assert first.reminders == 0  # too early
    assert (await run_jobs(db, SETTINGS, MONDAY)).reminders == 1
    assert (await run_jobs(db, SETTINGS, MONDAY + timedelta(minutes=5))).reminders == 0
    last_hour = MONDAY + timedelta(hours=19, minutes=10)
    assert (await run_jobs(db, SETTINGS, last_hour)).reminders == 1
    assert (await run_jobs(db, SETTINGS, last_hour)).reminders == 0
    day, hour = await _rows(db)
    assert (day.kind, day.recipient, hour.recipient) == ("reminder", "11", "11")
    assert "ngày mai" in day.payload["text"] and "04:30 ngày 01/12/2026" in day.payload["text"]
    assert "một giờ" in hour.payload["text"] and "https://meet.vn/x" in hour.payload["text"]
    assert "/huynhantin" in hour.payload["text"]


async def test_new_event_told_to_matching_subscribers_who_opted_in(db: Database) -> None:
    a, b, c = await _add(db, _user("21"), _user("22"), _user("23"))
    week_ago = MONDAY - timedelta(days=7)
    await _add(db,
               Subscription(user_id=a.id, sectors=["agri_processing"], created_at=week_ago),
               Subscription(user_id=b.id, sectors=["biotech"], created_at=week_ago),
               Subscription(user_id=c.id, sectors=[], notify_new=False, created_at=week_ago))
    await _add(db, _event("SK-N", MONDAY + timedelta(days=9), MONDAY - timedelta(hours=3),
                          sectors=["agri_processing"]),
               _event("SK-OLD", MONDAY + timedelta(days=9), week_ago - timedelta(days=1)))
    report = await run_jobs(db, SETTINGS, MONDAY - timedelta(hours=1))  # not the digest hour
    assert (report.notices, report.digests) == (1, 0)
    assert (await run_jobs(db, SETTINGS, MONDAY - timedelta(minutes=50))).notices == 0
    [row] = await _rows(db)
    assert row.recipient == "21" and "Hội thảo SK-N" in row.payload["text"]
    assert row.payload["buttons"] == [["Đăng ký tham dự", "ev:reg:SK-N"]]


async def test_weekly_digest_on_its_day_and_hour_once(db: Database) -> None:
    a, b = await _add(db, _user("31"), _user("32"))
    month_ago = MONDAY - timedelta(days=30)
    await _add(db, Subscription(user_id=a.id, sectors=["agri_processing"], notify_new=False,
                                created_at=month_ago),
               Subscription(user_id=b.id, sectors=["energy"], notify_new=False,
                            created_at=month_ago))
    await _add(db, Technology(code="T-N", title="Máy sấy vải thiều", sector="agri_processing",
                              provider="Viện Cơ điện", status="published",
                              created_at=MONDAY - timedelta(days=2),
                              updated_at=MONDAY - timedelta(days=2)))
    assert (await run_jobs(db, SETTINGS, MONDAY - timedelta(hours=1))).digests == 0  # 07:30
    assert (await run_jobs(db, SETTINGS, MONDAY)).digests == 1
    assert (await run_jobs(db, SETTINGS, MONDAY + timedelta(hours=3))).digests == 0
    tuesday = MONDAY + timedelta(days=1)
    assert (await run_jobs(db, SETTINGS, tuesday)).digests == 0
    [row] = await _rows(db)
    assert row.kind == "digest" and row.recipient == "31"
    assert "Bản tin tuần" in row.payload["text"] and "Máy sấy vải thiều" in row.payload["text"]
    sunday = Settings(digest_weekday=6, digest_hour=20)
    assert (await run_jobs(db, sunday, MONDAY)).digests == 0


async def test_technology_passing_review_is_news(db: Database) -> None:
    [a] = await _add(db, _user("41"))
    await _add(db, Subscription(user_id=a.id, sectors=["herbal"], created_at=MONDAY - timedelta(
        days=5)))
    [tech] = await _add(db, Technology(code="T-R", title="Chiết xuất tinh dầu sả", sector="herbal",
                                       status="pending_review",
                                       created_at=MONDAY - timedelta(days=20),
                                       updated_at=MONDAY - timedelta(days=20)))
    assert (await run_jobs(db, NO_DIGEST, MONDAY - timedelta(hours=2))).notices == 0
    async with db.transaction() as s:  # staff approve it
        reviewed = await s.get(Technology, tech.id)
        assert reviewed is not None
        reviewed.status, reviewed.updated_at = "published", MONDAY - timedelta(hours=1)
    assert (await run_jobs(db, NO_DIGEST, MONDAY - timedelta(minutes=30))).notices == 1
    [row] = await _rows(db)
    assert "Chiết xuất tinh dầu sả" in row.payload["text"] and row.kind == "notice"


async def test_forgetting_a_user_empties_their_outbox_rows(db: Database) -> None:
    from storage.repos import outbox
    from storage.repos.privacy import forget_user

    [a] = await _add(db, _user("51"))
    await outbox.post(db, [outbox.Envelope("reply", "telegram", "51", {"text": "SĐT 0912345678"},
                                           user_id=a.id),
                           outbox.Envelope("digest", "telegram", "51", {"text": "tin"},
                                           user_id=a.id)])
    [sent, _] = await outbox.claim(db, "telegram", "w", limit=1) + [None]
    assert sent is not None and await outbox.mark_sent(db, sent.id, "w")
    async with db.transaction() as s:
        user = await s.get(User, a.id)
        assert user is not None
        await forget_user(s, user)
    rows = await _rows(db)
    assert all(r.recipient == "" and r.payload == {} and r.user_id is None for r in rows)
    assert sorted(r.status for r in rows) == ["sent", "skipped"]
