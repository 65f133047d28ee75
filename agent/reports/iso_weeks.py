"""ISO weeks of budget days: parsing "YYYY-Www", the days of a week and their instants."""

from __future__ import annotations

import datetime as dt
import re

from rules.timeutil import day_start

__all__ = [
    "Week",
    "day_bounds",
    "format_week",
    "last_complete_week",
    "parse_week",
    "previous_week",
    "week_days",
    "week_of",
]

Week = tuple[int, int]  # (ISO year, ISO week number)

_WEEK = re.compile(r"^\s*(\d{4})-?[Ww](\d{1,2})\s*$")


def parse_week(text: str) -> Week:
    """(year, week) from "2026-W43" (also "2026W43", "2026-w43"); ValueError when not a week."""
    match = _WEEK.match(text)
    if not match:
        raise ValueError(f"not a week: {text!r} (expected YYYY-Www, such as 2026-W43)")
    year, week = int(match.group(1)), int(match.group(2))
    try:
        dt.date.fromisocalendar(year, week, 1)
    except ValueError:
        raise ValueError(f"{year} has no week {week}") from None
    return year, week


def format_week(week: Week) -> str:
    """ "2026-W43"."""
    return f"{week[0]:04d}-W{week[1]:02d}"


def week_of(day: dt.date) -> Week:
    """The ISO week a day belongs to."""
    iso = day.isocalendar()
    return iso.year, iso.week


def week_days(week: Week) -> list[dt.date]:
    """Monday to Sunday of an ISO week."""
    monday = dt.date.fromisocalendar(week[0], week[1], 1)
    return [monday + dt.timedelta(days=i) for i in range(7)]


def previous_week(week: Week) -> Week:
    """The ISO week before."""
    return week_of(week_days(week)[0] - dt.timedelta(days=7))


def last_complete_week(today: dt.date) -> Week:
    """The last ISO week that has ended by `today` (a budget day)."""
    return previous_week(week_of(today))


def day_bounds(day: dt.date, day_starts: int, tz: dt.tzinfo) -> tuple[dt.datetime, dt.datetime]:
    """The instants (in UTC) a budget day begins and ends: 23 or 25 hours apart on DST changes.

    In UTC because Python subtracts and compares two times of one zone by their wall clocks.
    """
    first = day_start(day, day_starts, tz).astimezone(dt.UTC)
    return first, day_start(day + dt.timedelta(days=1), day_starts, tz).astimezone(dt.UTC)
