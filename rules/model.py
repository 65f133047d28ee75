"""Value types of the pure core: config, processes, usage and decisions."""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass, field
from functools import cached_property
from typing import Literal

from rules.keys import SCREEN, TOTAL

__all__ = [
    "SCREEN",
    "TOTAL",
    "WEEKDAYS",
    "App",
    "Category",
    "Child",
    "ChildStatus",
    "Close",
    "Config",
    "DayState",
    "LimitKind",
    "LimitSpec",
    "LimitStatus",
    "LimitWarning",
    "ProcessInfo",
    "Reminder",
    "ScreenAction",
    "Settings",
    "State",
    "TickResult",
    "UsageKey",
    "Window",
    "format_hhmm",
]

WEEKDAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")

LimitKind = Literal["app", "category", "total", "screen"]
State = Literal["ok", "warning", "blocked"]
ScreenAction = Literal["lock", "logout", "notify"]


@dataclass(frozen=True)
class ProcessInfo:
    """One running process as the probe saw it."""

    pid: int
    name: str
    exe: str = ""
    cmdline: tuple[str, ...] = ()
    user: str = ""
    create_time: float = 0.0
    files: tuple[str, ...] = ()  # what a loader or interpreter runs, jars it holds (absolute)
    exe_digest: str = ""  # SHA-256 of the executable, when its size is a known app's


def format_hhmm(minutes: int) -> str:
    """"HH:MM" for minutes after midnight (1440 gives "24:00")."""
    return f"{minutes // 60:02d}:{minutes % 60:02d}"


@dataclass(frozen=True)
class Window:
    """Allowed local wall time in minutes after midnight; end <= start crosses midnight."""

    start: int
    end: int

    def __str__(self) -> str:
        end = 24 * 60 if self.end == self.start == 0 else self.end  # the whole day
        return f"{format_hhmm(self.start)}-{format_hhmm(end)}"


@dataclass(frozen=True)
class Settings:
    """The `[settings]` table."""

    poll_seconds: float = 1.0
    day_starts: int = 0  # minutes after local midnight
    warn_minutes: tuple[int, ...] = (10, 5, 1)
    grace_seconds: float = 10.0
    locale: str = "auto"
    listen: str = "127.0.0.1:7377"
    timezone: str = "auto"
    idle_minutes: float = 3.0  # no input for this long: the session stops counting for `screen`


@dataclass(frozen=True)
class App:
    """A tracked app and the patterns that recognise its processes."""

    id: str
    title: str
    category: str | None = None
    names: tuple[str, ...] = ()
    paths: tuple[str, ...] = ()
    cmdline: tuple[re.Pattern[str], ...] = ()
    from_catalog: bool = False


@dataclass(frozen=True)
class Category:
    """A group of apps that can share one limit."""

    id: str
    title: str


@dataclass(frozen=True)
class LimitSpec:
    """One `[child.limits.KEY]` table: budgets in minutes and allowed windows."""

    key: str
    daily: int | None = None
    weekend: int | None = None
    days: tuple[tuple[str, int], ...] = ()
    allowed: tuple[Window, ...] = ()
    allowed_weekend: tuple[Window, ...] | None = None
    allowed_days: tuple[tuple[str, tuple[Window, ...]], ...] = ()
    each: int | None = None  # category limits only: minutes for each app of the category
    reminder_minutes: int | None = None  # a health reminder after every N minutes of use


@dataclass(frozen=True)
class Child:
    """A child: OS accounts, always-allowed apps and limits."""

    name: str
    accounts: tuple[str, ...]
    birth_year: int | None = None
    preset: str | None = None
    always_allowed: frozenset[str] = frozenset()
    limits: tuple[LimitSpec, ...] = ()  # the child's own, as written
    preset_limits: tuple[LimitSpec, ...] = ()  # from the preset, overridden key by key
    idle_minutes: float | None = None  # overrides `[settings] idle_minutes`
    screen_action: ScreenAction = "lock"  # what a blocked `screen` limit does to the session

    def effective_limits(self) -> dict[str, LimitSpec]:
        """The preset's limits with the child's own on top, by key."""
        merged = {spec.key: spec for spec in self.preset_limits}
        merged.update({spec.key: spec for spec in self.limits})
        return merged


