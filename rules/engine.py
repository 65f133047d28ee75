"""Accounting and decisions: one tick in, usage, statuses, warnings and closes out."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass, replace

from rules.match import Running
from rules.model import (
    TOTAL,
    Child,
    ChildStatus,
    Close,
    Config,
    DayState,
    LimitKind,
    LimitSpec,
    LimitStatus,
    Reminder,
    TickResult,
    UsageKey,
    Warning,
)
from rules.timeutil import budget_minutes, day_of, day_segments, day_start, window_state

__all__ = [
    "ALL",
    "Limit",
    "account",
    "all_limits",
    "child_limits",
    "day_budgets",
    "decide",
    "limit_kind",
    "next_open",
    "tick",
]

ALL = "*"  # a bonus target that adds to every limit of a child


@dataclass(frozen=True)
class Limit:
    """An effective limit of a child: its spec, what it covers and how it counts."""

    spec: LimitSpec
    kind: LimitKind
    title: str
    usage_id: str  # the id its time is counted under (app, category or "total")
    implicit: bool = False  # made from a category's `each`

    @property
    def key(self) -> str:
        """The limit's key in `[child.limits]`."""
        return self.spec.key


def limit_kind(config: Config, key: str) -> LimitKind:
    """What a limit key names."""
    if key == TOTAL:
        return "total"
    return "app" if config.app(key) is not None else "category"


def child_limits(config: Config, child: Child) -> list[Limit]:
    """The child's effective limits, with one implicit app limit per app of an `each` category."""
    out: list[Limit] = []
    specs = child.effective_limits()
    for key, spec in specs.items():
        kind = limit_kind(config, key)
        if kind == "total":
            title = "Total"
        elif kind == "app":
            app = config.app(key)
            title = app.title if app else key
        else:
            cat = config.category(key)
            title = cat.title if cat else key
        out.append(Limit(spec, kind, title, key))
    for spec in list(specs.values()):
        if spec.each is None or limit_kind(config, spec.key) != "category":
            continue
        for app in config.apps:
            if app.category == spec.key and app.id not in specs:
                each = LimitSpec(key=app.id, daily=spec.each)
                out.append(Limit(each, "app", app.title, app.id, implicit=True))
    return out


def day_budgets(
    config: Config, day: dt.date
) -> dict[tuple[str, str], tuple[LimitKind, int | None]]:
    """Every child's budget per limit on a day: (child, key) -> (kind, seconds or None)."""
    out: dict[tuple[str, str], tuple[LimitKind, int | None]] = {}
    for child in config.children:
        for limit in child_limits(config, child):
            minutes = budget_minutes(limit.spec, day)
            out[(child.name, limit.key)] = (limit.kind, None if minutes is None else minutes * 60)
    return out


def _covers(limit: Limit, config: Config, app_id: str) -> bool:
    if limit.kind == "total":
        return True
    if limit.kind == "app":
        return limit.usage_id == app_id
    app = config.app(app_id)
    return app is not None and app.category == limit.usage_id


def account(
    config: Config, running: Running, day: dt.date, seconds: float
) -> dict[tuple[dt.date, str, LimitKind, str], float]:
    """Time to add for `seconds` of these apps running, counted as a union per key."""
    out: dict[tuple[dt.date, str, LimitKind, str], float] = {}
    if seconds <= 0:
        return out
    for child, apps in running.items():
        if not apps:
            continue
        keys: set[tuple[LimitKind, str]] = {("total", TOTAL)}
        for app_id in apps:
            keys.add(("app", app_id))
            app = config.app(app_id)
            if app is not None and app.category:
                keys.add(("category", app.category))
        for kind, ident in keys:
            out[(day, child, kind, ident)] = seconds
    return out


