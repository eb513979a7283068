"""`figures(db, period, scope)`: every figure of the network's report, in one read transaction."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import select

from nlu.taxonomy import PROVINCE_BY_ID
from storage.db import Database
from storage.errors import NotFound
from storage.models import ConnectionPoint
from storage.reports import demand_figures, network_figures
from storage.reports.period import Period, ResolvedScope, Scope
from storage.reports.query import Query

# The seed-style headline figures, in the order a report lists them (key → Vietnamese label).
HEADLINE = {
    "demands": "Nhu cầu công nghệ tiếp nhận",
    "technologies_proposed": "Nguồn cung công nghệ đã giới thiệu",
    "experts_proposed": "Hồ sơ chuyên gia đã cung cấp",
    "connections": "Kết nối cung cầu thành công",
    "expos": "Techmart, Techdemo, Techfest đã tổ chức",
    "workshops": "Hội thảo đã tổ chức",
    "training_classes": "Lớp đào tạo đã mở",
    "training_participants": "Lượt học viên đăng ký đào tạo",
}


@dataclass
class Figures:
    """The report: plain numbers and {key: count} breakdowns, ready for JSON."""

    period: Period
    scope: str  # a Vietnamese label: "Toàn mạng lưới", the point's name, the province's name
    demands: dict[str, Any]
    pipeline: dict[str, Any]
    supply: dict[str, int]
    catalog: dict[str, Any]
    events: dict[str, Any]
    audience: dict[str, Any]
    notes: list[str] = field(default_factory=list)

    @property
    def headline(self) -> dict[str, int]:
        values = {"demands": self.demands["total"], **self.supply, **self.events}
        return {key: int(values[key]) for key in HEADLINE}

    def to_dict(self) -> dict[str, Any]:
        return {"period": self.period.to_dict(), "scope": self.scope, "headline": self.headline,
                "demands": self.demands, "pipeline": self.pipeline, "supply": self.supply,
                "catalog": self.catalog, "events": self.events, "audience": self.audience,
                "notes": self.notes}


async def _resolve(q_session: Any, scope: Scope) -> ResolvedScope:
    if scope.point:
        point = (await q_session.execute(select(ConnectionPoint).where(
            ConnectionPoint.code == scope.point.strip().upper()))).scalar_one_or_none()
        if point is None:
            raise NotFound(f"Không tìm thấy điểm kết nối mã “{scope.point}”.")
        if point.national:
            return ResolvedScope(label=point.name)
        return ResolvedScope(label=point.name, point_id=point.id,
                             provinces=tuple(point.provinces or ()))
    if scope.province:
        province = PROVINCE_BY_ID.get(scope.province)
        if province is None:
            raise NotFound(f"Không có tỉnh/thành mã “{scope.province}”.")
        return ResolvedScope(label=province.name, provinces=(province.id,))
    return ResolvedScope(label="Toàn mạng lưới")


async def figures(db: Database, period: Period, scope: Scope | None = None, *,
                  now: datetime | None = None) -> Figures:
    """Every figure for `period` and `scope` (the whole network by default).

    `now` bounds "events held" (those that already started); tests fix it.
    """
    now = now or datetime.now(UTC)
    async with db.session() as s:
        resolved = await _resolve(s, scope or Scope())
        q = Query(s, db.dialect, period, resolved)
        demands = await demand_figures.received(q)
        pipeline = await demand_figures.pipeline(q)
        supply = await demand_figures.supply(q)
        catalog = await network_figures.catalog(q)
        events = await network_figures.events(q, now)
        audience = await network_figures.audience(q)
    return Figures(period, resolved.label, demands, pipeline, supply, catalog, events, audience,
                   q.notes)
