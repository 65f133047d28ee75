"""Closing processes: a polite close first, then a forced kill of the tree after a grace period."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Hashable
from dataclasses import dataclass, replace
from typing import Literal

from agent.platform.base import NotPermitted, Platform, PlatformError, ProcessGone

__all__ = ["CloseAction", "CloseKind", "Closer"]

CloseKind = Literal["polite", "kill", "gone", "denied"]


@dataclass(frozen=True)
class CloseAction:
    """One thing the closer did or saw, for the agent's event log.

    polite: the close request was sent; kill: the tree was force-killed (`pids`);
    gone: the process had exited (or its pid was reused); denied: the OS refused.
    """

    pid: int
    kind: CloseKind
    create_time: float = 0.0
    pids: tuple[int, ...] = ()
    detail: str = ""
    key: Hashable = None  # what the caller closed it for (the agent's (child, app))


@dataclass
class _Pending:
    """A process that was asked to close and must be gone by `deadline`."""

    create_time: float
    deadline: float
    key: Hashable = None


@dataclass
class _Grace:
    """The grace of one key: its processes must be gone by `deadline`. `tick` is the last
    step during which the key was still being closed; `stubborn_until`: it ignored a
    close, so its processes die at once until then."""

    deadline: float
    tick: int
    stubborn_until: float = 0.0


class Closer:
    """Closes processes politely and kills those still running after `grace_seconds`.

    The grace is kept per `key` (the agent's (child, app)), not per pid. It starts at the
    key's first close; every process closed for the key meanwhile shares its end, so a
    game that re-forks under new pids gets no new grace. A key still running when its
    grace ends (closed on every tick up to then, whatever its pids) ignored the close: it
    is stubborn for `stubborn_seconds` and each of its processes is killed at once. A key
    that stopped running gets a fresh grace the next time. The caller calls `close` for
    every process to close on every tick (a pending one only keeps its key running) and
    `step` once per tick after that.
    """

    def __init__(
        self,
        platform: Platform,
        grace_seconds: float,
        clock: Callable[[], float] = time.monotonic,
        stubborn_seconds: float = 600.0,
    ) -> None:
        if grace_seconds < 0:
            raise ValueError("grace_seconds must not be negative")
        self._platform = platform
        self._grace = grace_seconds
        self._clock = clock
        self._stubborn_seconds = stubborn_seconds
        self._pending: dict[int, _Pending] = {}
        self._graces: dict[Hashable, _Grace] = {}
        self._ticks = 0
        self._lock = threading.Lock()

    @property
    def pending(self) -> dict[int, float]:
        """The pids waiting for their grace to end, with their kill deadlines."""
        with self._lock:
            return {pid: p.deadline for pid, p in self._pending.items()}

    def is_stubborn(self, key: Hashable) -> bool:
        """Whether a process of key ignored a close recently (its processes die at once)."""
        with self._lock:
            grace = self._graces.get(key)
            return grace is not None and self._clock() < grace.stubborn_until

    def _grace_of(self, key: Hashable, now: float) -> _Grace:
        """The key's grace as of now: the running one, a fresh one, or made stubborn."""
        grace = self._graces.get(key) if key is not None else None
        running = grace is not None and grace.tick >= self._ticks - 1
        if grace is None or (now >= grace.deadline and not running and now >= grace.stubborn_until):
            grace = _Grace(now + self._grace, self._ticks)
            if key is not None:
                self._graces[key] = grace
        elif now >= grace.deadline and now >= grace.stubborn_until:
            grace.stubborn_until = now + self._stubborn_seconds  # ran on through its grace
        grace.tick = self._ticks
        return grace

    def close(self, pid: int, create_time: float = 0.0, key: Hashable = None) -> list[CloseAction]:
        """Ask the process to quit within its key's grace, or kill it at once when its key
        is stubborn; for a process already pending, only note that its key still runs."""
        with self._lock:
            now = self._clock()
            grace = self._grace_of(key, now)
            pending = self._pending.get(pid)
            if pending is not None and pending.create_time == create_time:
                return []
            # A pending entry with another create time is a dead process whose pid was reused.
            self._pending.pop(pid, None)
            if now < grace.stubborn_until:
                action = replace(self._kill(pid, create_time), key=key)
                if action.kind == "kill":
                    grace.stubborn_until = now + self._stubborn_seconds
                    return [replace(action, detail="it ignored a close before: no grace")]
                return [action]
            try:
                delivered = self._platform.close_politely(pid, create_time)
            except ProcessGone:
                return [CloseAction(pid, "gone", create_time, key=key)]
            except NotPermitted as exc:
                return [CloseAction(pid, "denied", create_time, detail=str(exc), key=key)]
            except PlatformError as exc:
                # Unknown trouble with the polite way: the forced kill still follows.
                delivered, detail = False, str(exc)
            else:
                detail = "" if delivered else "no polite way; killing after the grace"
            self._pending[pid] = _Pending(create_time, grace.deadline, key)
            return [CloseAction(pid, "polite", create_time, detail=detail, key=key)]

    def step(self, now: float | None = None) -> list[CloseAction]:
        """Kill the trees of pending processes past their grace; report those that exited."""
        with self._lock:
            now = self._clock() if now is None else now
            actions: list[CloseAction] = []
            for pid, pending in list(self._pending.items()):
                action = self._check(pid, pending, now)
                if action is not None:
                    del self._pending[pid]
                    actions.append(action)
            waiting = {p.key for p in self._pending.values()}
            for key, grace in list(self._graces.items()):
                idle = grace.tick < self._ticks
                if key not in waiting and idle and now >= max(grace.deadline, grace.stubborn_until):
                    del self._graces[key]
            self._ticks += 1
            return actions

    def _check(self, pid: int, pending: _Pending, now: float) -> CloseAction | None:
        """What to do with one pending process now; None: keep waiting."""
        create_time = pending.create_time
        if not self._platform.is_alive(pid, create_time):
            return CloseAction(pid, "gone", create_time, key=pending.key)
        if now < pending.deadline:
            return None
        action = replace(self._kill(pid, create_time), key=pending.key)
        grace = self._graces.get(pending.key) if pending.key is not None else None
        if action.kind == "kill" and grace is not None:
            grace.stubborn_until = now + self._stubborn_seconds
        return action

    def _kill(self, pid: int, create_time: float) -> CloseAction:
        """Force-kill the process with its tree (and group where the platform can)."""
        try:
            killed = self._platform.kill_tree(pid, create_time)
        except ProcessGone:
            return CloseAction(pid, "gone", create_time)
        except PlatformError as exc:  # NotPermitted included
            return CloseAction(pid, "denied", create_time, detail=str(exc))
        return CloseAction(pid, "kill", create_time, pids=tuple(killed))
