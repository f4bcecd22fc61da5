"""Week arithmetic, one rule for the whole portal: weeks are ISO weeks, Monday to Sunday, in UTC instants."""
from __future__ import annotations

from datetime import date, datetime, time, timedelta, timezone

WEEK = timedelta(days=7)
FIRST_MONDAY, LAST_MONDAY = date(1900, 1, 1), date(2100, 12, 27)  # the bounds of services/numbers.py, as Mondays


def monday(day: date) -> date:
    """The Monday of the ISO week the day falls in."""
    return day - timedelta(days=day.weekday())


def day_start(day: date) -> datetime:
    """Midnight UTC at the start of a day, for comparing dates with stored instants."""
    return datetime.combine(day, time.min, tzinfo=timezone.utc)


def week_start(day: date) -> datetime:
    """Monday 00:00 UTC of the day's week."""
    return day_start(monday(day))


def week_bounds(day: date) -> tuple[datetime, datetime]:
    """The day's week as UTC instants [Monday 00:00, next Monday 00:00)."""
    start = week_start(day)
    return start, start + WEEK


def mondays(start: date, end: date) -> list[date]:
    """The Monday of every week that touches [start, end], in order."""
    out, current = [], monday(start)
    while current <= end:
        out.append(current)
        current += WEEK
    return out


def parse_week(value: str | None, today: date) -> date:
    """'2026-W48' or an ISO date -> that week's Monday; anything else (or outside 1900..2100) -> this week."""
    try:
        day = None
        if value and "-W" in value:
            year, week = value.split("-W")
            day = date.fromisocalendar(int(year), int(week), 1)
        elif value:
            day = monday(date.fromisoformat(value))
        if day is not None and FIRST_MONDAY <= day <= LAST_MONDAY:  # a week the portal's dates can hold
            return day
    except ValueError:
        pass
    return monday(today)
