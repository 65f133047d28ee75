"""Days, weekdays and allowed windows in local wall time, correct across DST changes."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from typing import TypeVar

from rules.model import WEEKDAYS, LimitSpec, Window

__all__ = [
    "budget_minutes",
    "day_of",
    "day_segments",
    "day_start",
    "parse_hhmm",
    "parse_window",
    "weekday_key",
    "window_state",
    "windows_for",
]

UTC = dt.UTC
T = TypeVar("T")


def parse_hhmm(text: str, *, allow_24: bool = False) -> int | None:
    """Minutes after midnight for "HH:MM", or None when it does not parse."""
    parts = text.strip().split(":")
    if len(parts) != 2 or not all(p.isdigit() and 1 <= len(p) <= 2 for p in parts):
        return None
    h, m = int(parts[0]), int(parts[1])
    if allow_24 and h == 24 and m == 0:
        return 24 * 60
    if h > 23 or m > 59:
        return None
    return h * 60 + m


def parse_window(text: str) -> Window | None:
    """A window from "HH:MM-HH:MM" ("24:00" allowed as an end), or None."""
    if text.count("-") != 1:
        return None
    a, b = text.split("-")
    start, end = parse_hhmm(a), parse_hhmm(b, allow_24=True)
    if start is None or end is None or (start == end % (24 * 60) and end != 24 * 60):
        return None
    return Window(start, end % (24 * 60) if end == 24 * 60 else end)


def weekday_key(day: dt.date) -> str:
    """ "mon" .. "sun" for a date."""
    return WEEKDAYS[day.weekday()]


def _wall(day: dt.date, minutes: int, tz: dt.tzinfo) -> dt.datetime:
    """The instant of a local wall time; a time skipped by DST maps to just after the jump."""
    naive = dt.datetime.combine(day, dt.time()) + dt.timedelta(minutes=minutes)
    # A wall time skipped by DST does not survive a round trip through UTC: the first
    # minute that does is the instant of the jump (a repeated time takes its first pass).
    probe = naive
    for _ in range(48 * 60):
        instant = probe.replace(tzinfo=tz).astimezone(UTC).astimezone(tz)
        if instant.replace(tzinfo=None) == probe:
            return instant
        probe += dt.timedelta(minutes=1)
    return naive.replace(tzinfo=tz).astimezone(UTC).astimezone(tz)


def day_start(day: dt.date, day_starts: int, tz: dt.tzinfo) -> dt.datetime:
    """The instant a budget day begins."""
    return _wall(day, day_starts, tz)


def day_of(now: dt.datetime, day_starts: int) -> dt.date:
    """The budget day an aware local instant belongs to: the last one begun by `now`."""
    today = now.date()
    if now.tzinfo is None:
        minutes = now.hour * 60 + now.minute
        return today - dt.timedelta(days=1) if minutes < day_starts else today
    # Compare instants, not wall times: a repeated (DST) hour must not go back a day.
    begun = now.astimezone(UTC) >= day_start(today, day_starts, now.tzinfo).astimezone(UTC)
    return today if begun else today - dt.timedelta(days=1)


def day_segments(now: dt.datetime, elapsed: float, day_starts: int) -> list[tuple[dt.date, float]]:
    """Split the `elapsed` seconds before `now` at budget-day boundaries."""
    tz = now.tzinfo
    assert tz is not None, "now must be timezone-aware"
    end = now.astimezone(UTC)
    start = end - dt.timedelta(seconds=elapsed)
    out: list[tuple[dt.date, float]] = []
    cursor = start
    counted = 0.0
    while True:
        day = day_of(cursor.astimezone(tz), day_starts)
        boundary = day_start(day + dt.timedelta(days=1), day_starts, tz).astimezone(UTC)
        if boundary >= end:
            # The rest of `elapsed`, exactly: timedelta rounds to microseconds.
            out.append((day, max(0.0, elapsed - counted)))
            return out
        seconds = (boundary - cursor).total_seconds()
        out.append((day, seconds))
        counted += seconds
        cursor = boundary


def _for_day(day: dt.date, per_day: tuple[tuple[str, T], ...], weekend: T | None, every: T) -> T:
    """A setting for one day: its weekday's own value, then the weekend's, then every day's."""
    key = weekday_key(day)
    for wd, value in per_day:
        if wd == key:
            return value
    if weekend is not None and key in ("sat", "sun"):
        return weekend
    return every


def budget_minutes(spec: LimitSpec, day: dt.date) -> int | None:
    """The day's budget: a per-weekday value, then weekend, then daily; None is no budget."""
    return _for_day(day, spec.days, spec.weekend, spec.daily)


def windows_for(spec: LimitSpec, day: dt.date) -> tuple[Window, ...]:
    """The allowed windows that start on this calendar date."""
    # A day no window setting speaks for is not restricted (like a day with no budget).
    return _for_day(day, spec.allowed_days, spec.allowed_weekend, spec.allowed or (Window(0, 0),))


def _has_windows(spec: LimitSpec) -> bool:
    return bool(spec.allowed or spec.allowed_weekend is not None or spec.allowed_days)


def _intervals(
    spec: LimitSpec, first: dt.date, days: int, tz: dt.tzinfo
) -> Iterator[tuple[dt.datetime, dt.datetime]]:
    """Allowed intervals (UTC) of windows starting on `first` and the following days, merged."""
    raw: list[tuple[dt.datetime, dt.datetime]] = []
    for i in range(days):
        d = first + dt.timedelta(days=i)
        for w in windows_for(spec, d):
            start = _wall(d, w.start, tz).astimezone(UTC)
            end_day = d if w.end > w.start else d + dt.timedelta(days=1)
            end = _wall(end_day, w.end, tz).astimezone(UTC)
            raw.append((start, end))
    raw.sort()
    merged: list[tuple[dt.datetime, dt.datetime]] = []
    for s, e in raw:
        if merged and s <= merged[-1][1]:
            merged[-1] = (merged[-1][0], max(merged[-1][1], e))
        else:
            merged.append((s, e))
    yield from merged


def window_state(
    spec: LimitSpec, now: dt.datetime, horizon_days: int = 8
) -> tuple[bool, dt.datetime | None]:
    """(inside an allowed window, when that changes): the window's end, else the next start.

    With no windows configured it is always allowed and nothing changes (None).
    """
    if not _has_windows(spec):
        return True, None
    tz = now.tzinfo
    assert tz is not None, "now must be timezone-aware"
    t = now.astimezone(UTC)
    first = now.date() - dt.timedelta(days=1)
    for s, e in _intervals(spec, first, horizon_days + 1, tz):
        if s <= t < e:
            return True, e.astimezone(tz)
        if s > t:
            return False, s.astimezone(tz)
    return False, None
