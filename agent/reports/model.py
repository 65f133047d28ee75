"""The weekly report as values: usage per day, day summaries, events and the computer's gaps."""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Literal

from agent.ledger.store import EventKind
from agent.reports.iso_weeks import Week, format_week
from rules.model import LimitKind

__all__ = [
    "EVENT_KINDS",
    "OVER_TOLERANCE_SECONDS",
    "TOP_APPS",
    "Change",
    "ChildReport",
    "ClockJump",
    "Computer",
    "DayStatus",
    "DaySummary",
    "DayUsage",
    "Gap",
    "GapCause",
    "Happening",
    "Report",
    "TopApp",
    "UsageRow",
    "percent_change",
]

# A limit counts as exceeded only by a minute or more: closing takes a few seconds of grace.
OVER_TOLERANCE_SECONDS = 60
TOP_APPS = 5
# The events counted per child and day, in the order reports show them.
EVENT_KINDS = (
    EventKind.WARNING,
    EventKind.REMINDER,
    EventKind.CLOSE,
    EventKind.KILL,
    EventKind.SCREEN_LOCK,
    EventKind.SCREEN_LOGOUT,
    EventKind.GRANT,
    EventKind.PAUSE,
    EventKind.RESUME,
    EventKind.REQUEST,
    EventKind.REQUEST_ANSWERED,
)

DayStatus = Literal["within", "over", "paused", "no_limits", "ahead"]
GapCause = Literal["stopped", "unexpected", "asleep"]


def percent_change(seconds: int, previous: int) -> int | None:
    """The change in whole percent, or None when there was nothing before."""
    if previous <= 0:
        return None
    return round(100 * (seconds - previous) / previous)


@dataclass(frozen=True)
class DayUsage:
    """One usage key on one day: seconds used against that weekday's limit and the day's bonus."""

    day: dt.date
    used: int
    limit: int | None = None  # the weekday's budget in seconds; None: no limit
    bonus: int = 0  # bonus seconds granted that day for this limit (its own and "all")
    paused: bool = False

    @property
    def allowed(self) -> int | None:
        """Limit plus bonus, or None without a limit."""
        return None if self.limit is None else max(0, self.limit + self.bonus)

    @property
    def over(self) -> int:
        """Seconds used beyond what was allowed."""
        allowed = self.allowed
        return 0 if allowed is None else max(0, self.used - allowed)

    @property
    def is_over(self) -> bool:
        """Over by the tolerance or more, on a day whose limits were not paused."""
        return not self.paused and self.over >= OVER_TOLERANCE_SECONDS


@dataclass(frozen=True)
class UsageRow:
    """An app, a category or the total over the week, day by day, and last week's sum."""

    kind: LimitKind
    id: str
    title: str
    days: tuple[DayUsage, ...]
    previous: int = 0
    category: str | None = None  # apps: their category id

    @property
    def key(self) -> str:
        """ "kind:id", unique within a child."""
        return f"{self.kind}:{self.id}"

    @property
    def week(self) -> int:
        """Seconds over the whole week."""
        return sum(d.used for d in self.days)

    @property
    def change(self) -> int:
        """This week minus last week, in seconds."""
        return self.week - self.previous

    @property
    def limited(self) -> bool:
        """Some day of the week has a limit for this key."""
        return any(d.limit is not None for d in self.days)


@dataclass(frozen=True)
class Change:
    """This week against last week for one key."""

    kind: LimitKind
    id: str
    title: str
    seconds: int
    previous: int

    @property
    def change(self) -> int:
        """Seconds more (positive) or less (negative) than last week."""
        return self.seconds - self.previous

    @property
    def percent(self) -> int | None:
        """The change in whole percent of last week, or None when last week had none."""
        return percent_change(self.seconds, self.previous)

    @property
    def direction(self) -> Literal["more", "less", "same"]:
        """ "more", "less" or "same"."""
        return "more" if self.change > 0 else "less" if self.change < 0 else "same"


@dataclass(frozen=True)
class TopApp:
    """One of the most used apps of the week."""

    id: str
    title: str
    seconds: int
    share: int  # whole percent of the week's total


@dataclass(frozen=True)
class DaySummary:
    """One child's day: total used and allowed, limits exceeded, bonus, pause and event counts."""

    day: dt.date
    used: int
    allowed: int | None
    bonus: int
    paused: bool
    over: tuple[str, ...]  # keys ("kind:id") of the limits exceeded
    events: Mapping[str, int] = field(default_factory=dict)
    grants: tuple[tuple[str, int], ...] = ()  # (limit key or "*", seconds): each grant's limit
    ahead: bool = False  # a day of this week still to come (a report made mid-week)

    @property
    def status(self) -> DayStatus:
        """ "ahead", "paused", "over", "within" or "no_limits"."""
        if self.ahead:
            return "ahead"
        if self.paused:
            return "paused"
        if self.over:
            return "over"
        return "within" if self.allowed is not None else "no_limits"

    @property
    def left(self) -> int | None:
        """Total time that was left unused, or None without a total limit."""
        return None if self.allowed is None else max(0, self.allowed - self.used)


