"""A child's effective limits: what each covers, its budget on a day, when it opens again."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from rules.model import SCREEN, TOTAL, Child, Config, LimitKind, LimitSpec
from rules.timeutil import budget_minutes, day_of, day_start, window_state

__all__ = ["ALL", "Limit", "all_limits", "child_limits", "day_budgets", "limit_kind", "next_open"]


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
    if key == SCREEN:
        return "screen"
    return "app" if config.app(key) is not None else "category"


def child_limits(config: Config, child: Child) -> list[Limit]:
    """The child's effective limits, with one implicit app limit per app of an `each` category."""
    out: list[Limit] = []
    specs = child.effective_limits()
    for key, spec in specs.items():
        kind = limit_kind(config, key)
        if kind == "total":
            title = "Total"
        elif kind == "screen":
            title = "Computer time"
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


def covers(limit: Limit, config: Config, app_id: str) -> bool:
    """Whether the limit counts the app (its own, its category's or the total).

    `screen` counts the session, not apps: it is enforced by locking the session.
    """
    if limit.kind == "screen":
        return False
    if limit.kind == "total":
        return True
    if limit.kind == "app":
        return limit.usage_id == app_id
    app = config.app(app_id)
    return app is not None and app.category == limit.usage_id


def blocked_until(
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


def window_until(
    spec: LimitSpec, change: dt.datetime | None, day_starts: int
) -> dt.datetime | None:
    """When a window-blocked limit opens: the next window start on a day that has a budget."""
    if change is None:
        return None
    day = day_of(change, day_starts)
    if budget_minutes(spec, day) == 0:
        return blocked_until(spec, change, day, day_starts)
    return change


def next_open(spec: LimitSpec, now: dt.datetime, day_starts: int) -> dt.datetime | None:
    """When a limit blocked by budget opens again (used by reports and the tray)."""
    return blocked_until(spec, now, day_of(now, day_starts), day_starts)


def all_limits(config: Config) -> dict[str, list[Limit]]:
    """Every child's effective limits, by child name (computed once per tick)."""
    return {child.name: child_limits(config, child) for child in config.children}
