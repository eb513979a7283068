"""Demands for the web console: the filtered, paged list, one demand, exports. The pipeline's
steps are `storage.repos.pipeline`'s (bot.admin.pipeline)."""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from typing import Any

from openpyxl import Workbook
from sqlalchemy import func, or_, select
from sqlalchemy.orm import raiseload

from nlu.taxonomy import PROVINCE_BY_ID, SECTOR_BY_ID
from storage.console.paging import PER_PAGE, Page, count, valid_id, window
from storage.convert import LOCAL_TZ
from storage.db import Database
from storage.demand_view import demand_dict
from storage.errors import NotFound
from storage.models import DEMAND_STATUSES, ConnectionPoint, Demand, MessageLog, User
from storage.repos.demands import STATUS_NAMES
from storage.repos.staff import StaffMember

EXPORT_LIMIT = 50_000
EXPORT_HEADER = ("Số", "Ngày tạo", "Trạng thái", "Loại", "Nhu cầu", "Lĩnh vực", "Tỉnh/thành",
                 "Điểm kết nối", "Người gửi", "Kênh", "Cán bộ xử lý")


@dataclass(frozen=True, slots=True)
class DemandFilter:
    status: str | None = None
    point: str | None = None  # connection point code
    sector: str | None = None
    province: str | None = None
    type: str | None = None
    since: date | None = None
    until: date | None = None
    mine: bool = False  # only those assigned to the member viewing

    @classmethod
    def from_query(cls, q: Any) -> DemandFilter:
        """From query parameters; unknown values are dropped rather than refused."""
        def text(key: str) -> str | None:
            return (str(q.get(key) or "").strip()[:64]) or None

        status = text("status")
        sector, province = text("sector"), text("province")
        return cls(status=status if status in DEMAND_STATUSES else None,
                   point=(text("point") or "").upper() or None,
                   sector=sector if sector in SECTOR_BY_ID else None,
                   province=province if province in PROVINCE_BY_ID else None,
                   type=text("type"), since=_day(text("since")), until=_day(text("until")),
                   mine=q.get("mine") == "1")

    def query(self) -> dict[str, str]:
        """The filter as query parameters (for paging and export links)."""
        values = {"status": self.status, "point": self.point, "sector": self.sector,
                  "province": self.province, "type": self.type,
                  "since": self.since.isoformat() if self.since else None,
                  "until": self.until.isoformat() if self.until else None,
                  "mine": "1" if self.mine else None}
        return {k: v for k, v in values.items() if v}


def _day(value: str | None) -> date | None:
    try:
        return date.fromisoformat(value) if value else None
    except ValueError:
        return None


@dataclass(frozen=True, slots=True)
class DemandRow:
    id: int
    created_at: datetime
    status: str
    type: str
    need: str
    sector: str | None
    province: str | None
    point: str | None
    user_name: str | None
    channel: str
    assigned: str | None = None  # the staff member handling it

    @property
    def status_name(self) -> str:
        return STATUS_NAMES.get(self.status, self.status)

    @property
    def sector_name(self) -> str:
        sector = SECTOR_BY_ID.get(self.sector or "")
        return sector.name if sector else ""

    @property
    def province_name(self) -> str:
        province = PROVINCE_BY_ID.get(self.province or "")
        return province.name if province else ""

    def cells(self) -> list[Any]:
        return [self.id, self.created_at.astimezone(LOCAL_TZ).strftime("%Y-%m-%d %H:%M"),
                self.status_name, self.type, self.need, self.sector_name, self.province_name,
                self.point or "", self.user_name or "", self.channel, self.assigned or ""]


def _statement(member: StaffMember, f: DemandFilter) -> Any:
    stmt: Any = (select(Demand, User.display_name, User.channel, ConnectionPoint.code)
            .join(User, User.id == Demand.user_id)
            .outerjoin(ConnectionPoint, ConnectionPoint.id == Demand.connection_point_id)
            .options(raiseload(Demand.history))
            .order_by(Demand.created_at.desc(), Demand.id.desc()))
    if not member.national:
        stmt = stmt.where(ConnectionPoint.code == member.point)
    elif f.point:
        stmt = stmt.where(ConnectionPoint.code == f.point)
    conditions = {Demand.status: f.status, Demand.sector: f.sector, Demand.province: f.province,
                  Demand.type: f.type}
    for column, value in conditions.items():
        if value:
            stmt = stmt.where(column == value)
    if f.mine:
        stmt = stmt.where(Demand.assigned_to == f"{member.channel}:{member.user_id}")
    if f.since:
        stmt = stmt.where(Demand.created_at >= datetime.combine(f.since, time(), LOCAL_TZ))
    if f.until:
        end = datetime.combine(f.until + timedelta(days=1), time(), LOCAL_TZ)
        stmt = stmt.where(Demand.created_at < end)
    return stmt


