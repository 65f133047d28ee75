"""Building a week's report from the ledger and the rules."""

from __future__ import annotations

import datetime as dt
from collections import Counter
from collections.abc import Mapping, Sequence
from typing import cast

from agent.ledger.limits import DayLimits
from agent.ledger.store import Ledger, UsageRecord
from agent.platform.timezone import resolve_timezone
from agent.reports.events import computer_summary, events_by_child, fetch_events
from agent.reports.iso_weeks import Week, day_bounds, previous_week, week_days
from agent.reports.model import ChildReport, DaySummary, DayUsage, Happening, Report, UsageRow
from rules.catalog import BUILTIN_CATEGORIES
from rules.limits import ALL, Limit, child_limits
from rules.model import TOTAL, Child, Config, DayState, LimitKind
from rules.timeutil import budget_minutes, day_of

__all__ = ["UnknownChild", "build_report", "select_children", "timezone_name", "title_of"]

Key = tuple[LimitKind, str]
# One child's recorded budgets: day -> (kind, id) -> seconds (None: windows only).
Recorded = Mapping[dt.date, Mapping[Key, int | None]]
# Gaps are recorded when the agent comes back: look this far past the week for those that end later.
GAP_LOOKAHEAD = dt.timedelta(days=7)


class UnknownChild(LookupError):
    """The rules have no child of that name."""


def select_children(config: Config, name: str | None) -> tuple[Child, ...]:
    """Every child, or the one named (case-insensitive); UnknownChild when there is none."""
    if name is None:
        return config.children
    child = config.child(name)
    if child is None:
        raise UnknownChild(name)
    return (child,)


def timezone_name(tz: dt.tzinfo) -> str:
    """An IANA name when the zone has one, else its abbreviation."""
    return str(getattr(tz, "key", None) or tz.tzname(None) or tz)


def title_of(config: Config, kind: LimitKind, ident: str) -> str:
    """The title the rules give an app or category ("Total" for the total)."""
    if kind == "total":
        return "Total"
    if kind == "screen":
        return "Computer time"
    if kind == "app":
        app = config.app(ident)
        return app.title if app else ident
    cat = config.category(ident)
    return cat.title if cat else BUILTIN_CATEGORIES.get(ident, ident)


def _split_usage(
    usage: Mapping[UsageRecord, float], name: str, days: Sequence[dt.date]
) -> tuple[dict[Key, list[float]], dict[Key, float]]:
    """This week's seconds per key and day, and last week's sum per key."""
    index = {d: i for i, d in enumerate(days)}
    this: dict[Key, list[float]] = {}
    before: dict[Key, float] = {}
    for (day, child, kind, ident), seconds in usage.items():
        if child != name:
            continue
        i = index.get(day)
        if i is None:
            before[(kind, ident)] = before.get((kind, ident), 0.0) + seconds
        else:
            this.setdefault((kind, ident), [0.0] * len(days))[i] += seconds
    return this, before


def _recorded(limits: DayLimits, name: str) -> dict[dt.date, dict[Key, int | None]]:
    """The child's budgets the agent recorded, by day; a day without rows is not in it."""
    out: dict[dt.date, dict[Key, int | None]] = {}
    for (day, child, key), (kind, seconds) in limits.items():
        if child == name:
            out.setdefault(day, {})[(cast(LimitKind, kind), key)] = seconds
    return out


def _budget(
    limit: Limit | None, key: Key, day: dt.date, recorded: Recorded
) -> tuple[bool, int | None]:
    """Whether a limit applied to the key that day, and its budget in seconds (None: none)."""
    # A day with recorded limits is judged by them alone: a key not among them had no limit.
    # Days from before the ledger recorded limits are judged by today's rules.
    budgets = recorded.get(day)
    if budgets is not None:
        return key in budgets, budgets.get(key)
    minutes = budget_minutes(limit.spec, day) if limit else None
    return limit is not None, None if minutes is None else minutes * 60


def _row(
    config: Config,
    name: str,
    key: Key,
    limit: Limit | None,
    seconds: Sequence[float],
    previous: float,
    days: Sequence[dt.date],
    states: Mapping[dt.date, DayState],
    recorded: Recorded,
) -> UsageRow:
    kind, ident = key
    cells = []
    for day, used in zip(days, seconds, strict=True):
        state = states[day]
        limited, budget = _budget(limit, key, day, recorded)
        bonus = 0.0
        if limited:  # the limit's key is its usage id
            bonus = state.bonus.get((name, ident), 0.0) + state.bonus.get((name, ALL), 0.0)
        cells.append(DayUsage(day, round(used), budget, round(bonus), name in state.paused))
    app = config.app(ident) if kind == "app" else None
    return UsageRow(
        kind,
        ident,
        title_of(config, kind, ident),
        tuple(cells),
        round(previous),
        app.category if app else None,
    )


