"""TrustedClock with hand-moved wall and steady clocks: elapsed time, jumps and gaps."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import pytest

from agent.service.clock import FOLLOW_SECONDS, GAP_SECONDS, ClockReading, TrustedClock

TZ = dt.timezone(dt.timedelta(hours=7))
START = dt.datetime(2026, 11, 23, 20, 0, 0, tzinfo=TZ).timestamp()
DAY = 86400.0


class Clocks:
    """A wall clock a child can set, and a steady clock nobody can."""

    def __init__(self) -> None:
        self.wall_t = START
        self.steady_t = 5000.0

    def wall(self) -> float:
        return self.wall_t

    def steady(self) -> float:
        return self.steady_t

    def run(self, seconds: float) -> None:
        """Real time passes: both clocks move."""
        self.wall_t += seconds
        self.steady_t += seconds


def make() -> tuple[Clocks, TrustedClock]:
    c = Clocks()
    return c, TrustedClock(TZ, wall=c.wall, steady=c.steady)


def local(seconds_after_start: float) -> dt.datetime:
    return dt.datetime.fromtimestamp(START + seconds_after_start, TZ)


@dataclass(frozen=True)
class Step:
    """What happens before a read, and what the read must say."""

    run: float = 0.0  # real seconds passing (both clocks)
    set_wall: float = 0.0  # the wall clock moved by this much (a child, or NTP)
    suspend: float = 0.0  # the steady clock moves, the agent did not run
    elapsed: float = 0.0
    gap: float = 0.0
    jump: float = 0.0
    now: float = 0.0  # expected trusted time, seconds after START


CASES: dict[str, list[Step]] = {
    "normal ticks": [
        Step(run=1, elapsed=1, now=1),
        Step(run=1, elapsed=1, now=2),
        Step(run=0.5, elapsed=0.5, now=2.5),
        Step(run=0, elapsed=0, now=2.5),
    ],
    "small NTP corrections are followed": [
        Step(run=1, elapsed=1, now=1),
        Step(run=1, set_wall=+3, elapsed=1, now=5),  # wall ahead by 3 s: adopted
        Step(run=1, elapsed=1, now=6),
        Step(run=1, set_wall=-100, elapsed=1, now=-93),  # 100 s back: still a correction
        Step(run=1, set_wall=FOLLOW_SECONDS - 1, elapsed=1, now=-92 + FOLLOW_SECONDS - 1),
    ],
    "wall clock one day ahead": [
        Step(run=1, elapsed=1, now=1),
        Step(run=1, set_wall=+DAY, elapsed=1, jump=DAY + 0, now=2),
        Step(run=1, elapsed=1, now=3),  # reported once only
        Step(run=1, set_wall=+2, elapsed=1, now=4),  # small drift on top: not a new jump
        Step(run=30, elapsed=30, now=34),
    ],
    "wall clock one day back": [
        Step(run=1, elapsed=1, now=1),
        Step(run=1, set_wall=-DAY, elapsed=1, jump=-DAY, now=2),
        Step(run=1, elapsed=1, now=3),
        Step(run=1, elapsed=1, now=4),
    ],
    "a second jump is reported again": [
        Step(run=1, set_wall=+DAY, elapsed=1, jump=DAY, now=1),
        Step(run=1, elapsed=1, now=2),
        Step(run=1, set_wall=+DAY, elapsed=1, jump=2 * DAY, now=3),
        Step(run=1, set_wall=-3 * DAY, elapsed=1, jump=-DAY, now=4),
    ],
    "set back to the right time, then jumped again": [
        Step(run=1, set_wall=+DAY, elapsed=1, jump=DAY, now=1),
        Step(run=1, set_wall=-DAY, elapsed=1, now=2),  # back in line: followed, no jump
        Step(run=1, set_wall=+DAY, elapsed=1, jump=DAY, now=3),
    ],
    "suspend is a gap, not use": [
        Step(run=1, elapsed=1, now=1),
        Step(suspend=3600, gap=3600, elapsed=0, now=3601),
        Step(run=1, elapsed=1, now=3602),
    ],
    "a pause just under the gap threshold counts": [
        Step(suspend=GAP_SECONDS - 1, elapsed=GAP_SECONDS - 1, now=GAP_SECONDS - 1),
        Step(suspend=GAP_SECONDS + 1, gap=GAP_SECONDS + 1, now=2 * GAP_SECONDS),
    ],
}


@pytest.mark.parametrize("steps", CASES.values(), ids=CASES.keys())
def test_readings(steps: list[Step]) -> None:
    c, clock = make()
    for i, step in enumerate(steps):
        c.run(step.run)
        c.wall_t += step.set_wall
        c.wall_t += step.suspend  # the wall clock keeps time across a suspend
        c.steady_t += step.suspend
        r = clock.read()
        got = (r.elapsed, r.gap, r.jump, r.now)
        want = (
            pytest.approx(step.elapsed),
            pytest.approx(step.gap),
            pytest.approx(step.jump, abs=1.0),
            local(step.now),
        )
        assert got == want, f"step {i}: {step}"
        assert r.now.tzinfo is TZ


def test_jump_does_not_move_the_budget_day() -> None:
    c, clock = make()  # 20:00 local
    c.run(10)
    day = clock.read().now.date()
    for shift in (+DAY, -DAY):
        c.wall_t += shift
        c.run(1)
        r = clock.read()
        assert r.jump == pytest.approx(shift, abs=1)
        assert r.now.date() == day
        assert clock.now().date() == day
        assert r.elapsed == pytest.approx(1)
        c.wall_t -= shift
        clock.read()


def test_now_does_not_count() -> None:
    c, clock = make()
    c.run(5)
    assert clock.now() == local(5)
    assert clock.now() == local(5)
    r = clock.read()
    assert r.elapsed == pytest.approx(5)  # now() took nothing away from the next read


def test_steady_clock_going_backwards_counts_nothing() -> None:
    c, clock = make()
    c.steady_t -= 10
    r = clock.read()
    assert (r.elapsed, r.gap) == (0.0, 0.0)


def test_reading_is_frozen() -> None:
    _c, clock = make()
    r = clock.read()
    assert isinstance(r, ClockReading)
    with pytest.raises(AttributeError):
        r.elapsed = 5  # type: ignore[misc]
