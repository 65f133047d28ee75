"""Closing processes: a polite close first, then a forced kill of the tree after a grace period."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
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


@dataclass
class _Pending:
    """A process that was asked to close and must be gone by `deadline`."""

    create_time: float
    deadline: float


class Closer:
    """Closes processes politely and kills those still running after `grace_seconds`.

    `close` is idempotent per process; `step` must be called regularly (each agent tick).
    """

    def __init__(
        self,
        platform: Platform,
        grace_seconds: float,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        if grace_seconds < 0:
            raise ValueError("grace_seconds must not be negative")
        self._platform = platform
        self._grace = grace_seconds
        self._clock = clock
        self._pending: dict[int, _Pending] = {}
        self._lock = threading.Lock()

    @property
    def pending(self) -> dict[int, float]:
        """The pids waiting for their grace to end, with their kill deadlines."""
        with self._lock:
            return {pid: p.deadline for pid, p in self._pending.items()}

    def close(self, pid: int, create_time: float = 0.0) -> list[CloseAction]:
        """Ask the process to quit and start its grace; no-op while it is already pending."""
        with self._lock:
            pending = self._pending.get(pid)
            if pending is not None and pending.create_time == create_time:
                return []
            # A pending entry with another create time is a dead process whose pid was reused.
            self._pending.pop(pid, None)
            try:
                delivered = self._platform.close_politely(pid, create_time)
            except ProcessGone:
                return [CloseAction(pid, "gone", create_time)]
            except NotPermitted as exc:
                return [CloseAction(pid, "denied", create_time, detail=str(exc))]
            except PlatformError as exc:
                # Unknown trouble with the polite way: the forced kill still follows.
                delivered, detail = False, str(exc)
            else:
                detail = "" if delivered else "no polite way; killing after the grace"
            self._pending[pid] = _Pending(create_time, self._clock() + self._grace)
            return [CloseAction(pid, "polite", create_time, detail=detail)]

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
            return actions

    def _check(self, pid: int, pending: _Pending, now: float) -> CloseAction | None:
        """What to do with one pending process now; None: keep waiting."""
        create_time = pending.create_time
        if not self._platform.is_alive(pid, create_time):
            return CloseAction(pid, "gone", create_time)
        if now < pending.deadline:
            return None
        try:
            killed = self._platform.kill_tree(pid, create_time)
        except ProcessGone:
            return CloseAction(pid, "gone", create_time)
        except NotPermitted as exc:
            return CloseAction(pid, "denied", create_time, detail=str(exc))
        except PlatformError as exc:
            return CloseAction(pid, "denied", create_time, detail=str(exc))
        return CloseAction(pid, "kill", create_time, pids=tuple(killed))