def _blocked_until(
    spec: LimitSpec, now: dt.datetime, day: dt.date, day_starts: int
) -> dt.datetime | None:
    """When a budget-blocked limit opens again: the next day with a budget, inside a window."""
    tz = now.tzinfo
    assert tz is not None
    for i in range(1, 9):
        d = day + dt.timedelta(days=i)
        budget = budget_minutes(spec, d)
        if budget == 0:
            continue
        start = day_start(d, day_starts, tz)
        inside, change = window_state(spec, start)
        if inside:
            return start
        if change is not None and day_of(change, day_starts) == d:
            return change
    return None


def _window_until(
    spec: LimitSpec, change: dt.datetime | None, day_starts: int
) -> dt.datetime | None:
    """When a window-blocked limit opens: the next window start on a day that has a budget."""
    if change is None:
        return None
    day = day_of(change, day_starts)
    if budget_minutes(spec, day) == 0:
        return _blocked_until(spec, change, day, day_starts)
    return change


def next_open(spec: LimitSpec, now: dt.datetime, day_starts: int) -> dt.datetime | None:
    """When a limit blocked by budget opens again (used by reports and the tray)."""
    return _blocked_until(spec, now, day_of(now, day_starts), day_starts)


def all_limits(config: Config) -> dict[str, list[Limit]]:
    """Every child's effective limits, by child name (computed once per tick)."""
    return {child.name: child_limits(config, child) for child in config.children}


def decide(
    config: Config,
    state: DayState,
    running: Running,
    now: dt.datetime,
    limits: dict[str, list[Limit]] | None = None,
) -> tuple[ChildStatus, ...]:
    """Each child's limits: used, left, state, reason and until."""
    limits = all_limits(config) if limits is None else limits
    statuses: list[ChildStatus] = []
    day_starts = config.settings.day_starts
    warn_window = max(config.settings.warn_minutes, default=0) * 60
    for child in config.children:
        apps = running.get(child.name, {})
        paused = child.name in state.paused
        rows: list[LimitStatus] = []
        for limit in limits[child.name]:
            spec = limit.spec
            used = state.used(child.name, limit.kind, limit.usage_id)
            active = any(_covers(limit, config, a) for a in apps)
            if limit.implicit and not active and used <= 0:
                continue
            budget = budget_minutes(spec, state.day)
            bonus = state.bonus.get((child.name, limit.key), 0.0) + state.bonus.get(
                (child.name, ALL), 0.0
            )
            limit_s = None if budget is None else budget * 60
            budget_left = None if limit_s is None else limit_s + bonus - used
            inside, change = window_state(spec, now)
            lefts: list[float] = []
            if budget_left is not None:
                lefts.append(max(0.0, budget_left))
            if inside and change is not None:
                # One zone's aware datetimes subtract as wall times: go through UTC (DST).
                to_end = (change.astimezone(dt.UTC) - now.astimezone(dt.UTC)).total_seconds()
                if to_end < 86400:  # windows open around the clock do not limit "time left"
                    lefts.append(max(0.0, to_end))
            left = min(lefts) if lefts else None
            reason: str | None = None
            until: dt.datetime | None = None
            spent = budget_left is not None and budget_left <= 0
            if spent:
                # Out of budget: nothing opens before a later day, whatever the windows say.
                reason = "budget"
                until = _blocked_until(spec, now, state.day, day_starts)
            elif not inside:
                reason = "window"
                until = _window_until(spec, change, day_starts)
            if reason is not None and not paused:
                st = "blocked"
            elif left is not None and left <= warn_window and not paused:
                st = "warning"
            else:
                st = "ok"
            rows.append(
                LimitStatus(
                    id=limit.key,
                    kind=limit.kind,
                    title=limit.title,
                    used_seconds=used,
                    limit_seconds=limit_s,
                    bonus_seconds=int(bonus),
                    left_seconds=None if left is None else int(left),
                    state=st,  # type: ignore[arg-type]
                    reason=reason if st == "blocked" else None,  # type: ignore[arg-type]
                    until=until if st == "blocked" else None,
                    active=active,
                )
            )
        statuses.append(ChildStatus(child.name, tuple(sorted(apps)), tuple(rows), paused))
    return tuple(statuses)


