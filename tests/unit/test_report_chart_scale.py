"""The report's day chart: scaled to data and limits, labels clear of the limit line (item 14)."""

from __future__ import annotations

import itertools
import re

from agent.reports.charts import LABEL_HEIGHT, Slice, compare_chart, day_chart

DAYS = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")


def limit_segments(path: str) -> list[tuple[float, float, float]]:
    """(x0, x1, y) of each horizontal piece of the limit line."""
    points = [(float(x), float(y)) for x, y in re.findall(r"[ML]([\d.]+),([\d.]+)", path)]
    return [(a[0], b[0], a[1]) for a, b in itertools.pairwise(points) if a[1] == b[1]]


def test_a_three_minute_limit_gets_a_minutes_axis_and_clear_labels() -> None:
    used = (180, 170, 0, 0, 0, 0, 0)  # seconds: about the limit, then nothing
    chart = day_chart([Slice("games", "Games", used)], list(used), [180] * 7, DAYS)
    axis = [t.text for t in chart.ticks]
    assert axis[-1] in ("0:03", "0:04", "0:05"), axis  # was 1:30 for a 3-minute limit
    assert "1:30" not in axis and "0:30" not in axis
    assert [lb.text for lb in chart.totals] == ["0:03", "0:02"]  # no "0:00" on empty days
    for label in chart.totals:
        for x0, x1, y in limit_segments(chart.limit_path):
            if x0 <= label.x <= x1:  # the line over this day
                text_top, text_bottom = label.y - LABEL_HEIGHT, label.y + 2
                assert not (text_top - 3 < y < text_bottom + 3), (label, y)


def test_long_days_keep_hour_steps() -> None:
    used = (5400, 7200, 3600, 0, 0, 10800, 9000)
    chart = day_chart([Slice("games", "Games", used)], list(used), [7200] * 7, DAYS)
    assert [t.text for t in chart.ticks][-1] == "4:00"


def test_compare_chart_scales_to_minutes_too() -> None:
    chart = compare_chart([("total", "Total", 180, 120)], "Last week", "This week")
    (row,) = chart.rows
    assert row.current.w > 300  # 3 minutes fill the bar, not 5 % of an hour