def _order(rows: Sequence[UsageRow]) -> tuple[UsageRow, ...]:
    """Computer time (`screen`, when counted); total; each category, most used first, with
    its apps; then apps of no listed category."""

    def rank(r: UsageRow) -> tuple[int, int, str]:
        return (-r.week, -r.previous, r.id)

    cats = sorted((r for r in rows if r.kind == "category"), key=rank)
    apps = sorted((r for r in rows if r.kind == "app"), key=rank)
    out = [r for r in rows if r.kind == "screen"] + [r for r in rows if r.kind == "total"]
    for cat in cats:
        out.append(cat)
        out.extend(a for a in apps if a.category == cat.id)
    listed = {c.id for c in cats}
    out.extend(a for a in apps if a.category not in listed)
    return tuple(out)


def _child(
    config: Config,
    child: Child,
    days: Sequence[dt.date],
    usage: Mapping[UsageRecord, float],
    states: Mapping[dt.date, DayState],
    recorded: DayLimits,
    counts: Mapping[dt.date, Counter[str]],
    moments: Sequence[Happening],
    through: dt.date | None = None,
) -> ChildReport:
    name = child.name
    limits: dict[Key, Limit] = {(m.kind, m.usage_id): m for m in child_limits(config, child)}
    this, before = _split_usage(usage, name, days)
    budgets = _recorded(recorded, name)
    total_key: Key = ("total", TOTAL)
    keys = set(this) | set(before) | {total_key}
    zero = [0.0] * len(days)
    rows = _order(
        [
            _row(
                config,
                name,
                k,
                limits.get(k),
                this.get(k, zero),
                before.get(k, 0),
                days,
                states,
                budgets,
            )
            for k in keys
        ]
    )
    total = next(r for r in rows if r.kind == "total")
    summaries = []
    for i, day in enumerate(days):
        state = states[day]
        granted = sorted((t, s) for (c, t), s in state.bonus.items() if c == name and s)
        bonus = sum(s for _t, s in granted)
        summaries.append(
            DaySummary(
                day,
                total.days[i].used,
                total.days[i].allowed,
                round(bonus),
                name in state.paused,
                tuple(r.key for r in rows if r.days[i].is_over),
                dict(counts.get(day, {})),
                tuple((t, round(s)) for t, s in granted),
                ahead=through is not None and day > through,
            )
        )
    timeline = tuple(sorted(moments, key=lambda m: m.ts.astimezone(dt.UTC)))
    return ChildReport(name, rows, tuple(summaries), timeline)


def build_report(
    ledger: Ledger,
    config: Config,
    week: Week,
    child: str | None = None,
    tz: dt.tzinfo | None = None,
    *,
    now: dt.datetime | None = None,
) -> Report:
    """The report of an ISO week (year, week) for one child or all; UnknownChild if none such."""
    tz = tz if tz is not None else resolve_timezone(config.settings.timezone)
    kids = select_children(config, child)
    days = tuple(week_days(week))
    earlier = previous_week(week)
    starts = config.settings.day_starts
    usage = ledger.usage(week_days(earlier)[0], days[-1])
    states = {d: ledger.load_day(d) for d in days}
    recorded = ledger.day_limits(days[0], days[-1])
    bounds = [day_bounds(d, starts, tz) for d in days]
    since, until = bounds[0][0], bounds[-1][1]
    events = fetch_events(ledger, since, until + GAP_LOOKAHEAD)
    per_child = events_by_child((e for e in events if e.ts < until), days, starts, tz)
    generated = (now or dt.datetime.now(tz)).astimezone(tz)
    today = day_of(generated, starts)
    through = today if days[0] <= today <= days[-1] else None
    children = tuple(
        _child(
            config, kid, days, usage, states, recorded, *per_child.get(kid.name, ({}, [])),
            through=through,
        )
        for kid in kids
    )
    return Report(
        week=week,
        days=days,
        day_seconds=tuple(round((b - a).total_seconds()) for a, b in bounds),
        timezone=timezone_name(tz),
        generated=generated,
        through=through,
        previous_week=earlier,
        children=children,
        computer=computer_summary(ledger, events, days, starts, tz),
    )
