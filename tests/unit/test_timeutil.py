"""Times, windows, budgets and budget days in local wall time, across midnight and DST."""

from __future__ import annotations

import datetime as dt

import pytest

from rules.model import LimitSpec, Window
from rules.timeutil import (
    budget_minutes,
    day_of,
    day_segments,
    day_start,
    parse_hhmm,
    parse_window,
    weekday_key,
    window_state,
    windows_for,
)
from tests.support.fakes import BERLIN, HCM, NEW_YORK, at

MON, FRI = dt.date(2026, 11, 23), dt.date(2026, 11, 27)
SAT, SUN = dt.date(2026, 11, 28), dt.date(2026, 11, 29)
H = 3600.0


@pytest.mark.parametrize(
    ("text", "allow_24", "expected"),
    [
        ("00:00", False, 0),
        ("23:59", False, 1439),
        ("07:05", False, 425),
        ("7:05", False, 425),
        (" 08:30 ", False, 510),
        ("24:00", False, None),
        ("24:00", True, 1440),
        ("24:01", True, None),
        ("12:60", False, None),
        ("25:00", False, None),
        ("7am", False, None),
        ("12", False, None),
        ("12:00:00", False, None),
        ("", False, None),
        ("-1:00", False, None),
        ("123:00", False, None),
        ("12:5x", False, None),
    ],
    ids=lambda v: repr(v) if isinstance(v, str) else None,
)
def test_parse_hhmm(text: str, allow_24: bool, expected: int | None) -> None:
    """HH:MM parses to minutes after midnight; 24:00 only where allowed."""
    assert parse_hhmm(text, allow_24=allow_24) == expected


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("08:00-20:00", Window(480, 1200)),
        ("22:00-02:00", Window(1320, 120)),
        ("00:00-24:00", Window(0, 0)),
        ("20:00-24:00", Window(1200, 0)),
        ("08:00 - 20:00", Window(480, 1200)),
        ("8:00-9:30", Window(480, 570)),
        ("8-20", None),
        ("08:00-08:00", None),
        ("00:00-00:00", None),
        ("24:00-08:00", None),
        ("25:00-26:00", None),
        ("08:00", None),
        ("08:00-12:00-14:00", None),
        ("08:00–20:00", None),  # an en dash is not a hyphen
        ("", None),
    ],
    ids=repr,
)
def test_parse_window(text: str, expected: Window | None) -> None:
    """Windows parse to minutes; an end before the start crosses midnight."""
    assert parse_window(text) == expected


def test_window_str_round_trips() -> None:
    """A window prints as HH:MM-HH:MM and that text parses back."""
    for text in ("08:00-20:30", "22:00-02:00", "06:00-00:30"):
        window = parse_window(text)
        assert window is not None and str(window) == text
        assert parse_window(str(window)) == window


SPEC = LimitSpec(key="games", daily=60, weekend=120, days=(("fri", 90), ("sun", 30)))


@pytest.mark.parametrize(
    ("spec", "day", "expected"),
    [
        (SPEC, MON, 60),
        (SPEC, FRI, 90),
        (SPEC, SAT, 120),
        (SPEC, SUN, 30),
        (LimitSpec(key="t", daily=60), SAT, 60),
        (LimitSpec(key="t", weekend=0), MON, None),
        (LimitSpec(key="t", weekend=0), SUN, 0),
        (LimitSpec(key="t", days=(("mon", 0),)), MON, 0),
        (LimitSpec(key="t", days=(("mon", 0),)), FRI, None),
        (LimitSpec(key="t"), MON, None),
    ],
    ids=[
        "weekday-daily",
        "fri-days-wins",
        "sat-weekend",
        "sun-days-wins-over-weekend",
        "no-weekend-falls-to-daily",
        "weekend-only-weekday-unlimited",
        "weekend-only-zero",
        "days-zero",
        "days-only-other-day-unlimited",
        "nothing",
    ],
)
def test_budget_minutes(spec: LimitSpec, day: dt.date, expected: int | None) -> None:
    """Per-weekday wins over weekend, which wins over daily; None means no budget."""
    assert budget_minutes(spec, day) == expected


W_DAY, W_WEEKEND, W_FRI = Window(480, 1200), Window(600, 1320), Window(480, 1380)
WINDOWED = LimitSpec(
    key="total", allowed=(W_DAY,), allowed_weekend=(W_WEEKEND,), allowed_days=(("fri", (W_FRI,)),)
)


