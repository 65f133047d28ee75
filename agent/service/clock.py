"""Honest time: elapsed time from a clock the child cannot move, wall-clock jumps detected."""

from __future__ import annotations

import datetime as dt
import time
from collections.abc import Callable
from dataclasses import dataclass

__all__ = ["ClockReading", "TrustedClock"]

# A wall clock that drifts from ours by less than this is being corrected (NTP), and we follow it.
FOLLOW_SECONDS = 120.0
# Between two ticks, more than this is a gap (suspend, a stopped agent): not counted as use.
GAP_SECONDS = 60.0


@dataclass(frozen=True)
class ClockReading:
    """One tick's view of time."""

    now: dt.datetime  # the trusted local time
    elapsed: float  # seconds of use to count since the last reading
    gap: float  # seconds between readings that were not counted (suspend, stall)
    jump: float  # how far the wall clock moved against ours (0 when it did not)


class TrustedClock:
    """Local time that follows a steady clock, not the settable wall clock.

    A child who moves the system clock or the time zone neither refills nor drains a
    budget: the time zone is fixed when the agent starts, the wall clock is adopted only
    for small corrections, and elapsed time comes from a clock that counts suspend.
    """

    def __init__(
        self,
        tz: dt.tzinfo,
        wall: Callable[[], float] = time.time,
        steady: Callable[[], float] = time.monotonic,
        gap_seconds: float = GAP_SECONDS,
        follow_seconds: float = FOLLOW_SECONDS,
    ) -> None:
        self.tz = tz
        self._wall = wall
        self._steady = steady
        self._gap = gap_seconds
        self._follow = follow_seconds
        self._base_wall = wall()
        self._base_steady = steady()
        self._last_steady = self._base_steady
        self._reported_offset = 0.0

    def _trusted(self, steady: float) -> float:
        return self._base_wall + (steady - self._base_steady)

    def now(self) -> dt.datetime:
        """The trusted local time, without counting anything."""
        return dt.datetime.fromtimestamp(self._trusted(self._steady()), self.tz)

    def read(self) -> ClockReading:
        """Advance: the time now, the seconds to count, any gap and any wall-clock jump."""
        steady = self._steady()
        delta = max(0.0, steady - self._last_steady)
        self._last_steady = steady
        trusted = self._trusted(steady)
        offset = self._wall() - trusted
        jump = 0.0
        if abs(offset) <= self._follow:
            # A small correction: follow it, so the trusted clock does not drift for ever.
            self._base_wall += offset
            trusted += offset
            self._reported_offset = 0.0
        elif abs(offset - self._reported_offset) > self._follow:
            jump, self._reported_offset = offset, offset
        gap = delta if delta > self._gap else 0.0
        return ClockReading(
            now=dt.datetime.fromtimestamp(trusted, self.tz),
            elapsed=0.0 if gap else delta,
            gap=gap,
            jump=jump,
        )
