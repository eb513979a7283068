"""Figures about demands: received (by type, sector, province, month, channel), the pipeline and
the supply proposed to enterprises. Every figure is one aggregate query.

Cohort: the demands received in the period (and scope). Connections are counted when they happen:
demands of the scope that reached `connected` during the period.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import Select, distinct, func, select, true
from sqlalchemy.sql.elements import ColumnElement

from storage.models import DEMAND_STATUSES, Base, Demand, DemandStatusChange, User
from storage.reports import dialect as sql
from storage.reports.period import ResolvedScope
from storage.reports.query import Query

# The pipeline of the staff workflow; statuses of today's model that are not in it follow.
FUNNEL = ("new", "assigned", "proposed", "connected", "closed")
PIPELINE_NOTE = ("Các bước “đã phân công”, “đã đề xuất” và kết quả đóng hồ sơ được tính khi quy "
                 "trình xử lý nhu cầu của cán bộ được đưa vào sử dụng; hiện ghi 0.")
INTRODUCTIONS_NOTE = ("Số lượt giới thiệu chuyên gia được tính khi chức năng giới thiệu chuyên gia "
                      "được đưa vào sử dụng; hiện ghi 0.")


def scope_conditions(scope: ResolvedScope) -> list[ColumnElement[bool]]:
    """Demands within the scope: routed to the point, or from the provinces."""
    if scope.point_id is not None:
        return [Demand.connection_point_id == scope.point_id]
    if scope.provinces is not None:
        return [Demand.province.in_(scope.provinces)]
    return []


def cohort_conditions(q: Query) -> list[ColumnElement[bool]]:
    """Demands received in the period, within the scope."""
    return [Demand.created_at >= q.period.start, Demand.created_at < q.period.end,
            *scope_conditions(q.scope)]


def cohort(q: Query) -> Select[Any]:
    return select(Demand.id).where(*cohort_conditions(q))


async def received(q: Query) -> dict[str, Any]:
    conds = cohort_conditions(q)
    by = {}
    for name, key in (("by_type", Demand.type), ("by_sector", Demand.sector),
                      ("by_province", Demand.province)):
        by[name] = await q.counts(select(key, func.count()).where(*conds).group_by(key))
    month = sql.local_month(q.dialect, Demand.created_at, q.period.tz, q.period.start)
    months = await q.counts(select(month, func.count()).where(*conds).group_by(month))
    by["by_month"] = {m: months.get(m, 0) for m in q.period.months()}
    by["by_channel"] = await q.counts(
        select(User.channel, func.count()).select_from(Demand).join(User, User.id == Demand.user_id)
        .where(*conds).group_by(User.channel))
    return {"total": sum(by["by_type"].values()), **by}


async def _median_hours(q: Query, status: str) -> float | None:
    """Median hours from receipt to the first change to `status`, over the cohort."""
    firsts = (select(Demand.created_at, func.min(DemandStatusChange.changed_at).label("at"))
              .join(DemandStatusChange, DemandStatusChange.demand_id == Demand.id)
              .where(DemandStatusChange.new_status == status,
                     DemandStatusChange.changed_at < q.period.end, *cohort_conditions(q))
              .group_by(Demand.id, Demand.created_at)).subquery()
    secs = sql.seconds_between(q.dialect, firsts.c.at, firsts.c.created_at)
    value = await q.one(sql.median(select(secs)))
    return None if value is None else round(float(value) / 3600, 1)


def _outcome_column() -> Any:
    """Where the staff workflow keeps a closed demand's outcome, once it exists."""
    return getattr(Demand, "outcome", None)


async def pipeline(q: Query) -> dict[str, Any]:
    change = DemandStatusChange
    found = await q.counts(
        select(change.new_status, func.count(distinct(change.demand_id)))
        .where(change.demand_id.in_(cohort(q)), change.changed_at < q.period.end)
        .group_by(change.new_status))
    statuses = FUNNEL + tuple(x for x in DEMAND_STATUSES if x not in FUNNEL)
    outcome = _outcome_column()
    outcomes: dict[str, int] = {}
    if outcome is not None:
        outcomes = await q.counts(select(outcome, func.count()).where(
            *cohort_conditions(q), Demand.status == "closed").group_by(outcome))
    if "assigned" not in DEMAND_STATUSES or outcome is None:
        q.note(PIPELINE_NOTE)
    return {
        "reached": {status: found.get(status, 0) for status in statuses},
        "median_hours": {"new_to_assigned": await _median_hours(q, "assigned"),
                         "new_to_connected": await _median_hours(q, "connected")},
        "outcomes": outcomes,
    }


async def _distinct_elements(q: Query, column: Any) -> int:
    """Distinct ids found in a JSON list column over the cohort (unnested in SQL)."""
    elements = sql.json_elements(q.dialect, column)
    return await q.number(select(func.count(distinct(elements.c.value))).select_from(Demand)
                          .join(elements, true()).where(*cohort_conditions(q)))


async def connections(q: Query) -> int:
    """Demands of the scope that reached `connected` during the period."""
    change = DemandStatusChange
    return await q.number(
        select(func.count(distinct(change.demand_id))).select_from(change)
        .join(Demand, Demand.id == change.demand_id)
        .where(change.new_status == "connected", change.changed_at >= q.period.start,
               change.changed_at < q.period.end, *scope_conditions(q.scope)))


async def _introductions(q: Query) -> int:
    table = Base.metadata.tables.get("introductions")
    if table is None or "created_at" not in table.c:
        q.note(INTRODUCTIONS_NOTE)
        return 0
    stmt = select(func.count()).select_from(table).where(
        table.c.created_at >= q.period.start, table.c.created_at < q.period.end)
    if "demand_id" in table.c and not q.scope.network:
        stmt = stmt.where(table.c.demand_id.in_(
            select(Demand.id).where(*scope_conditions(q.scope))))
    return await q.number(stmt)


async def supply(q: Query) -> dict[str, int]:
    return {
        "technologies_proposed": await _distinct_elements(q, Demand.matched_technology_ids),
        "experts_proposed": await _distinct_elements(q, Demand.matched_expert_ids),
        "introductions": await _introductions(q),
        "connections": await connections(q),
    }