@pytest.mark.parametrize(
    ("spec", "day", "expected"),
    [
        (WINDOWED, MON, (W_DAY,)),
        (WINDOWED, FRI, (W_FRI,)),
        (WINDOWED, SAT, (W_WEEKEND,)),
        (LimitSpec(key="t", allowed=(W_DAY,), allowed_days=(("sat", ()),)), SAT, ()),
        (LimitSpec(key="t", allowed_weekend=(W_WEEKEND,)), MON, (Window(0, 0),)),
        (LimitSpec(key="t", allowed_days=(("fri", (W_FRI,)),)), MON, (Window(0, 0),)),
    ],
    ids=[
        "weekday",
        "allowed-days-wins",
        "weekend",
        "empty-day-closed",
        "weekend-only-weekday-open",
        "fri-only-monday-open",
    ],
)
def test_windows_for(spec: LimitSpec, day: dt.date, expected: tuple[Window, ...]) -> None:
    """allowed_days wins over allowed_weekend over allowed; an unrestricted day is all open."""
    assert windows_for(spec, day) == expected


def test_weekday_key() -> None:
    """Dates map to mon..sun."""
    assert [weekday_key(MON + dt.timedelta(days=i)) for i in range(7)] == [
        "mon", "tue", "wed", "thu", "fri", "sat", "sun",
    ]


EVENING = LimitSpec(key="t", allowed=(Window(8 * 60, 20 * 60),))
NIGHT = LimitSpec(key="t", allowed=(Window(22 * 60, 2 * 60),))
FULL = LimitSpec(key="t", allowed=(Window(0, 0),))
WEEKEND_ONLY = LimitSpec(key="t", allowed_weekend=(W_WEEKEND,))
TWO = LimitSpec(key="t", allowed=(Window(7 * 60, 9 * 60), Window(16 * 60, 19 * 60)))


@pytest.mark.parametrize(
    ("spec", "now", "inside", "change"),
    [
        (LimitSpec(key="t", daily=5), at(2026, 11, 23, 3), True, None),
        (EVENING, at(2026, 11, 23, 8), True, at(2026, 11, 23, 20)),
        (EVENING, at(2026, 11, 23, 7, 59), False, at(2026, 11, 23, 8)),
        (EVENING, at(2026, 11, 23, 20), False, at(2026, 11, 24, 8)),
        (EVENING, at(2026, 11, 23, 19, 59, 59), True, at(2026, 11, 23, 20)),
        (NIGHT, at(2026, 11, 23, 23), True, at(2026, 11, 24, 2)),
        (NIGHT, at(2026, 11, 24, 1), True, at(2026, 11, 24, 2)),
        (NIGHT, at(2026, 11, 24, 2), False, at(2026, 11, 24, 22)),
        (NIGHT, at(2026, 11, 24, 3), False, at(2026, 11, 24, 22)),
        (TWO, at(2026, 11, 23, 12), False, at(2026, 11, 23, 16)),
        (TWO, at(2026, 11, 23, 8), True, at(2026, 11, 23, 9)),
        (TWO, at(2026, 11, 23, 19, 30), False, at(2026, 11, 24, 7)),
        (WINDOWED, at(2026, 11, 27, 22), True, at(2026, 11, 27, 23)),
        (WINDOWED, at(2026, 11, 28, 9), False, at(2026, 11, 28, 10)),
        (WINDOWED, at(2026, 11, 29, 22, 30), False, at(2026, 11, 30, 8)),
        (WEEKEND_ONLY, at(2026, 11, 23, 12), True, at(2026, 11, 28)),
        (WEEKEND_ONLY, at(2026, 11, 28, 8), False, at(2026, 11, 28, 10)),
    ],
    ids=[
        "no-windows",
        "at-start",
        "just-before-start",
        "at-end",
        "just-before-end",
        "midnight-window-23h",
        "midnight-window-01h-next-day",
        "midnight-window-end",
        "midnight-window-03h",
        "between-two-windows",
        "in-first-of-two",
        "after-last-of-two",
        "friday-late",
        "saturday-before-weekend-window",
        "sunday-night-to-monday",
        "weekend-only-windows-leave-weekdays-open",
        "weekend-only-windows-saturday-morning",
    ],
)
def test_window_state(
    spec: LimitSpec, now: dt.datetime, inside: bool, change: dt.datetime | None
) -> None:
    """Inside a window: when it ends; outside: when the next one starts."""
    assert window_state(spec, now) == (inside, change)


