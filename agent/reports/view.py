"""The report in words and numbers for people: what the HTML and text renderings show."""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from agent.i18n import _, ngettext
from agent.i18n.formatting import date_short, duration, time_left, time_short, weekday
from agent.ledger.store import EventKind
from agent.reports import labels as lb
from agent.reports.charts import CompareChart, DayChart, Slice, compare_chart, day_chart
from agent.reports.model import (
    EVENT_KINDS,
    ChildReport,
    Happening,
    Report,
    UsageRow,
    percent_change,
)
from rules.limits import ALL

__all__ = ["Cell", "ChildView", "DayView", "ReportView", "RowView", "child_view", "report_view"]


@dataclass(frozen=True)
class Cell:
    """One day of one row: seconds used, against the allowed time."""

    day: str
    seconds: int
    text: str
    allowed: int | None
    allowed_text: str | None
    over: bool


@dataclass(frozen=True)
class RowView:
    """A row of the usage table."""

    key: str
    kind: str
    level: int  # 0 total, 1 category, 2 app
    title: str
    cells: tuple[Cell, ...]
    week: int
    week_text: str
    previous: int
    previous_text: str
    change_text: str


@dataclass(frozen=True)
class DayView:
    """A day of one child: status, used, allowed, left, bonus and the limits exceeded."""

    day: str
    abbr: str
    weekday: str
    date: str
    status: str
    status_text: str
    used: int
    used_text: str
    allowed_text: str
    left_text: str
    bonus_text: str
    over: tuple[str, ...]


@dataclass(frozen=True)
class ChildView:
    """One child's section."""

    name: str
    anchor: str
    cards: tuple[tuple[str, str, str], ...]  # (label, value, note)
    rows: tuple[RowView, ...]
    days: tuple[DayView, ...]
    chart: DayChart | None
    chart_desc: str
    compare: CompareChart | None
    compare_rows: tuple[tuple[str, str, str, str], ...]  # (title, this week, last week, change)
    top_apps: tuple[tuple[str, str, str], ...]  # (title, time, share)
    events: tuple[tuple[str, tuple[int, ...], int], ...]  # (label, per day, week)
    timeline: tuple[tuple[str, str], ...]  # (when, what)
    used_any: bool


@dataclass(frozen=True)
class ReportView:
    """The whole report, ready to lay out."""

    lang: str
    title: str
    subtitle: str
    generated: str
    headers: tuple[tuple[str, str, str], ...]  # (abbr, weekday, date) per day
    children: tuple[ChildView, ...]
    offline: tuple[tuple[str, str], ...]  # (day, time not counted)
    gaps: tuple[tuple[str, str, str, str], ...]  # (from, to, length, cause)
    jumps: tuple[tuple[str, str], ...]  # (when, what)
    agent_runs: str
    text: dict[str, str]


def _title(row: UsageRow) -> str:
    if row.kind == "total":
        return lb.total_title()
    if row.kind == "screen":
        return lb.screen_title()
    if row.kind == "category":
        return lb.category_title(row.id, row.title)
    return row.title


def _row(row: UsageRow) -> RowView:
    cells = tuple(
        Cell(
            d.day.isoformat(),
            d.used,
            duration(d.used),
            d.allowed,
            None if d.allowed is None else duration(d.allowed),
            d.is_over,
        )
        for d in row.days
    )
    level = {"screen": 0, "total": 0, "category": 1, "app": 2}[row.kind]
    return RowView(
        row.key,
        row.kind,
        level,
        _title(row),
        cells,
        row.week,
        duration(row.week),
        row.previous,
        duration(row.previous),
        lb.change_text(row.change, row.previous, percent_change(row.week, row.previous)),
    )


def _clock(moment: dt.datetime) -> str:
    """ "14:05", with the zone's abbreviation on a DST change day, when an hour comes twice."""
    tz, day = moment.tzinfo, moment.date()
    early = dt.datetime.combine(day, dt.time(0), tz).utcoffset()
    late = dt.datetime.combine(day, dt.time(23, 59), tz).utcoffset()
    return time_short(moment) + (f" {moment.tzname()}" if early != late else "")


def _when(h: Happening) -> str:
    return f"{weekday(h.day)} {_clock(h.ts)}"


def _target(target: str | None, titles: dict[str, str]) -> str:
    if target in (None, "*"):
        return _("every limit")
    return titles.get(target, target or "")


def _cards(child: ChildReport) -> tuple[tuple[str, str, str], ...]:
    total = child.total
    days = max(1, child.days_so_far)
    grants = child.event_count("grant")
    answers = [h for h in child.timeline if h.kind == EventKind.REQUEST_ANSWERED]
    approved = sum(1 for h in answers if h.approved)
    warnings = child.event_count("warning")
    return (
        (
            _("Screen time this week"),
            duration(total.week),
            lb.change_text(
                total.change, total.previous, percent_change(total.week, total.previous)
            ),
        ),
        (_("Daily average"), duration(round(total.week / days)), ""),
        (
            _("Days over a limit"),
            _("{n} of {days}").format(n=child.days_over, days=days),
            ngettext("{n} day within limits", "{n} days within limits", child.days_within).format(
                n=child.days_within
            ),
        ),
        (
            _("Bonus time"),
            duration(max(0, child.bonus)),
            ngettext("{n} grant", "{n} grants", grants).format(n=grants),
        ),
        (
            _("Requests for more time"),
            str(child.event_count("request")),
            _("{yes} approved, {no} declined").format(yes=approved, no=len(answers) - approved),
        ),
        (
            _("Apps closed"),
            str(child.event_count("close")),
            ngettext("{n} warning", "{n} warnings", warnings).format(n=warnings),
        ),
    )


