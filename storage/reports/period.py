"""What a report covers: a period of local calendar days and a scope (network, point, province)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

DEFAULT_TZ = "Asia/Ho_Chi_Minh"
# Period choices offered in chat (payload word → Vietnamese label).
PRESETS = {"month": "Tháng này", "quarter": "Quý này", "year": "Năm nay", "last_year": "Năm trước"}


@dataclass(frozen=True, slots=True)
class Period:
    """Days `first` to `last` inclusive, in the network's time zone (Vietnam: UTC+7)."""

    first: date
    last: date
    tz: str = DEFAULT_TZ

    def __post_init__(self) -> None:
        if self.last < self.first:
            raise ValueError("the period ends before it starts")

    @property
    def zone(self) -> ZoneInfo:
        return ZoneInfo(self.tz)

    @property
    def start(self) -> datetime:
        """The first moment of the period, in UTC."""
        return datetime.combine(self.first, time(), tzinfo=self.zone).astimezone(UTC)

    @property
    def end(self) -> datetime:
        """The first moment after the period, in UTC (exclusive bound)."""
        return datetime.combine(self.last + timedelta(days=1), time(),
                                tzinfo=self.zone).astimezone(UTC)

    def months(self) -> list[str]:
        """Every month touched by the period, "YYYY-MM", in order."""
        out, year, month = [], self.first.year, self.first.month
        while (year, month) <= (self.last.year, self.last.month):
            out.append(f"{year:04d}-{month:02d}")
            year, month = (year + 1, 1) if month == 12 else (year, month + 1)
        return out

    def label(self) -> str:
        return f"{self.first:%d/%m/%Y} – {self.last:%d/%m/%Y}"

    def to_dict(self) -> dict[str, str]:
        return {"from": self.first.isoformat(), "to": self.last.isoformat(), "timezone": self.tz}


def preset(name: str, today: date, tz: str = DEFAULT_TZ) -> Period:
    """"month" | "quarter" | "year" | "last_year", as of `today` (local date); up to today."""
    if name == "month":
        return Period(today.replace(day=1), today, tz)
    if name == "quarter":
        first_month = 3 * ((today.month - 1) // 3) + 1
        return Period(today.replace(month=first_month, day=1), today, tz)
    if name == "year":
        return Period(date(today.year, 1, 1), today, tz)
    if name == "last_year":
        return Period(date(today.year - 1, 1, 1), date(today.year - 1, 12, 31), tz)
    raise ValueError(f"unknown period {name!r}")


@dataclass(frozen=True, slots=True)
class Scope:
    """The whole network (default), one connection point (by code) or one province (taxonomy id).

    A point covers the demands routed to it and the events, catalog and audience of its
    provinces; the national point ("*") covers the whole network.
    """

    point: str | None = None
    province: str | None = None


@dataclass(frozen=True, slots=True)
class ResolvedScope:
    """A scope with its point looked up: the filters the queries apply."""

    label: str
    point_id: int | None = None  # demands routed to this point
    provinces: tuple[str, ...] | None = None  # None: every province

    @property
    def network(self) -> bool:
        return self.point_id is None and self.provinces is None