def test_full_day_window_is_always_inside() -> None:
    """00:00-24:00 every day: inside at any time, windows of successive days merged."""
    for hour in (0, 12, 23):
        inside, change = window_state(FULL, at(2026, 11, 23, hour))
        assert inside
        assert change is not None and change >= at(2026, 11, 30)


def test_window_state_with_no_window_in_horizon() -> None:
    """A day-specific empty list closes that day; with nothing open in the horizon, no change."""
    week = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
    closed = LimitSpec(key="t", allowed_days=tuple((d, ()) for d in week))
    assert window_state(closed, at(2026, 11, 23, 12)) == (False, None)


@pytest.mark.parametrize(
    ("now", "day_starts", "expected"),
    [
        (at(2026, 11, 23, 0, 0), 0, dt.date(2026, 11, 23)),
        (at(2026, 11, 22, 23, 59), 0, dt.date(2026, 11, 22)),
        (at(2026, 11, 23, 3, 59), 240, dt.date(2026, 11, 22)),
        (at(2026, 11, 23, 4, 0), 240, dt.date(2026, 11, 23)),
        (at(2026, 11, 23, 23, 0), 240, dt.date(2026, 11, 23)),
        (at(2026, 11, 23, 0, 30), 240, dt.date(2026, 11, 22)),
        (at(2026, 11, 23, 23, 59), 1439, dt.date(2026, 11, 23)),
        (at(2026, 11, 23, 23, 58), 1439, dt.date(2026, 11, 22)),
    ],
    ids=[
        "midnight",
        "before-midnight",
        "before-04h",
        "at-04h",
        "late-evening",
        "after-midnight-before-04h",
        "day-starts-23h59",
        "before-23h59",
    ],
)
def test_day_of(now: dt.datetime, day_starts: int, expected: dt.date) -> None:
    """The budget day begins at day_starts local time."""
    assert day_of(now, day_starts) == expected


@pytest.mark.parametrize(
    ("now", "day_starts", "expected"),
    [
        # Berlin falls back 03:00 CEST -> 02:00 CET on 2026-10-25: 02:30 happens twice.
        (at(2026, 10, 25, 2, 10, tz=BERLIN, fold=0), 150, dt.date(2026, 10, 24)),
        (at(2026, 10, 25, 2, 40, tz=BERLIN, fold=0), 150, dt.date(2026, 10, 25)),
        (at(2026, 10, 25, 2, 10, tz=BERLIN, fold=1), 150, dt.date(2026, 10, 25)),
        # New York springs forward 02:00 EST -> 03:00 EDT on 2026-03-08: no 02:30.
        (at(2026, 3, 8, 1, 59, tz=NEW_YORK), 150, dt.date(2026, 3, 7)),
        (at(2026, 3, 8, 3, 0, tz=NEW_YORK), 150, dt.date(2026, 3, 8)),
        (at(2026, 3, 8, 3, 15, tz=NEW_YORK), 150, dt.date(2026, 3, 8)),
    ],
    ids=[
        "fall-back-first-pass-before",
        "fall-back-first-pass-after",
        "fall-back-second-pass-stays",
        "spring-forward-before-jump",
        "spring-forward-at-jump",
        "spring-forward-after-jump",
    ],
)
def test_day_of_across_dst(now: dt.datetime, day_starts: int, expected: dt.date) -> None:
    """A day that began never goes back in a repeated hour; a skipped start begins at the jump."""
    assert day_of(now, day_starts) == expected


