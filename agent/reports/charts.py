"""Chart geometry for inline SVG: stacked bars per day with the limit line; week against week."""

from __future__ import annotations

import hashlib
import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass

__all__ = [
    "Bar",
    "CompareChart",
    "CompareRow",
    "DayChart",
    "Label",
    "Slice",
    "color_for",
    "compact",
    "compare_chart",
    "day_chart",
]

# Okabe-Ito and Tol colours, darkened where needed to stand out against white.
COLORS = {
    "games": "#0072B2",
    "browsers": "#D55E00",
    "video": "#AA4499",
    "social": "#882255",
    "chat": "#117733",
    "creative": "#8C6D00",
    "education": "#00876A",
    "school": "#33817A",
    "other": "#6B6B6B",
    "total": "#1F3A5F",
}
SPARE = ("#332288", "#A3451C", "#5E4FA2", "#2D6A4F", "#7D3C98", "#9C6644")
PREVIOUS = "#8A8A8A"


def color_for(ident: str) -> str:
    """A stable colour for a category id."""
    if ident in COLORS:
        return COLORS[ident]
    return SPARE[int(hashlib.sha1(ident.encode()).hexdigest(), 16) % len(SPARE)]


def compact(seconds: int) -> str:
    """ "2:05" (hours:minutes), for narrow places."""
    minutes = max(0, seconds) // 60
    return f"{minutes // 60}:{minutes % 60:02d}"


@dataclass(frozen=True)
class Slice:
    """One series of the stacked bars: a category (or the rest), its seconds per day."""

    id: str
    title: str
    seconds: Sequence[int]


@dataclass(frozen=True)
class Bar:
    """A rectangle with its tooltip."""

    x: float
    y: float
    w: float
    h: float
    color: str
    tip: str


@dataclass(frozen=True)
class Label:
    """A piece of text at a point."""

    x: float
    y: float
    text: str
    anchor: str = "middle"


@dataclass(frozen=True)
class DayChart:
    """Stacked bars per day, the total limit as a stepped line, axes and legend."""

    width: int
    height: int
    bars: tuple[Bar, ...]
    limit_path: str
    ticks: tuple[Label, ...]
    grid: tuple[float, ...]
    days: tuple[Label, ...]
    totals: tuple[Label, ...]
    legend: tuple[tuple[str, str], ...]  # (colour, title)
    left: float
    right: float
    bottom: float


# Seconds between axis ticks, from 1 minute (a 3-minute limit) to 8 hours.
STEPS = (60, 120, 300, 600, 900, 1800, 3600, 7200, 14400, 28800)
LABEL_HEIGHT = 12.0  # a day's total above its bar: text of ~11 px above its baseline
MIN_PEAK = 60  # an empty week still gets an axis: one minute


def _step(top: float) -> int:
    """Seconds between axis ticks: the smallest step that needs at most 6 of them."""
    for step in STEPS:
        if top / step <= 6:
            return step
    return STEPS[-1] * math.ceil(top / (STEPS[-1] * 6))


