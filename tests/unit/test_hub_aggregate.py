"""Summing device day summaries into days, weeks and the family report."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest

from sync.hub.aggregate import child_day, child_week, family_report, week_bounds
from sync.hub.models import DaySummary

NAMES = {1: "living room", 2: "bedroom"}


def _row(device: int, child: str, day: str, seconds: int, *, apps: dict[str, int] | None = None,
         warnings: int = 0, updated: int = 0) -> DaySummary:
    return DaySummary(
        family_id=1, device_id=device, child=child, child_key=child.casefold(),
        day=date.fromisoformat(day), revision=1, consent_id="c", total_seconds=seconds,
        apps=apps or {}, categories={"games": seconds}, warnings=warnings, closes=0, grants=0,
        requests=0, updated_at=datetime(2026, 1, 1, 0, 0, updated, tzinfo=UTC))


@pytest.mark.parametrize(("week", "start", "end"), [
    ("2026-W01", date(2025, 12, 29), date(2026, 1, 4)),
    ("2026-W53", date(2026, 12, 28), date(2027, 1, 3)),
    ("2024-W09", date(2024, 2, 26), date(2024, 3, 3)),
])
def test_week_bounds(week: str, start: date, end: date) -> None:
    assert week_bounds(week) == (start, end)


def test_a_childs_day_is_the_sum_over_devices() -> None:
    rows = [_row(2, "an", "2026-01-05", 600, apps={"mc": 600}, warnings=1, updated=1),
            _row(1, "An", "2026-01-05", 3_000, apps={"mc": 2_000, "rb": 1_000}, warnings=2,
                 updated=2)]
    day = child_day("AN", date(2026, 1, 5), rows, NAMES)
    assert day.child == "An"  # the latest upload's spelling
    assert day.total_seconds == 3_600
    assert day.apps == {"mc": 2_600, "rb": 1_000}
    assert day.categories == {"games": 3_600}
    assert day.counts.warnings == 3
    assert [(d.device_id, d.device_name) for d in day.devices] == [(1, "living room"),
                                                                   (2, "bedroom")]


def test_an_empty_day_is_zero_not_missing() -> None:
    day = child_day("Bình", date(2026, 1, 5), [], NAMES)
    assert (day.child, day.total_seconds, day.apps, day.devices) == ("Bình", 0, {}, [])


def test_week_keeps_seven_days_and_ignores_rows_outside() -> None:
    rows = [_row(1, "An", "2026-01-04", 999), _row(1, "An", "2026-01-05", 100),
            _row(2, "An", "2026-01-05", 50), _row(2, "An", "2026-01-11", 10),
            _row(1, "An", "2026-01-12", 999)]
    week = child_week("An", "2026-W02", rows, NAMES)
    assert [d.total_seconds for d in week.days] == [150, 0, 0, 0, 0, 0, 10]
    assert week.total_seconds == 160
    assert [(d.device_id, d.total_seconds) for d in week.devices] == [(1, 100), (2, 60)]


def test_family_report_groups_children_case_insensitively() -> None:
    rows = [_row(1, "An", "2026-01-05", 100), _row(2, "AN", "2026-01-06", 20, updated=5),
            _row(1, "bình", "2026-01-07", 7)]
    report = family_report("2026-W02", rows, NAMES)
    assert [(c.child, c.total_seconds) for c in report.children] == [("AN", 120), ("bình", 7)]
    assert report.total_seconds == 127