@dataclass(frozen=True)
class Happening:
    """A parent-relevant moment: a close, a grant, a pause or resume, a request or its answer."""

    ts: dt.datetime  # local, aware
    day: dt.date
    kind: str
    target: str | None = None
    actor: str = "agent"
    minutes: int | None = None
    message: str | None = None
    approved: bool | None = None
    reason: str | None = None


@dataclass(frozen=True)
class ChildReport:
    """Everything the report says about one child."""

    name: str
    rows: tuple[UsageRow, ...]
    days: tuple[DaySummary, ...]
    timeline: tuple[Happening, ...] = ()

    @property
    def total(self) -> UsageRow:
        """The "total" row."""
        return next(r for r in self.rows if r.kind == "total")

    @property
    def categories(self) -> tuple[UsageRow, ...]:
        """Category rows, most used first."""
        return tuple(r for r in self.rows if r.kind == "category")

    @property
    def apps(self) -> tuple[UsageRow, ...]:
        """App rows."""
        return tuple(r for r in self.rows if r.kind == "app")

    @property
    def top_apps(self) -> tuple[TopApp, ...]:
        """The most used apps of the week (used at all), with their share of the total."""
        total = self.total.week
        ranked = sorted((r for r in self.apps if r.week > 0), key=lambda r: (-r.week, r.id))
        return tuple(
            TopApp(r.id, r.title, r.week, round(100 * r.week / total) if total else 0)
            for r in ranked[:TOP_APPS]
        )

    @property
    def comparison(self) -> tuple[Change, ...]:
        """The total, then each category, against last week."""
        rows = (self.total, *self.categories)
        return tuple(Change(r.kind, r.id, r.title, r.week, r.previous) for r in rows)

    @property
    def days_over(self) -> int:
        """Days on which some limit was exceeded."""
        return sum(1 for d in self.days if d.status == "over")

    @property
    def days_so_far(self) -> int:
        """Days of the week that have begun (all seven once the week is over)."""
        return sum(1 for d in self.days if not d.ahead)

    @property
    def days_within(self) -> int:
        """Days with limits, all kept."""
        return sum(1 for d in self.days if d.status == "within")

    @property
    def bonus(self) -> int:
        """Bonus seconds granted over the week."""
        return sum(d.bonus for d in self.days)

    def event_count(self, kind: str) -> int:
        """How many events of a kind the week had."""
        return sum(d.events.get(kind, 0) for d in self.days)


@dataclass(frozen=True)
class Gap:
    """A time the agent was not counting: stopped, ended unexpectedly, or the computer slept."""

    start: dt.datetime  # local, aware
    end: dt.datetime
    cause: GapCause
    by_day: tuple[tuple[dt.date, int], ...] = ()  # seconds of it inside each day of the week

    @property
    def seconds(self) -> int:
        """The whole gap's length (in UTC: local wall times would be wrong across DST)."""
        return round((self.end.astimezone(dt.UTC) - self.start.astimezone(dt.UTC)).total_seconds())


@dataclass(frozen=True)
class ClockJump:
    """The system clock was moved against the agent's own (positive: forward)."""

    ts: dt.datetime
    day: dt.date
    seconds: int


@dataclass(frozen=True)
class Computer:
    """What the week says about this computer, for every child: gaps, clock jumps, starts."""

    gaps: tuple[Gap, ...] = ()
    clock_jumps: tuple[ClockJump, ...] = ()
    starts: int = 0
    stops: int = 0

    def offline(self, day: dt.date) -> int:
        """Seconds of the day during which the agent was not counting."""
        return sum(s for g in self.gaps for d, s in g.by_day if d == day)


@dataclass(frozen=True)
class Report:
    """A week's report for one child or every child."""

    week: Week
    days: tuple[dt.date, ...]
    day_seconds: tuple[int, ...]  # each budget day's length: 82800 or 90000 on DST changes
    timezone: str
    generated: dt.datetime
    previous_week: Week
    children: tuple[ChildReport, ...]
    computer: Computer = field(default_factory=Computer)
    through: dt.date | None = None  # the week is not over: its days up to this one so far

    @property
    def label(self) -> str:
        """ "2026-W43"."""
        return format_week(self.week)