def day_chart(
    slices: Sequence[Slice],
    totals: Sequence[int],
    limits: Sequence[int | None],
    day_names: Sequence[str],
) -> DayChart:
    """Geometry of the per-day chart: stacked slices, a label with each day's total, the limit."""
    width, height = 720, 300
    left, right, top, bottom = 48.0, 708.0, 18.0, 262.0
    n = len(day_names)
    stacks = [sum(s.seconds[i] for s in slices) for i in range(n)]
    # Scaled to the data and the limits (a 3-minute limit gets a minutes axis, not 1:30).
    peak = max([MIN_PEAK, *stacks, *totals, *(x for x in limits if x is not None)])
    step = _step(peak * 1.1)
    ymax = step * math.ceil(peak * 1.1 / step)

    def y(seconds: float) -> float:
        return round(bottom - (bottom - top) * seconds / ymax, 2)

    slot = (right - left) / n
    bar_w = round(slot * 0.58, 2)
    bars: list[Bar] = []
    labels: list[Label] = []
    for i in range(n):
        x = round(left + slot * i + (slot - bar_w) / 2, 2)
        base = 0
        for s in slices:
            value = s.seconds[i]
            if value <= 0:
                continue
            y0, y1 = y(base + value), y(base)
            tip = f"{day_names[i]} — {s.title}: {compact(value)}"
            bars.append(Bar(x, y0, bar_w, round(y1 - y0, 2), color_for(s.id), tip))
            base += value
        if totals[i] > 0:  # no "0:00" over an empty day
            labels.append(
                Label(
                    x + bar_w / 2,
                    _label_y(y(max(stacks[i], totals[i])), limits[i], y, top),
                    compact(totals[i]),
                )
            )
    path: list[str] = []
    for i, limit in enumerate(limits):
        if limit is None:
            continue
        x0, x1, ly = round(left + slot * i + 3, 2), round(left + slot * (i + 1) - 3, 2), y(limit)
        joined = i > 0 and limits[i - 1] is not None
        path.append(f"L{x0},{ly}" if joined else f"M{x0},{ly}")
        path.append(f"L{x1},{ly}")
    ticks = tuple(Label(left - 6, y(v) + 4, compact(v), "end") for v in range(0, ymax + 1, step))
    grid = tuple(y(v) for v in range(step, ymax + 1, step))
    days = tuple(Label(left + slot * (i + 0.5), bottom + 20, day_names[i]) for i in range(n))
    legend = tuple((color_for(s.id), s.title) for s in slices if any(s.seconds))
    return DayChart(
        width,
        height,
        tuple(bars),
        " ".join(path),
        ticks,
        grid,
        days,
        tuple(labels),
        legend,
        left,
        right,
        bottom,
    )


def _label_y(bar_top: float, limit: int | None, y: Callable[[float], float], top: float) -> float:
    """The baseline of a day's total: above its bar, and clear of the dashed limit line."""
    base = bar_top - 5
    if limit is not None:
        line = y(limit)
        # The text spans [base - LABEL_HEIGHT, base + 2]: keep 3 px away from the line.
        if base - LABEL_HEIGHT - 3 < line < base + 5:
            base = min(base, line - 5)
    return round(max(base, top + LABEL_HEIGHT - 4), 2)


@dataclass(frozen=True)
class CompareRow:
    """One key: last week's bar above this week's, with their values."""

    title: str
    y: float
    previous: Bar
    current: Bar
    previous_label: Label
    current_label: Label


@dataclass(frozen=True)
class CompareChart:
    """Horizontal bars, last week against this week, for the total and each category."""

    width: int
    height: int
    label_x: float
    rows: tuple[CompareRow, ...]


def compare_chart(
    items: Sequence[tuple[str, str, int, int]], previous_name: str, current_name: str
) -> CompareChart:
    """Geometry of the comparison chart from (id, title, this week, last week) items."""
    width, label_w, row_h = 720, 170.0, 46.0
    x0, x1 = label_w + 8, width - 70.0
    peak = max([MIN_PEAK, *(max(c, p) for _i, _t, c, p in items)])
    rows: list[CompareRow] = []
    for n, (ident, title, current, previous) in enumerate(items):
        top = 8 + n * row_h
        wp = round((x1 - x0) * previous / peak, 2)
        wc = round((x1 - x0) * current / peak, 2)
        prev_tip = f"{title} — {previous_name}: {compact(previous)}"
        cur_tip = f"{title} — {current_name}: {compact(current)}"
        rows.append(
            CompareRow(
                title,
                top + 22,
                Bar(x0, top + 4, max(wp, 1.0), 15, PREVIOUS, prev_tip),
                Bar(x0, top + 21, max(wc, 1.0), 15, color_for(ident), cur_tip),
                Label(x0 + max(wp, 1.0) + 5, top + 16, compact(previous), "start"),
                Label(x0 + max(wc, 1.0) + 5, top + 33, compact(current), "start"),
            )
        )
    height = int(16 + row_h * len(items))
    return CompareChart(width, height, label_w, tuple(rows))