def _warnings(
    config: Config, state: DayState, statuses: Iterable[ChildStatus]
) -> tuple[list[Warning], set[tuple[str, str, int]]]:
    """Warnings due now: the smallest threshold newly crossed, once per limit per day."""
    out: list[Warning] = []
    warned = set(state.warned)
    thresholds = sorted(set(config.settings.warn_minutes))
    for status in statuses:
        for row in status.limits:
            if not row.active or row.state != "warning" or row.left_seconds is None:
                continue
            crossed = [m for m in thresholds if row.left_seconds <= m * 60]
            new = [m for m in crossed if (status.name, row.id, m) not in warned]
            if not new:
                continue
            out.append(Warning(status.name, row.id, row.title, min(new), row.left_seconds))
            warned.update((status.name, row.id, m) for m in crossed)
    return out, warned


def _reminders(
    config: Config,
    before: DayState,
    after: DayState,
    running: Running,
    limits: dict[str, list[Limit]],
) -> list[Reminder]:
    """Health reminders: each multiple of `reminder_minutes` of use crossed in this tick."""
    out: list[Reminder] = []
    for child in config.children:
        apps = running.get(child.name, {})
        for limit in limits[child.name]:
            every = limit.spec.reminder_minutes
            if not every or not any(_covers(limit, config, a) for a in apps):
                continue
            key: UsageKey = (child.name, limit.kind, limit.usage_id)
            was = before.usage.get(key, 0.0) // (every * 60)
            now = after.usage.get(key, 0.0) // (every * 60)
            if now > was:
                out.append(Reminder(child.name, limit.key, int(now) * every))
    return out


def _closes(
    config: Config,
    statuses: Iterable[ChildStatus],
    running: Running,
    limits: dict[str, list[Limit]],
) -> list[Close]:
    """Every running app covered by a blocked limit, with the first such limit."""
    out: list[Close] = []
    for status in statuses:
        if status.paused:
            continue
        blocked = [r for r in status.limits if r.state == "blocked"]
        if not blocked:
            continue
        by_key = {lim.key: lim for lim in limits.get(status.name, [])}
        for app_id, pids in sorted(running.get(status.name, {}).items()):
            for row in blocked:
                limit = by_key.get(row.id)
                if limit is not None and _covers(limit, config, app_id):
                    out.append(
                        Close(status.name, app_id, row.id, row.reason or "budget", pids, row.until)
                    )
                    break
    return out


def tick(
    config: Config, state: DayState, running: Running, now: dt.datetime, elapsed: float
) -> tuple[TickResult, DayState]:
    """Count `elapsed` seconds of `running` ending at `now`, then decide; returns the new state.

    `state` must be the day `now` belongs to; time before that day's start is
    returned as usage for the earlier day but not applied to `state`.
    """
    day = day_of(now, config.settings.day_starts)
    if state.day != day:
        raise ValueError(f"state is for {state.day}, but now is in {day}")
    usage: dict[tuple[dt.date, str, LimitKind, str], float] = {}
    for seg_day, seconds in day_segments(now, max(0.0, elapsed), config.settings.day_starts):
        for key, value in account(config, running, seg_day, seconds).items():
            usage[key] = usage.get(key, 0.0) + value
    new_usage = dict(state.usage)
    for (d, child, kind, ident), seconds in usage.items():
        if d == day:
            new_usage[(child, kind, ident)] = new_usage.get((child, kind, ident), 0.0) + seconds
    after = replace(state, usage=new_usage)
    limits = all_limits(config)
    statuses = decide(config, after, running, now, limits)
    warnings, warned = _warnings(config, after, statuses)
    after = replace(after, warned=warned)
    result = TickResult(
        day=day,
        usage=usage,
        statuses=statuses,
        warnings=tuple(warnings),
        reminders=tuple(_reminders(config, state, after, running, limits)),
        closes=tuple(_closes(config, statuses, running, limits)),
    )
    return result, after
