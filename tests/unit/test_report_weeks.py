"""ISO weeks for reports: parsing, the days of a week, the last complete week, DST day lengths."""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

import pytest

from agent.reports.iso_weeks import (
    day_bounds,
    format_week,
    last_complete_week,
    parse_week,
    previous_week,
    week_days,
    week_of,
)

BERLIN = ZoneInfo("Europe/Berlin")
HCM = ZoneInfo("Asia/Ho_Chi_Minh")


@pytest.mark.parametrize(
    ("text", "week"),
    [
        ("2026-W43", (2026, 43)),
        ("2026w43", (2026, 43)),
        (" 2026-w01 ", (2026, 1)),
        ("2026-W53", (2026, 53)),
        ("2020-W53", (2020, 53)),
        ("2026-W5", (2026, 5)),
    ],
)
def test_parse_week(text: str, week: tuple[int, int]) -> None:
    """YYYY-Www and its loose spellings parse; weeks 53 exist in long years."""
    assert parse_week(text) == week


@pytest.mark.parametrize(
    "text", ["2026-43", "2026-W00", "2027-W53", "2026-W54", "W43", "2026-10-19", "", "abcd-Wxy"]
)
def test_parse_week_rejects(text: str) -> None:
    """Anything else is a ValueError that names the input."""
    with pytest.raises(ValueError, match="week"):
        parse_week(text)


def test_format_and_days() -> None:
    """Monday to Sunday, and the week each belongs to."""
    assert format_week((2026, 3)) == "2026-W03"
    days = week_days((2026, 43))
    assert days[0] == dt.date(2026, 10, 19) and days[-1] == dt.date(2026, 10, 25)
    assert [d.weekday() for d in days] == list(range(7))
    assert {week_of(d) for d in days} == {(2026, 43)}


def test_previous_week_crosses_years() -> None:
    """The week before week 1 is the last week of the previous ISO year (53 in 2026)."""
    assert previous_week((2027, 1)) == (2026, 53)
    assert previous_week((2026, 1)) == (2025, 52)
    assert previous_week((2026, 43)) == (2026, 42)


@pytest.mark.parametrize(
    ("today", "week"),
    [
        (dt.date(2026, 10, 26), (2026, 43)),  # Monday: last week just ended
        (dt.date(2026, 11, 1), (2026, 43)),  # Sunday: this week is not over yet
        (dt.date(2027, 1, 4), (2026, 53)),
    ],
)
def test_last_complete_week(today: dt.date, week: tuple[int, int]) -> None:
    """The last ISO week that has ended."""
    assert last_complete_week(today) == week


@pytest.mark.parametrize(
    ("day", "starts", "tz", "hours"),
    [
        (dt.date(2026, 10, 25), 0, BERLIN, 25),
        (dt.date(2026, 3, 29), 0, BERLIN, 23),
        (dt.date(2026, 10, 24), 0, BERLIN, 24),
        (dt.date(2026, 10, 25), 0, HCM, 24),
        # Days that start at 04:00: the change at 03:00 on the 25th is in the 24th's day.
        (dt.date(2026, 10, 24), 240, BERLIN, 25),
        (dt.date(2026, 10, 25), 240, BERLIN, 24),
    ],
)
def test_day_bounds_follow_dst(day: dt.date, starts: int, tz: ZoneInfo, hours: int) -> None:
    """A budget day lasts 23, 24 or 25 real hours, and begins at its local start time."""
    first, last = day_bounds(day, starts, tz)
    assert (last - first).total_seconds() == hours * 3600
    local = first.astimezone(tz)
    assert (local.date(), local.hour * 60 + local.minute) == (day, starts)
