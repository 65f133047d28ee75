"""Summing device day summaries into a child's day, a child's week and a family report.

Across devices a child's time is the sum of each device's summary: two PCs used at the
same moment count twice, because summaries carry no timestamps to take a union over.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Mapping
from datetime import date, timedelta

from sync.hub.models import DaySummary
from sync.hub.schemas import (
    ChildDayOut,
    ChildWeekOut,
    Counts,
    DayTotal,
    DeviceDayOut,
    DeviceWeekOut,
    ReportOut,
)

__all__ = ["child_day", "child_week", "family_report", "week_bounds"]


def week_bounds(iso_week: str) -> tuple[date, date]:
    """Monday and Sunday of an ISO week `YYYY-Www` (already validated)."""
    year, week = iso_week.split("-W")
    start = date.fromisocalendar(int(year), int(week), 1)
    return start, start + timedelta(days=6)


def _merge(maps: Iterable[Mapping[str, int]]) -> dict[str, int]:
    out: dict[str, int] = defaultdict(int)
    for m in maps:
        for key, seconds in m.items():
            out[key] += int(seconds)
    return dict(sorted(out.items()))


def _counts(rows: list[DaySummary]) -> Counts:
    return Counts(
        warnings=sum(r.warnings for r in rows),
        closes=sum(r.closes for r in rows),
        grants=sum(r.grants for r in rows),
        requests=sum(r.requests for r in rows),
        gaps=sum(r.gaps or 0 for r in rows),
        gap_seconds=min(86_400 * 7, sum(r.gap_seconds or 0 for r in rows)),
        tamper=sum(r.tamper or 0 for r in rows),
    )


def _display_name(rows: list[DaySummary], fallback: str) -> str:
    # The most recently uploaded spelling wins ("an" vs "An" are the same child).
    latest = max(rows, key=lambda r: r.updated_at, default=None)
    return latest.child if latest else fallback


def child_day(child: str, day: date, rows: list[DaySummary],
              device_names: Mapping[int, str]) -> ChildDayOut:
    """One child's day: each device's latest summary, summed."""
    rows = sorted(rows, key=lambda r: r.device_id)
    return ChildDayOut(
        child=_display_name(rows, child),
        day=day,
        total_seconds=sum(r.total_seconds for r in rows),
        screen_seconds=sum(r.screen_seconds or 0 for r in rows),
        apps=_merge(r.apps for r in rows),
        categories=_merge(r.categories for r in rows),
        counts=_counts(rows),
        devices=[DeviceDayOut(device_id=r.device_id, device_name=device_names.get(r.device_id, ""),
                              revision=r.revision, total_seconds=r.total_seconds) for r in rows],
    )


def child_week(child: str, week: str, rows: list[DaySummary],
               device_names: Mapping[int, str]) -> ChildWeekOut:
    """One child's ISO week: per day and per device sums, and the week's totals."""
    start, end = week_bounds(week)
    rows = [r for r in rows if start <= r.day <= end]
    per_day: dict[date, int] = defaultdict(int)
    per_device: dict[int, int] = defaultdict(int)
    screen: dict[date, int] = defaultdict(int)
    for r in rows:
        per_day[r.day] += r.total_seconds
        screen[r.day] += r.screen_seconds or 0
        per_device[r.device_id] += r.total_seconds
    days = [start + timedelta(days=i) for i in range(7)]
    return ChildWeekOut(
        child=_display_name(rows, child),
        week=week,
        start=start,
        end=end,
        total_seconds=sum(per_day.values()),
        screen_seconds=sum(screen.values()),
        days=[DayTotal(day=d, total_seconds=per_day.get(d, 0), screen_seconds=screen.get(d, 0))
              for d in days],
        apps=_merge(r.apps for r in rows),
        categories=_merge(r.categories for r in rows),
        counts=_counts(rows),
        devices=[DeviceWeekOut(device_id=d, device_name=device_names.get(d, ""), total_seconds=s)
                 for d, s in sorted(per_device.items())],
    )


def family_report(week: str, rows: list[DaySummary],
                  device_names: Mapping[int, str]) -> ReportOut:
    """The family's ISO week: one `child_week` per child with data, by name."""
    start, end = week_bounds(week)
    by_child: dict[str, list[DaySummary]] = defaultdict(list)
    for r in rows:
        if start <= r.day <= end:
            by_child[r.child_key].append(r)
    children = [child_week(key, week, child_rows, device_names)
                for key, child_rows in by_child.items()]
    children.sort(key=lambda c: c.child.casefold())
    return ReportOut(week=week, start=start, end=end,
                     total_seconds=sum(c.total_seconds for c in children), children=children)
