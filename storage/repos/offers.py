"""Offer review: technologies offered in chat wait in `pending_review` until staff approve them
(they join the catalog and the search index at once: the index follows `updated_at`, and the
news job tells matching subscribers) or reject them with a reason. The offerer is told through
the outbox in the same transaction, and the decision is audited."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import and_, select, update

from storage.db import Database
from storage.errors import InvalidStatusChange, InvalidValue, NotFound
from storage.models import ConnectionPoint, OfferQuestion, Staff, Technology, User
from storage.repos import audit, outbox
from storage.repos.outbox import Envelope
from storage.sqltypes import utcnow


@dataclass(frozen=True, slots=True)
class Offer:
    id: int
    code: str
    title: str
    summary: str
    provider: str
    sector: str | None
    province: str | None
    status: str
    created_at: datetime
    offered_by: str | None  # "channel:user id" of the offerer, when offered in chat
    questions: list[Question] = field(default_factory=list)  # "Cần bổ sung", oldest first
    # The point whose staff review it (serving the technology's or the offerer's province);
    # None when neither is known: any staff member may review it.
    point_code: str | None = None

    @property
    def waiting_answer(self) -> bool:
        return any(q.answer is None for q in self.questions)

    def to_dict(self) -> dict[str, Any]:
        return {**asdict(self), "created_at": self.created_at.isoformat(),
                "questions": [q.to_dict() for q in self.questions]}


@dataclass(frozen=True, slots=True)
class Question:
    """A reviewer's question on an offer and the offerer's answer (None while waiting)."""

    id: int
    technology_id: int
    question: str
    asked_by: str
    asked_at: datetime
    answer: str | None
    answered_at: datetime | None

    def to_dict(self) -> dict[str, Any]:
        return {**asdict(self), "asked_at": self.asked_at.isoformat(),
                "answered_at": self.answered_at.isoformat() if self.answered_at else None}


def _question(q: OfferQuestion) -> Question:
    return Question(q.id, q.technology_id, q.question, q.asked_by, q.asked_at, q.answer,
                    q.answered_at)


Compose = Callable[[Offer], dict[str, Any]]  # a serialised Outgoing for the offerer
# The question to the offerer / the answer to staff: (offer, the question) → serialised Outgoing
ComposeQuestion = Callable[[Offer, Question], dict[str, Any]]


async def _offer(session: Any, t: Technology) -> Offer:
    user = await session.get(User, t.submitted_by_id) if t.submitted_by_id else None
    asked = (await session.execute(select(OfferQuestion).where(
        OfferQuestion.technology_id == t.id).order_by(OfferQuestion.id))).scalars()
    province = t.province or (user.province if user is not None else None)
    point = None
    if province:
        points = (await session.execute(select(ConnectionPoint))).scalars()
        point = next((p.code for p in points if province in (p.provinces or [])), None)
    return Offer(t.id, t.code, t.title, t.summary or "", t.provider or "", t.sector, t.province,
                 t.status, t.created_at,
                 f"{user.channel}:{user.external_id}" if user is not None else None,
                 [_question(q) for q in asked], point)


async def pending(db: Database, limit: int = 50, *,
                  visible: Callable[[str | None], bool] | None = None) -> list[Offer]:
    """Offers waiting for review, oldest first; `visible(point_code)` keeps those a staff member
    may review (`StaffMember.sees`, with an unknown point open to all)."""
    async with db.session() as s:
        rows = (await s.execute(select(Technology).where(Technology.status == "pending_review")
                                .order_by(Technology.id).limit(max(limit, 500)))).scalars()
        found = [await _offer(s, t) for t in rows]
    return [o for o in found if visible is None or visible(o.point_code)][:limit]


async def get(db: Database, key: str | int) -> Offer:
    """One offer (any status) by code or id."""
    from storage.repos.catalog import get_technology

    async with db.session() as s:
        tech = await get_technology(s, key)
        if tech is None:
            raise NotFound(f"Không tìm thấy công nghệ “{str(key)[:40]}”.")
        return await _offer(s, tech)


async def decide(db: Database, key: str | int, approve: bool, actor: str, *,
                 reason: str | None = None, tell: Compose | None = None) -> Offer:
    """Approve (published) or reject (archived, with `reason`) an offer still pending. A
    conditional UPDATE: of two reviewers deciding at once, exactly one wins."""
    async with db.transaction() as s:
        tech = await _pending_tech(s, key)
        done = await s.execute(
            update(Technology).where(Technology.id == tech.id,
                                     Technology.status == "pending_review")
            .values(status="published" if approve else "archived", updated_at=utcnow())
            .execution_options(synchronize_session=False))
        if done.rowcount != 1:  # type: ignore[attr-defined]
            raise InvalidStatusChange(f"Công nghệ {tech.code} vừa được cán bộ khác quyết định, "
                                      "không còn chờ duyệt.")
        await s.refresh(tech)
        await audit.record(s, actor, "offer.approve" if approve else "offer.reject",
                           f"technology:{tech.code}", reason=reason)
        found = await _offer(s, tech)
        user = await s.get(User, tech.submitted_by_id) if tech.submitted_by_id else None
        if tell is not None and user is not None and user.active:
            await outbox.enqueue(s, [Envelope("update", user.channel, user.external_id,
                                              tell(found), user_id=user.id)])
        return found


async def _pending_tech(session: Any, key: str | int) -> Technology:
    from storage.repos.catalog import get_technology

    tech = await get_technology(session, key)
    if tech is None:
        raise NotFound(f"Không tìm thấy công nghệ “{str(key)[:40]}”.")
    if tech.status != "pending_review":
        raise InvalidStatusChange(f"Công nghệ {tech.code} không còn chờ duyệt "
                                  f"(trạng thái: {tech.status}).")
    return tech


async def ask(db: Database, key: str | int, question: str, actor: str, *,
              tell: ComposeQuestion) -> Offer:
    """"Cần bổ sung": put a question to the offerer of a pending offer, through the outbox in the
    same transaction; their answer comes back with `answer`. Audited."""
    text = (question or "").strip()[:1000]
    if not text:
        raise InvalidValue("Câu hỏi cho người chào bán đang trống.")
    async with db.transaction() as s:
        tech = await _pending_tech(s, key)
        user = await s.get(User, tech.submitted_by_id) if tech.submitted_by_id else None
        if user is None or not user.active:
            raise InvalidValue(f"Công nghệ {tech.code} không do người dùng chat chào bán (hoặc "
                               "người chào bán đã ngừng dùng dịch vụ), không gửi câu hỏi được.")
        row = OfferQuestion(technology_id=tech.id, user_id=user.id, question=text,
                            asked_by=actor[:160], asked_at=utcnow())
        s.add(row)
        await s.flush()
        await audit.record(s, actor, "offer.ask", f"technology:{tech.code}", question=text)
        found = await _offer(s, tech)
        await outbox.enqueue(s, [Envelope("update", user.channel, user.external_id,
                                          tell(found, _question(row)), user_id=user.id)])
        return found


async def open_question(db: Database, user_id: int,
                        question_id: int | None = None) -> Question | None:
    """The oldest question (or the one asked) waiting for this user's answer on an offer still
    under review."""
    async with db.session() as s:
        stmt = (select(OfferQuestion)
                .join(Technology, Technology.id == OfferQuestion.technology_id)
                .where(OfferQuestion.user_id == user_id, OfferQuestion.answered_at.is_(None),
                       Technology.status == "pending_review"))
        if question_id is not None:
            stmt = stmt.where(OfferQuestion.id == question_id)
        row = (await s.execute(stmt.order_by(OfferQuestion.id).limit(1))).scalar_one_or_none()
        return _question(row) if row is not None else None


async def awaiting(db: Database, user_id: int) -> tuple[Question | None, bool]:
    """For an offerer's message: the oldest question waiting for their answer, and whether any
    of their offers is still under review (when none is, nothing can be asked any more). One
    small query on the way of every message of an offerer, so kept lean."""
    async with db.session() as s:
        found = (await s.execute(
            select(Technology.id, OfferQuestion.id).select_from(Technology)
            .outerjoin(OfferQuestion, and_(OfferQuestion.technology_id == Technology.id,
                                           OfferQuestion.user_id == user_id,
                                           OfferQuestion.answered_at.is_(None)))
            .where(Technology.submitted_by_id == user_id, Technology.status == "pending_review")
            .order_by(OfferQuestion.id.is_(None), OfferQuestion.id).limit(1))).first()
        if found is None:
            return None, False
        row = await s.get(OfferQuestion, found[1]) if found[1] is not None else None
        return (_question(row) if row is not None else None), True


async def answer(db: Database, question_id: int, user_id: int, text: str, *,
                 tell: ComposeQuestion) -> Offer:
    """Store the offerer's answer (once: a second answer to the same question is refused) and
    tell the staff member who asked (or, if they are no longer staff, the national point)."""
    text = (text or "").strip()[:2000]
    if not text:
        raise InvalidValue("Câu trả lời đang trống.")
    async with db.transaction() as s:
        row = await s.get(OfferQuestion, question_id)
        if row is None or row.user_id != user_id:
            raise NotFound("Không tìm thấy câu hỏi này (có thể đã bị xoá).")
        tech = await _pending_tech(s, row.technology_id)
        done = await s.execute(
            update(OfferQuestion).where(OfferQuestion.id == question_id,
                                        OfferQuestion.answered_at.is_(None))
            .values(answer=text, answered_at=utcnow()).execution_options(synchronize_session=False))
        if done.rowcount != 1:  # type: ignore[attr-defined]
            raise InvalidStatusChange("Câu hỏi này đã được trả lời rồi.")
        await s.refresh(row)
        user = await s.get(User, user_id)
        who = f"{user.channel}:{user.external_id}" if user else "người chào bán"
        await audit.record(s, who, "offer.answer", f"technology:{tech.code}", question=row.question)
        found = await _offer(s, tech)
        payload = tell(found, _question(row))
        await outbox.enqueue(s, [Envelope("staff_alert", m.channel, m.user_id, payload)
                                 for m in await _reviewers(s, row.asked_by)])
        return found


async def _reviewers(session: Any, asked_by: str) -> list[Staff]:
    """The staff member who asked ("channel:user_id (name)"), if still staff; else the national
    point's staff on call."""
    from storage.repos.staff import on_call

    key = asked_by.split(" ", 1)[0]
    channel, _, user_id = key.partition(":")
    asker = (await session.execute(select(Staff).where(
        Staff.channel == channel, Staff.user_id == user_id))).scalar_one_or_none()
    if asker is not None:
        return [asker]
    national = next((p for p in (await session.execute(select(ConnectionPoint))).scalars()
                     if p.national), None)
    return await on_call(session, national)