@pytest.mark.parametrize(
    ("day", "day_starts", "tz", "expected_utc"),
    [
        (dt.date(2026, 11, 23), 0, HCM, dt.datetime(2026, 11, 22, 17, 0, tzinfo=dt.UTC)),
        (dt.date(2026, 11, 23), 240, HCM, dt.datetime(2026, 11, 22, 21, 0, tzinfo=dt.UTC)),
        (dt.date(2026, 3, 29), 150, BERLIN, dt.datetime(2026, 3, 29, 1, 0, tzinfo=dt.UTC)),
        (dt.date(2026, 3, 8), 150, NEW_YORK, dt.datetime(2026, 3, 8, 7, 0, tzinfo=dt.UTC)),
        (dt.date(2026, 10, 25), 150, BERLIN, dt.datetime(2026, 10, 25, 0, 30, tzinfo=dt.UTC)),
    ],
    ids=["midnight", "04h", "berlin-gap", "new-york-gap", "berlin-repeated-first-pass"],
)
def test_day_start(day: dt.date, day_starts: int, tz: dt.tzinfo, expected_utc: dt.datetime) -> None:
    """A day's first instant; a start skipped by DST is the instant of the jump."""
    start = day_start(day, day_starts, tz)
    assert start.astimezone(dt.UTC) == expected_utc
    assert day_of(start, day_starts) == day
    before = (start.astimezone(dt.UTC) - dt.timedelta(seconds=1)).astimezone(tz)
    assert day_of(before, day_starts) == day - dt.timedelta(days=1)


@pytest.mark.parametrize(
    ("now", "elapsed", "day_starts", "expected"),
    [
        (at(2026, 11, 23, 12), 60.0, 0, [(dt.date(2026, 11, 23), 60.0)]),
        (at(2026, 11, 23, 0, 0, 30), 60.0, 0,
         [(dt.date(2026, 11, 22), 30.0), (dt.date(2026, 11, 23), 30.0)]),
        (at(2026, 11, 23, 4, 0, 20), 60.0, 240,
         [(dt.date(2026, 11, 22), 40.0), (dt.date(2026, 11, 23), 20.0)]),
        (at(2026, 11, 23, 0, 0, 30), 60.0, 240, [(dt.date(2026, 11, 22), 60.0)]),
        (at(2026, 11, 23, 4), 0.0, 240, [(dt.date(2026, 11, 23), 0.0)]),
        (at(2026, 11, 24, 4), 2 * 86400.0, 240,
         [(dt.date(2026, 11, 22), 86400.0), (dt.date(2026, 11, 23), 86400.0)]),
        # 23-hour and 25-hour days in Berlin (2026-03-29 and 2026-10-25).
        (at(2026, 3, 30, tz=BERLIN), 24 * H, 0,
         [(dt.date(2026, 3, 28), 1 * H), (dt.date(2026, 3, 29), 23 * H)]),
        (at(2026, 10, 26, tz=BERLIN), 26 * H, 0,
         [(dt.date(2026, 10, 24), 1 * H), (dt.date(2026, 10, 25), 25 * H)]),
        # From 04:00, the budget day holding the change is the day before the change.
        (at(2026, 3, 29, 4, tz=BERLIN), 24 * H, 240,
         [(dt.date(2026, 3, 27), 1 * H), (dt.date(2026, 3, 28), 23 * H)]),
        (at(2026, 10, 25, 4, tz=BERLIN), 26 * H, 240,
         [(dt.date(2026, 10, 23), 1 * H), (dt.date(2026, 10, 24), 25 * H)]),
        (at(2026, 3, 8, 3, 0, 30, tz=NEW_YORK), 60.0, 150,
         [(dt.date(2026, 3, 7), 30.0), (dt.date(2026, 3, 8), 30.0)]),
    ],
    ids=[
        "within-a-day",
        "across-midnight",
        "across-04h",
        "after-midnight-before-04h",
        "zero",
        "two-whole-days",
        "23-hour-day",
        "25-hour-day",
        "23-hour-day-from-04h",
        "25-hour-day-from-04h",
        "day-start-skipped-by-dst",
    ],
)
def test_day_segments(
    now: dt.datetime, elapsed: float, day_starts: int, expected: list[tuple[dt.date, float]]
) -> None:
    """Elapsed time splits at budget-day boundaries in real seconds and sums to the whole."""
    segments = day_segments(now, elapsed, day_starts)
    assert segments == expected
    assert sum(s for _, s in segments) == pytest.approx(elapsed, abs=1e-9)


def test_day_segments_keep_sub_microsecond_time() -> None:
    """No rounding to microseconds: odd float spans are counted exactly."""
    for elapsed in (0.1234567891, 1e-7, 86400.000000123):
        segments = day_segments(at(2026, 11, 23, 0, 0, 0), elapsed, 0)
        assert sum(s for _, s in segments) == pytest.approx(elapsed, abs=1e-12)
