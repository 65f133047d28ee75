"""Whole-computer screen time: which part of a tick a child's sessions were in use.

Pure: sessions, elapsed seconds and the idle limit in; seconds (per budget day) out.

A session is *in use* when it is in the foreground of its seat, unlocked, and has had
input within the last `idle_minutes` (the idle grace). The grace itself counts: when input
resumes within it nothing is lost, and nothing is added again. After the grace the
session stops counting, unless the child has a tracked app running or the session holds
an idle inhibitor (a video). Two sessions of one child at once count once.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass

from rules.model import SCREEN, Child, Config
from rules.timeutil import day_segments

__all__ = [
    "SCREEN",
    "ScreenSession",
    "idle_limit_seconds",
    "in_use",
    "in_use_seconds",
    "screen_in_use",
    "screen_usage",
]


@dataclass(frozen=True)
class ScreenSession:
    """A child's login session as seen at the end of a tick.

    `idle_seconds` is the time since the last input; the agent passes 0 when no source
    can tell (fail closed: a session nobody reports on is in use).
    """

    id: str
    active: bool = True  # foreground on its seat / console
    locked: bool = False
    idle_seconds: float = 0.0
    inhibited: bool = False  # holds an idle inhibitor (a video playing)


def idle_limit_seconds(config: Config, child: Child) -> float:
    """The child's idle grace in seconds: per child, else `[settings] idle_minutes`."""
    minutes = child.idle_minutes if child.idle_minutes is not None else config.settings.idle_minutes
    return minutes * 60.0


def in_use_seconds(
    sessions: Iterable[ScreenSession], elapsed: float, idle_limit: float, keep_awake: bool
) -> float:
    """Seconds at the start of the last `elapsed` during which some session was in use.

    The state (foreground, locked) is taken as it is now for the whole tick; the idle
    cutoff (last input + idle_limit) can fall inside it, so what counts is always a
    leading part of the tick, and the union of sessions is the longest part.
    """
    if elapsed <= 0:
        return 0.0
    best = 0.0
    for s in sessions:
        if not s.active or s.locked:
            continue
        if keep_awake or s.inhibited:
            return elapsed
        # The session stopped being in use at now - idle_seconds + idle_limit.
        part = elapsed + idle_limit - max(0.0, s.idle_seconds)
        best = max(best, min(elapsed, max(0.0, part)))
    return best


def in_use(sessions: Iterable[ScreenSession], idle_limit: float, keep_awake: bool) -> bool:
    """Whether some session is in use right now."""
    for s in sessions:
        if s.active and not s.locked and (keep_awake or s.inhibited or s.idle_seconds < idle_limit):
            return True
    return False


def screen_usage(
    config: Config,
    sessions: Mapping[str, Sequence[ScreenSession]],
    tracked: Mapping[str, object],
    now: dt.datetime,
    elapsed: float,
) -> dict[tuple[dt.date, str], float]:
    """(budget day, child) -> screen seconds of the `elapsed` seconds before `now`.

    `tracked`: child -> their running tracked apps (anything truthy keeps them awake).
    The counted leading part of the tick is split at day boundaries (and DST) in order.
    """
    out: dict[tuple[dt.date, str], float] = {}
    if elapsed <= 0:
        return out
    for child in config.children:
        mine = sessions.get(child.name, ())
        if not mine:
            continue
        counted = in_use_seconds(
            mine, elapsed, idle_limit_seconds(config, child), bool(tracked.get(child.name))
        )
        if counted <= 0:
            continue
        for day, seconds in day_segments(now, elapsed, config.settings.day_starts):
            take = min(seconds, counted)
            if take > 0:
                out[(day, child.name)] = out.get((day, child.name), 0.0) + take
            counted -= take
            if counted <= 0:
                break
    return out


def screen_in_use(
    config: Config, sessions: Mapping[str, Sequence[ScreenSession]], tracked: Mapping[str, object]
) -> dict[str, bool]:
    """Child -> whether one of their sessions is in use now (the `active` of `screen`)."""
    return {
        child.name: in_use(
            sessions.get(child.name, ()),
            idle_limit_seconds(config, child),
            bool(tracked.get(child.name)),
        )
        for child in config.children
    }