@dataclass(frozen=True)
class Config:
    """A whole, validated `rules.toml`."""

    settings: Settings = field(default_factory=Settings)
    apps: tuple[App, ...] = ()
    categories: tuple[Category, ...] = ()
    children: tuple[Child, ...] = ()
    catalog: tuple[str, ...] = ()  # catalogue ids named by `catalog = [...]`
    version: int = 1

    @cached_property
    def _index(self) -> tuple[dict[str, App], dict[str, Category], dict[str, Child]]:
        # Built once per (immutable) config: the tick looks apps up inside nested loops.
        return (
            {a.id: a for a in self.apps},
            {c.id: c for c in self.categories},
            {c.name.casefold(): c for c in self.children},
        )

    def app(self, app_id: str) -> App | None:
        """The app with this id, or None."""
        return self._index[0].get(app_id)

    def category(self, cat_id: str) -> Category | None:
        """The category with this id, or None."""
        return self._index[1].get(cat_id)

    def child(self, name: str) -> Child | None:
        """The child with this name (case-insensitive), or None."""
        return self._index[2].get(name.casefold())


UsageKey = tuple[str, LimitKind, str]  # (child, kind, id)


@dataclass
class DayState:
    """What the core needs to know about one day so far; the ledger keeps it."""

    day: dt.date
    usage: dict[UsageKey, float] = field(default_factory=dict)
    bonus: dict[tuple[str, str], float] = field(default_factory=dict)  # (child, key or "*") -> s
    paused: set[str] = field(default_factory=set)  # children whose limits are paused today
    warned: set[tuple[str, str, int]] = field(default_factory=set)  # (child, key, minutes)

    def used(self, child: str, kind: LimitKind, ident: str) -> float:
        """Seconds counted today for this child and usage key."""
        return self.usage.get((child, kind, ident), 0.0)


@dataclass(frozen=True)
class LimitStatus:
    """One row of `limits` in the status document."""

    id: str
    kind: LimitKind
    title: str
    used_seconds: float
    limit_seconds: int | None
    bonus_seconds: int
    left_seconds: int | None
    state: State
    reason: Literal["budget", "window"] | None
    until: dt.datetime | None
    active: bool = False  # something it covers runs now
    # The tightest of every limit that covers this one (itself included): what is really left.
    effective_left_seconds: int | None = None
    effective_state: State = "ok"
    effective_until: dt.datetime | None = None
    limited_by: str | None = None  # the covering limit that decides, when it is not this one

    def as_json(self) -> dict[str, object]:
        """The status document's shape."""
        return {
            "id": self.id,
            "kind": self.kind,
            "title": self.title,
            "used_seconds": int(self.used_seconds),
            "limit_seconds": self.limit_seconds,
            "bonus_seconds": self.bonus_seconds,
            "left_seconds": self.left_seconds,
            "state": self.state,
            "reason": self.reason,
            "until": self.until.isoformat(timespec="minutes") if self.until else None,
            "active": self.active,
            "effective_left_seconds": self.effective_left_seconds,
            "effective_state": self.effective_state,
            "effective_until": (
                self.effective_until.isoformat(timespec="minutes") if self.effective_until else None
            ),
            "limited_by": self.limited_by,
        }


@dataclass(frozen=True)
class ChildStatus:
    """One child's entry in the status document."""

    name: str
    running: tuple[str, ...]
    limits: tuple[LimitStatus, ...]
    paused: bool = False

    def as_json(self) -> dict[str, object]:
        """The status document's shape."""
        return {
            "name": self.name,
            "running": list(self.running),
            "paused": self.paused,
            "limits": [lim.as_json() for lim in self.limits],
        }


@dataclass(frozen=True)
class LimitWarning:
    """A limit is about to run out: `minutes` is the threshold crossed."""

    child: str
    limit: str
    title: str
    minutes: int
    left_seconds: int


@dataclass(frozen=True)
class Reminder:
    """A health reminder: `minutes` of use have been reached on this limit."""

    child: str
    limit: str
    minutes: int


@dataclass(frozen=True)
class Close:
    """An app to close, with why and until when."""

    child: str
    app: str
    limit: str
    reason: Literal["budget", "window"]
    pids: tuple[int, ...]
    until: dt.datetime | None


@dataclass(frozen=True)
class TickResult:
    """Everything one tick decided: usage to record, statuses, warnings, closes."""

    day: dt.date
    usage: dict[tuple[dt.date, str, LimitKind, str], float]
    statuses: tuple[ChildStatus, ...]
    warnings: tuple[LimitWarning, ...]
    reminders: tuple[Reminder, ...]
    closes: tuple[Close, ...]
