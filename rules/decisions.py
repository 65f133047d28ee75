"""Accounting and decisions: one tick in, usage, statuses, warnings and closes out."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import replace

from rules.accounting import account
from rules.effective import effective
from rules.limits import ALL, Limit, all_limits, blocked_until, covers, window_until
from rules.match import Running
from rules.model import (
    ChildStatus,
    Close,
    Config,
    DayState,
    LimitKind,
    LimitStatus,
    LimitWarning,
    Reminder,
    TickResult,
    UsageKey,
)
from rules.screen import SCREEN, ScreenSession, screen_in_use, screen_usage
from rules.timeutil import budget_minutes, day_of, day_segments, window_state

__all__ = ["ALL", "Limit", "account", "all_limits", "decide", "tick"]























def _active(limit: Limit, config: Config, apps: Iterable[str], screen_in_use: bool) -> bool:
    """Whether something the limit counts is in use now."""
    if limit.kind == "screen":
        return screen_in_use
    return any(covers(limit, config, a) for a in apps)


def decide(
    config: Config,
    state: DayState,
    running: Running,
    now: dt.datetime,
    limits: dict[str, list[Limit]] | None = None,
    screen: Mapping[str, bool] | None = None,
) -> tuple[ChildStatus, ...]:
    """Each child's limits: used, left, state, reason and until.

    `screen`: child -> one of their sessions is in use now (`screen_in_use`), for `screen`.
    """
    limits = all_limits(config) if limits is None else limits
    screen = screen or {}
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
            active = _active(limit, config, apps, screen.get(child.name, False))
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
                until = blocked_until(spec, now, state.day, day_starts)
            elif not inside:
                reason = "window"
                until = window_until(spec, change, day_starts)
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
        rows = effective(config, limits[child.name], rows)
        statuses.append(ChildStatus(child.name, tuple(sorted(apps)), tuple(rows), paused))
    return tuple(statuses)


def _warnings(
    config: Config, state: DayState, statuses: Iterable[ChildStatus]
) -> tuple[list[LimitWarning], set[tuple[str, str, int]]]:
    """Warnings due now: the smallest threshold newly crossed, once per limit per day, and
    once more after time was given back above a threshold (a grant, a longer limit)."""
    out: list[LimitWarning] = []
    warned = set(state.warned)
    thresholds = sorted(set(config.settings.warn_minutes))
    for status in statuses:
        for row in status.limits:
            if row.left_seconds is not None:
                left = row.left_seconds
                warned -= {(status.name, row.id, m) for m in thresholds if left > m * 60}
            if not row.active or row.state != "warning" or row.left_seconds is None:
                continue
            crossed = [m for m in thresholds if row.left_seconds <= m * 60]
            new = [m for m in crossed if (status.name, row.id, m) not in warned]
            if not new:
                continue
            out.append(LimitWarning(status.name, row.id, row.title, min(new), row.left_seconds))
            warned.update((status.name, row.id, m) for m in crossed)
    return out, warned


def _reminders(
    config: Config,
    before: DayState,
    after: DayState,
    running: Running,
    limits: dict[str, list[Limit]],
    screen: Mapping[str, bool],
) -> list[Reminder]:
    """Health reminders: each multiple of `reminder_minutes` of use crossed in this tick."""
    out: list[Reminder] = []
    for child in config.children:
        apps = running.get(child.name, {})
        for limit in limits[child.name]:
            every = limit.spec.reminder_minutes
            if not every or not _active(limit, config, apps, screen.get(child.name, False)):
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
                if limit is not None and covers(limit, config, app_id):
                    out.append(
                        Close(status.name, app_id, row.id, row.reason or "budget", pids, row.until)
                    )
                    break
    return out


def tick(
    config: Config,
    state: DayState,
    running: Running,
    now: dt.datetime,
    elapsed: float,
    sessions: Mapping[str, Sequence[ScreenSession]] | None = None,
) -> tuple[TickResult, DayState]:
    """Count `elapsed` seconds of `running` ending at `now`, then decide; returns the new state.

    `sessions`: each child's login sessions as seen now, for `screen` (None: not counted).
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
    sessions = sessions or {}
    for (seg_day, child_name), seconds in screen_usage(
        config, sessions, running, now, max(0.0, elapsed)
    ).items():
        usage[(seg_day, child_name, "screen", SCREEN)] = seconds
    new_usage = dict(state.usage)
    for (d, child, kind, ident), seconds in usage.items():
        if d == day:
            new_usage[(child, kind, ident)] = new_usage.get((child, kind, ident), 0.0) + seconds
    after = replace(state, usage=new_usage)
    limits = all_limits(config)
    screen = screen_in_use(config, sessions, running)
    statuses = decide(config, after, running, now, limits, screen)
    warnings, warned = _warnings(config, after, statuses)
    after = replace(after, warned=warned)
    result = TickResult(
        day=day,
        usage=usage,
        statuses=statuses,
        warnings=tuple(warnings),
        reminders=tuple(_reminders(config, state, after, running, limits, screen)),
        closes=tuple(_closes(config, statuses, running, limits)),
    )
    return result, after
