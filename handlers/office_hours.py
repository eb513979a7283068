"""Office hours of the connection points' staff (Monday-Friday, 8:00-17:00, Vietnam time) and the
local time zone, for replies that promise when a person answers."""

from __future__ import annotations

from datetime import date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from storage.convert import LOCAL_TZ

OPENS, CLOSES = time(8, 0), time(17, 0)
# Fixed-date public holidays (day, month). Lunar ones (Tết, Giỗ Tổ) move every year and are not
# known here; staff answer on the next working day anyway.
HOLIDAYS = frozenset({(1, 1), (30, 4), (1, 5), (2, 9)})
HOURS_TEXT = "thứ Hai đến thứ Sáu, 8:00-17:00"
WEEKDAYS = ("thứ Hai", "thứ Ba", "thứ Tư", "thứ Năm", "thứ Sáu", "thứ Bảy", "Chủ nhật")


def local_tz(ctx: Any = None) -> ZoneInfo:
    """The zone of the `timezone` setting (`KETNOI_TIMEZONE`) passed to the handlers in
    `Services.settings`; Vietnam's when no settings were given (tests, tools)."""
    settings = getattr(getattr(ctx, "services", None), "settings", None)
    name = getattr(settings, "timezone", None)
    return ZoneInfo(name) if name else LOCAL_TZ


def is_working_day(day: date) -> bool:
    return day.weekday() < 5 and (day.day, day.month) not in HOLIDAYS


def in_working_hours(now: datetime, tz: ZoneInfo) -> bool:
    local = now.astimezone(tz)
    return is_working_day(local.date()) and OPENS <= local.time() < CLOSES


def next_opening(now: datetime, tz: ZoneInfo) -> datetime:
    """The next moment staff start work (8:00 on a weekday), in local time."""
    local = now.astimezone(tz)
    day = local.date()
    if is_working_day(day) and local.time() < OPENS:
        return datetime.combine(day, OPENS, tz)
    day += timedelta(days=1)
    while not is_working_day(day):
        day += timedelta(days=1)
    return datetime.combine(day, OPENS, tz)


def say_when(moment: datetime, now: datetime, tz: ZoneInfo) -> str:
    """'8:00 sáng mai (thứ Ba, 25/11)' or '8:00 thứ Hai, 24/11'."""
    local_now = now.astimezone(tz)
    when = f"{WEEKDAYS[moment.weekday()]}, {moment:%d/%m}"
    if moment.date() == local_now.date():
        return f"8:00 sáng nay ({when})"
    if moment.date() == local_now.date() + timedelta(days=1):
        return f"8:00 sáng mai ({when})"
    return f"8:00 {when}"
