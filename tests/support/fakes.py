"""Small builders for the pure-core unit tests: configs, processes, aware times and ticks."""

from __future__ import annotations

import datetime as dt
import textwrap
from zoneinfo import ZoneInfo

from rules.config import load_text
from rules.decisions import tick
from rules.match import Matcher, Running
from rules.model import Config, DayState, LimitStatus, ProcessInfo, TickResult

__all__ = [
    "BERLIN",
    "HCM",
    "NEW_YORK",
    "at",
    "cfg",
    "limit_row",
    "proc",
    "run_ticks",
    "running_of",
]

HCM = ZoneInfo("Asia/Ho_Chi_Minh")
BERLIN = ZoneInfo("Europe/Berlin")
NEW_YORK = ZoneInfo("America/New_York")


def cfg(text: str, filename: str = "rules.toml") -> Config:
    """A Config from (indented) TOML text; `version = 1` is added when missing."""
    body = textwrap.dedent(text).strip("\n") + "\n"
    if not body.lstrip().startswith("version"):
        body = "version = 1\n" + body
    return load_text(body, filename)


def proc(
    pid: int, name: str, user: str, exe: str = "", cmdline: tuple[str, ...] = ()
) -> ProcessInfo:
    """A process snapshot entry."""
    return ProcessInfo(pid=pid, name=name, exe=exe, cmdline=tuple(cmdline), user=user)


def at(
    y: int, m: int, d: int, hh: int = 0, mm: int = 0, ss: int = 0, *, tz: dt.tzinfo = HCM,
    fold: int = 0,
) -> dt.datetime:
    """An aware local time (Ho Chi Minh City unless told); `fold=1` is a repeated hour's second."""
    return dt.datetime(y, m, d, hh, mm, ss, fold=fold, tzinfo=tz)


def running_of(config: Config, *processes: ProcessInfo) -> Running:
    """The matcher's view of these processes."""
    return Matcher(config).running(processes)


def run_ticks(
    config: Config,
    state: DayState,
    running: Running,
    start: dt.datetime,
    steps: int,
    step_seconds: float,
) -> tuple[list[TickResult], DayState]:
    """`steps` ticks of `step_seconds` each from `start` (UTC arithmetic), same running set."""
    results: list[TickResult] = []
    now = start.astimezone(dt.UTC)
    tz = start.tzinfo
    assert tz is not None
    for _ in range(steps):
        now = now + dt.timedelta(seconds=step_seconds)
        result, state = tick(config, state, running, now.astimezone(tz), step_seconds)
        results.append(result)
    return results, state


def limit_row(result: TickResult, child: str, key: str) -> LimitStatus:
    """The status row of one limit of one child."""
    for status in result.statuses:
        if status.name == child:
            for row in status.limits:
                if row.id == key:
                    return row
    raise AssertionError(f"no limit {key!r} for {child!r}")
