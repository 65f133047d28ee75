"""The agent's side of `screen`: which sessions each child has (with idle from the trays),
and what a blocked `screen` limit does to them (lock, logout, notify).

Enforcement by child's `screen_action`: "lock" locks every unlocked session of the child at
every poll while the limit stays blocked (unlocking does not help); "logout" asks the
session to end, and ends it by force when it is still there after `grace_seconds`;
"notify" only counts and warns. Always-allowed apps do not keep a blocked session open.

Idle reports come from each child's tray over the local API, authenticated as the tray's
OS account; a report older than REPORT_STALE_SECONDS is ignored, so a tray that stops
reporting (or is killed) leaves its session counted as in use.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field

from agent.platform.base import PlatformError
from agent.platform.sessions.base import SessionGone, SessionInfo, SessionSource
from rules.model import Config, ScreenAction
from rules.screen import ScreenSession

__all__ = [
    "REPORT_STALE_SECONDS",
    "IdleReports",
    "ScreenAct",
    "ScreenEnforcer",
    "observe_sessions",
]

log = logging.getLogger("playclock.screen")

REPORT_STALE_SECONDS = 30.0  # a tray reports every 5 s; after this its account counts as in use


class IdleReports:
    """The latest idle time each account's tray reported, with when (steady clock)."""

    def __init__(self, stale: float = REPORT_STALE_SECONDS) -> None:
        self._stale = stale
        self._by_user: dict[str, tuple[float, float]] = {}
        self._lock = threading.Lock()

    def report(self, user: str, idle_seconds: float, now: float) -> None:
        with self._lock:
            self._by_user[user.casefold()] = (max(0.0, float(idle_seconds)), now)

    def idle_of(self, user: str, now: float) -> float | None:
        """Seconds since the account's last input, or None without a fresh report."""
        with self._lock:
            got = self._by_user.get(user.casefold())
        if got is None:
            return None
        idle, at = got
        age = now - at
        if age < 0 or age > self._stale:
            return None
        return idle + age


def observe_sessions(
    infos: list[SessionInfo],
    child_of: Callable[[str], str | None],
    reports: IdleReports,
    now: float,
) -> tuple[dict[str, list[ScreenSession]], dict[str, list[SessionInfo]]]:
    """Each child's sessions for the core, and the raw ones for enforcement.

    Idle: a fresh tray report wins (it sees real input); else what the OS says; else 0,
    in use (fail closed). A lock state nobody reports counts as unlocked.
    """
    core: dict[str, list[ScreenSession]] = {}
    raw: dict[str, list[SessionInfo]] = {}
    for info in infos:
        if not info.is_user:
            continue
        child = child_of(info.user)
        if child is None:
            continue
        idle = reports.idle_of(info.user, now)
        if idle is None:
            idle = info.idle_seconds or 0.0
        core.setdefault(child, []).append(
            ScreenSession(info.id, info.active, info.locked is True, idle, info.inhibited)
        )
        raw.setdefault(child, []).append(info)
    return core, raw


@dataclass(frozen=True)
class ScreenAct:
    """Something done to a child's session: "lock", "logout", "kill" or "notify"."""

    child: str
    session: str
    action: str
    reason: str
    error: str | None = None


@dataclass
class _Episode:
    locked_seen: set[str] = field(default_factory=set)  # sessions seen locked since our lock
    lock_logged: set[str] = field(default_factory=set)
    logout_at: dict[str, float] = field(default_factory=dict)  # session -> steady time asked
    killed: set[str] = field(default_factory=set)
    notified: bool = False


class ScreenEnforcer:
    """Carries out blocked `screen` limits, poll after poll, until they open again."""

    def __init__(self, source: SessionSource, grace_seconds: float = 10.0) -> None:
        self.source = source
        self.grace = grace_seconds
        self._episodes: dict[str, _Episode] = {}

    def step(
        self,
        config: Config,
        blocked: Mapping[str, str],  # child -> reason ("budget" | "window")
        sessions: Mapping[str, list[SessionInfo]],
        now: float,
    ) -> list[ScreenAct]:
        """One poll: lock (again), log out (then kill) or notify; returns what was done."""
        acts: list[ScreenAct] = []
        for name in list(self._episodes):
            if name not in blocked:
                del self._episodes[name]  # the limit opened: a later block starts afresh
        for child_name, reason in blocked.items():
            child = config.child(child_name)
            if child is None:
                continue
            episode = self._episodes.setdefault(child_name, _Episode())
            action: ScreenAction = child.screen_action
            mine = [s for s in sessions.get(child_name, []) if s.is_user]
            if action == "notify":
                if not episode.notified:
                    episode.notified = True
                    acts.append(ScreenAct(child_name, "", "notify", reason))
                continue
            for info in mine:
                if action == "lock":
                    acts.extend(self._lock(child_name, info, reason, episode))
                else:
                    acts.extend(self._logout(child_name, info, reason, episode, now))
        return acts

    def _do(self, what: Callable[[str], None], session: str) -> str | None:
        try:
            what(session)
        except SessionGone:
            return "gone"
        except PlatformError as exc:
            log.warning("screen: %s", exc)
            return str(exc)
        return None

    def _lock(self, child: str, info: SessionInfo, reason: str, ep: _Episode) -> list[ScreenAct]:
        if info.locked is True:
            ep.locked_seen.add(info.id)
            return []
        # Unlocked (or nobody says): lock it, at every poll while the limit stays blocked.
        error = self._do(self.source.lock, info.id)
        if error == "gone":
            return []
        relock = info.id in ep.locked_seen
        if info.id in ep.lock_logged and not relock:
            return []  # the desktop does not report its lock state: log the first one only
        ep.lock_logged.add(info.id)
        ep.locked_seen.discard(info.id)
        return [ScreenAct(child, info.id, "lock", reason, error)]

    def _logout(
        self, child: str, info: SessionInfo, reason: str, ep: _Episode, now: float
    ) -> list[ScreenAct]:
        asked = ep.logout_at.get(info.id)
        if asked is None:
            ep.logout_at[info.id] = now
            error = self._do(self.source.logout, info.id)
            return [] if error == "gone" else [ScreenAct(child, info.id, "logout", reason, error)]
        if now - asked >= self.grace and info.id not in ep.killed:
            # Still there after the grace (seen on some KDE set-ups): end it by force.
            ep.killed.add(info.id)
            error = self._do(self.source.kill, info.id)
            return [] if error == "gone" else [ScreenAct(child, info.id, "kill", reason, error)]
        return []
