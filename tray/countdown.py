"""The last minute of computer time as the tray follows it: what the countdown shows.

The agent decides when `screen` runs out; the tray only shows it. The countdown starts on the
agent's `screen_countdown` event and is set again from each status document (fetched every
second while it runs): the time left is the agent's `left_seconds`, counted down on this
process's steady clock between two documents, and held while the session does not count
(idle, locked). It ends when the limit is blocked (the lock or the notice takes over), when
a grant or a rules change gives more than the last minute back, or when the child is paused.
Closing or hiding the window changes nothing of this: the agent locks on its own.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from rules.keys import SCREEN

__all__ = ["COUNTDOWN_SECONDS", "MORE_TIME_SECONDS", "Countdown", "clock_text", "due"]

COUNTDOWN_SECONDS = 60  # the agent's last minute (agent/service/agent.py)
# More than this left (a poll late, rounded) means time was given back: the lock is not near.
MORE_TIME_SECONDS = COUNTDOWN_SECONDS + 15


def clock_text(seconds: float) -> str:
    """Seconds left as a clock, "0:59" (rounded up: "0:00" only when it is over)."""
    whole = max(0, math.ceil(seconds))
    return f"{whole // 60}:{whole % 60:02d}"


def due(doc: Mapping[str, Any] | None, child: str | None) -> tuple[str, float] | None:
    """(action, seconds left) when a status document says the child's last minute runs now,
    for a tray that missed the agent's countdown event (started in the last minute)."""
    if doc is None:
        return None
    kid = next((c for c in doc.get("children") or [] if c.get("name") == child), None)
    if kid is None or kid.get("paused"):
        return None
    row = next((r for r in kid.get("limits") or [] if r.get("id") == SCREEN), None)
    if row is None or row.get("state") == "blocked" or not row.get("active"):
        return None
    left = row.get("left_seconds")
    if left is None or not 0 < float(left) <= COUNTDOWN_SECONDS:
        return None
    enforced = (doc.get("agent") or {}).get("screen_enforced", True)
    action = str(kid.get("screen_action") or "lock")
    if not enforced and action != "notify":
        action = "close"  # no session to lock there: the agent closes the tracked apps
    return action, float(left)


@dataclass
class Countdown:
    """Where the countdown stands: the time left at `at` (steady seconds) and the action."""

    action: str = "lock"
    left: float = 0.0
    at: float = 0.0
    counting: bool = True  # the session counts now: the time left goes down
    running: bool = False

    def start(self, action: str, left_seconds: float, now: float) -> None:
        """The agent's countdown event: start showing the last minute."""
        self.action = action
        self.left = float(left_seconds)
        self.at = now
        self.counting = True
        self.running = True

    def stop(self) -> None:
        """The countdown is over (locked, granted, paused)."""
        self.running = False

    def left_at(self, now: float) -> float:
        """Seconds left at `now` (never below 0)."""
        if not self.counting:
            return max(0.0, self.left)
        return max(0.0, self.left - max(0.0, now - self.at))

    def follow(self, doc: Mapping[str, Any] | None, child: str | None, now: float) -> bool:
        """Take the agent's view from a status document; False when the countdown is over.

        No document (the agent does not answer): keep counting down, the lock still comes.
        """
        if not self.running:
            return False
        if doc is None:
            return True
        kid = next((c for c in doc.get("children") or [] if c.get("name") == child), None)
        row = None
        if kid is not None:
            row = next((r for r in kid.get("limits") or [] if r.get("id") == SCREEN), None)
        left = None if row is None else row.get("left_seconds")
        if (
            kid is None
            or row is None
            or kid.get("paused")
            or row.get("state") == "blocked"
            or left is None
            or float(left) > MORE_TIME_SECONDS
        ):
            self.stop()
            return False
        self.left = float(left)
        self.at = now
        self.counting = bool(row.get("active", True))
        return True