def _row(demand: Demand, name: str | None, channel: str, point: str | None) -> DemandRow:
    need = str((demand.details or {}).get("need") or demand.raw_text or "")
    return DemandRow(id=demand.id, created_at=demand.created_at, status=demand.status,
                     type=demand.type, need=need[:300], sector=demand.sector,
                     province=demand.province, point=point, user_name=name, channel=channel,
                     assigned=demand.assigned_name or demand.assigned_to)


async def page(db: Database, member: StaffMember, f: DemandFilter, number: int,
               per_page: int = PER_PAGE) -> Page[DemandRow]:
    """One page of the demands this member may see, newest first."""
    stmt = _statement(member, f)
    async with db.session() as s:
        total = await count(s, stmt)
        rows = (await s.execute(window(stmt, number, per_page))).all()
    return Page([_row(*r) for r in rows], total, number, per_page)


async def status_counts(db: Database, member: StaffMember, f: DemandFilter) -> dict[str, int]:
    """How many demands of each status match the filter (the status itself set aside)."""
    base = _statement(member, DemandFilter(**{**_fields(f), "status": None})).subquery()
    stmt = select(base.c.status, func.count()).group_by(base.c.status)
    async with db.session() as s:
        found = {status: int(n) for status, n in (await s.execute(stmt)).all()}
    return {status: found.get(status, 0) for status in DEMAND_STATUSES}


def _fields(f: DemandFilter) -> dict[str, Any]:
    return {name: getattr(f, name) for name in DemandFilter.__dataclass_fields__}


async def export(db: Database, member: StaffMember, f: DemandFilter, kind: str) -> bytes:
    """The filtered list as CSV (UTF-8 with BOM, for Excel) or XLSX."""
    async with db.session() as s:
        rows = [_row(*r) for r in (await s.execute(_statement(member, f).limit(EXPORT_LIMIT)))]
    table = [list(EXPORT_HEADER)] + [r.cells() for r in rows]
    if kind == "csv":
        out = io.StringIO()
        csv.writer(out).writerows(table)
        return out.getvalue().encode("utf-8-sig")
    workbook = Workbook()
    sheet = workbook.active
    assert sheet is not None
    sheet.title = "Yêu cầu"
    for line in table:
        sheet.append(line)
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


EXCERPT_MESSAGES = 12
EXCERPT_AFTER = timedelta(minutes=5)  # the bot's answer to the demand comes just after it


@dataclass(slots=True)
class DemandPage:
    record: dict[str, Any]
    conversation: list[dict[str, Any]] = field(default_factory=list)


async def _conversation(s: Any, demand: Demand) -> list[dict[str, Any]]:
    """The last messages of the user's chat up to just after the demand was stated."""
    user = await s.get(User, demand.user_id)
    if user is None:
        return []
    stmt = (select(MessageLog)
            .where(MessageLog.channel == user.channel,
                   or_(MessageLog.chat_id == user.external_id,
                       MessageLog.user_id == user.external_id),
                   MessageLog.created_at <= demand.created_at + EXCERPT_AFTER)
            .order_by(MessageLog.created_at.desc(), MessageLog.id.desc())
            .limit(EXCERPT_MESSAGES))
    lines = list((await s.execute(stmt)).scalars())
    return [{"from_user": m.direction == "in", "text": m.text[:1000], "at": m.created_at}
            for m in reversed(lines)]


async def detail(db: Database, member: StaffMember, demand_id: int) -> DemandPage:
    """One demand with its matches and history; NotFound when this member may not see it."""
    async with db.session() as s:
        demand = await s.get(Demand, demand_id) if valid_id(demand_id) else None
        if demand is None:
            raise NotFound(f"Không tìm thấy yêu cầu số {demand_id}.")
        record = await demand_dict(s, demand)
        point = (record.get("connection_point") or {}).get("code")
        if not member.sees(point):
            # Same answer as a missing demand: another point's numbers are not revealed.
            raise NotFound(f"Không tìm thấy yêu cầu số {demand_id}.")
        conversation = await _conversation(s, demand)
    return DemandPage(record, conversation)