def _charts(
    child: ChildReport, report: Report, titles: dict[str, str]
) -> tuple[DayChart, str, CompareChart]:
    total = child.total
    slices = [Slice(r.id, titles[r.key], [d.used for d in r.days]) for r in child.categories]
    rest = [
        max(0, total.days[i].used - sum(s.seconds[i] for s in slices))
        for i in range(len(report.days))
    ]
    if any(rest):
        slices.append(Slice("other", _("Apps without a category"), rest))
    names = [lb.weekday_abbr(d) for d in report.days]
    limits = [d.allowed for d in total.days]
    chart = day_chart(slices, [d.used for d in total.days], limits, names)
    parts = []
    for d, name in zip(total.days, report.days, strict=True):
        line = f"{weekday(name)}: {duration(d.used)}"
        if d.allowed is not None:
            line += " / " + duration(d.allowed)
        parts.append(line)
    desc = _("Stacked bars show each day's time by category; the dashed line is the total limit.")
    items = [
        (c.id if c.kind != "total" else "total", titles[f"{c.kind}:{c.id}"], c.seconds, c.previous)
        for c in child.comparison
    ]
    compare = compare_chart(items, _("Last week"), _("This week"))
    return chart, desc + " " + "; ".join(parts) + ".", compare


def _grants_text(grants: Sequence[tuple[str, int]], titles: Mapping[str, str]) -> str:
    """Each grant with the limit it was for: "5 min (Minetest), 15 min (every limit)"."""
    parts = []
    for target, seconds in grants:
        limit = _("every limit") if target == ALL else titles.get(target, target)
        parts.append(_("{time} ({limit})").format(time=duration(seconds), limit=limit))
    return ", ".join(parts)


def child_view(child: ChildReport, report: Report, index: int) -> ChildView:
    """One child's section in the current language."""
    titles = {r.key: _title(r) for r in child.rows}
    by_id = {r.id: titles[r.key] for r in child.rows}
    rows = tuple(_row(r) for r in child.rows)
    days = tuple(
        DayView(
            d.day.isoformat(),
            lb.weekday_abbr(d.day),
            weekday(d.day),
            date_short(d.day),
            d.status,
            lb.status_label(d.status),
            d.used,
            duration(d.used),
            duration(d.allowed),
            time_left(d.left),
            _grants_text(d.grants, by_id) if d.grants else "",
            tuple(titles.get(k, k) for k in d.over),
        )
        for d in child.days
    )
    used_any = child.total.week > 0 or child.total.previous > 0
    chart, desc, compare = _charts(child, report, titles) if used_any else (None, "", None)
    if child.total.week == 0:
        chart = None  # nothing to draw this week; last week still shows in the comparison
    compare_rows = tuple(
        (
            titles[f"{c.kind}:{c.id}"],
            duration(c.seconds),
            duration(c.previous),
            lb.change_text(c.change, c.previous, c.percent),
        )
        for c in child.comparison
    )
    events = tuple(
        (
            lb.event_kind_label(k),
            tuple(d.events.get(k, 0) for d in child.days),
            child.event_count(k),
        )
        for k in EVENT_KINDS
        if child.event_count(k)
    )
    timeline = tuple(
        (_when(h), lb.happening_text(h, _target(h.target, by_id))) for h in child.timeline
    )
    return ChildView(
        child.name,
        f"child-{index + 1}",
        _cards(child),
        rows,
        days,
        chart,
        desc,
        compare,
        compare_rows,
        tuple((a.title, duration(a.seconds), f"{a.share}%") for a in child.top_apps),
        events,
        timeline,
        used_any,
    )


def _moment(moment: dt.datetime) -> str:
    return f"{weekday(moment.date())} {date_short(moment.date())} {_clock(moment)}"


def report_view(report: Report, lang: str) -> ReportView:
    """The whole report in the current language (`lang` is the page's language tag)."""
    first, last = report.days[0], report.days[-1]
    comp = report.computer
    return ReportView(
        lang=lang,
        title=_("Weekly report"),
        subtitle=(
            _("Week {n} so far: {first} – {today} (the week ends on {last})").format(
                n=report.week[1],
                first=date_short(first),
                today=date_short(report.through),
                last=date_short(last),
            )
            if report.through is not None
            else _("Week {n}: {first} – {last}").format(
                n=report.week[1], first=date_short(first), last=date_short(last)
            )
        ),
        generated=_("Made on {date} at {time}, time zone {tz}.").format(
            date=date_short(report.generated.date()),
            time=time_short(report.generated),
            tz=report.timezone,
        ),
        headers=tuple((lb.weekday_abbr(d), weekday(d), date_short(d)) for d in report.days),
        children=tuple(child_view(c, report, i) for i, c in enumerate(report.children)),
        offline=tuple((weekday(d), duration(comp.offline(d))) for d in report.days),
        gaps=tuple(
            (_moment(g.start), _moment(g.end), duration(g.seconds), lb.gap_cause(g.cause))
            for g in comp.gaps
        ),
        jumps=tuple((_moment(j.ts), lb.jump_text(j)) for j in comp.clock_jumps),
        agent_runs=ngettext(
            "PlayClock started {n} time", "PlayClock started {n} times", comp.starts
        ).format(n=comp.starts)
        + " · "
        + ngettext("stopped {n} time", "stopped {n} times", comp.stops).format(n=comp.stops),
        text=lb.headings(),
    )
