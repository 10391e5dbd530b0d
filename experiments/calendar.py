"""Business hours in a target's own timezone, as UTC intervals.

Opening hours are wall-clock times in the company's zone; a DST change
moves them in UTC. Each day's window is built from local wall-clock times
and converted with ``zoneinfo``, so 09:00 stays 09:00 locally on both sides
of a change.
"""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

from experiments.model import WEEKDAYS, BusinessHours

UTC = dt.timezone.utc


def local_windows(hours: BusinessHours, timezone: str, first_day: dt.date, days: int) -> list[tuple[dt.datetime, dt.datetime]]:
    """UTC (start, end) of each business window on ``days`` local dates from ``first_day``."""
    zone = ZoneInfo(timezone)
    open_days = {WEEKDAYS.index(d) for d in hours.days}
    windows = []
    for offset in range(days):
        day = first_day + dt.timedelta(days=offset)
        if day.weekday() not in open_days:
            continue
        start = dt.datetime.combine(day, hours.start, tzinfo=zone).astimezone(UTC)
        end = dt.datetime.combine(day, hours.end, tzinfo=zone).astimezone(UTC)
        if end > start:
            windows.append((start, end))
    return windows


def is_business_time(moment: dt.datetime, hours: BusinessHours, timezone: str) -> bool:
    """True when ``moment`` (aware) falls inside the target's opening hours."""
    local = moment.astimezone(ZoneInfo(timezone))
    if WEEKDAYS[local.weekday()] not in hours.days:
        return False
    return hours.start <= local.time().replace(tzinfo=None) < hours.end


def next_business_time(moment: dt.datetime, hours: BusinessHours, timezone: str, horizon_days: int = 14) -> dt.datetime | None:
    """The first instant at or after ``moment`` inside business hours, or None within the horizon."""
    local_day = moment.astimezone(ZoneInfo(timezone)).date()
    for start, end in local_windows(hours, timezone, local_day, horizon_days + 1):
        if end <= moment:
            continue
        return max(start, moment)
    return None
