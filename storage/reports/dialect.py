"""The few SQL expressions that differ between SQLite and PostgreSQL, written once.

Everything is aggregated in the database: JSON lists are unnested with json_each /
jsonb_array_elements_text, months are cut in local time, medians use window functions.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import Float, Select, cast, func, select
from sqlalchemy.sql.elements import ColumnElement
from sqlalchemy.sql.selectable import TableValuedAlias


def local_month(dialect: str, column: Any, tz: str, at: datetime) -> ColumnElement[str]:
    """"YYYY-MM" of a UTC timestamp, in the time zone `tz`."""
    if dialect == "postgresql":
        return func.to_char(func.timezone(tz, column), "YYYY-MM")
    # SQLite stores naive UTC text; Vietnam has no daylight saving, so one offset is exact.
    offset = ZoneInfo(tz).utcoffset(at.replace(tzinfo=None))
    minutes = int(offset.total_seconds() // 60) if offset else 0
    return func.strftime("%Y-%m", column, f"{minutes:+d} minutes")


def json_elements(dialect: str, column: Any) -> TableValuedAlias:
    """The elements of a JSON list column as a table with one column, `value`."""
    if dialect == "postgresql":
        return func.jsonb_array_elements_text(column).table_valued("value")
    return func.json_each(column).table_valued("value")


def json_length(dialect: str, column: Any) -> ColumnElement[int]:
    if dialect == "postgresql":
        return func.jsonb_array_length(column)
    return func.json_array_length(column)


def seconds_between(dialect: str, later: Any, earlier: Any) -> ColumnElement[float]:
    if dialect == "postgresql":
        return cast(func.extract("epoch", later - earlier), Float)
    return (func.julianday(later) - func.julianday(earlier)) * 86400.0


def median(values: Select[Any]) -> Select[Any]:
    """The median of a one-column select (NULL when it has no rows), by row numbers."""
    sub = values.subquery()
    col = sub.c[0]
    ranked = select(col.label("v"), func.row_number().over(order_by=col).label("rn"),
                    func.count().over().label("n")).subquery()
    middle = ranked.c.rn.in_([(ranked.c.n + 1) // 2, (ranked.c.n + 2) // 2])
    return select(func.avg(ranked.c.v)).where(middle)
