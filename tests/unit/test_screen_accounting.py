"""Screen time in the pure core: idle grace, exceptions, union, day boundary and DST."""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

import pytest

from rules.model import Child, Config, Settings
from rules.screen import ScreenSession, in_use, in_use_seconds, screen_usage

S = ScreenSession
GRACE = 180.0


@pytest.mark.parametrize(
    ("sessions", "elapsed", "keep_awake", "counted"),
    [
        ([S("1")], 1.0, False, 1.0),  # input just now
        ([S("1", idle_seconds=179)], 1.0, False, 1.0),  # inside the grace: counts
        ([S("1", idle_seconds=181)], 1.0, False, 0.0),  # past it: not
        ([S("1", idle_seconds=190)], 30.0, False, 20.0),  # cutoff inside the tick
        ([S("1", idle_seconds=600)], 30.0, True, 30.0),  # a tracked app runs
        ([S("1", idle_seconds=600, inhibited=True)], 30.0, False, 30.0),  # video
        ([S("1", locked=True)], 5.0, True, 0.0),  # locked: never, even with a game
        ([S("1", active=False)], 5.0, False, 0.0),  # switched away (fast user switching)
        ([S("1"), S("2")], 5.0, False, 5.0),  # two at once count once
        ([S("1", idle_seconds=900), S("2", idle_seconds=190)], 20.0, False, 10.0),  # union
        ([S("1", idle_seconds=185), S("2", idle_seconds=190)], 20.0, False, 15.0),
        ([S("1", locked=True), S("2", idle_seconds=10)], 5.0, False, 5.0),
        ([], 5.0, True, 0.0),  # not logged in
        ([S("1")], 0.0, False, 0.0),
    ],
)
def test_in_use_seconds(sessions, elapsed, keep_awake, counted) -> None:  # type: ignore[no-untyped-def]
    assert in_use_seconds(sessions, elapsed, GRACE, keep_awake) == pytest.approx(counted)


def _walk(idles: list[float], step: float = 1.0) -> float:
    """Count a run of 1-second ticks whose idle readings are given."""
    return sum(in_use_seconds([S("1", idle_seconds=i)], step, GRACE, False) for i in idles)


def test_idle_grace_counted_once_when_input_resumes_within_it() -> None:
    # 100 s of input, 150 s without, then input again for 50 s: all 300 s count, once.
    idles = [0.0] * 100 + [float(i) for i in range(1, 151)] + [0.0] * 50
    assert _walk(idles) == pytest.approx(300.0)


def test_idle_beyond_grace_stops_after_the_grace_and_resumes_on_input() -> None:
    # 60 s of input, 600 s idle, 60 s of input: 60 + 180 + 60.
    idles = [0.0] * 60 + [float(i) for i in range(1, 601)] + [0.0] * 60
    assert _walk(idles) == pytest.approx(300.0)


def test_coarse_ticks_give_the_same_as_fine_ones() -> None:
    fine = _walk([float(i) for i in range(1, 601)])
    coarse = sum(
        in_use_seconds([S("1", idle_seconds=float(t))], 60.0, GRACE, False)
        for t in range(60, 601, 60)
    )
    assert fine == pytest.approx(coarse) == pytest.approx(180.0)


def test_in_use_now() -> None:
    assert in_use([S("1", idle_seconds=10)], GRACE, False)
    assert not in_use([S("1", idle_seconds=200)], GRACE, False)
    assert in_use([S("1", idle_seconds=200)], GRACE, True)
    assert not in_use([S("1", locked=True)], GRACE, True)


HCM = ZoneInfo("Asia/Ho_Chi_Minh")
BERLIN = ZoneInfo("Europe/Berlin")


def _config(idle: int = 3, child_idle: int | None = None, day_starts: int = 0) -> Config:
    return Config(
        settings=Settings(idle_minutes=idle, day_starts=day_starts),
        children=(Child("An", ("an",), idle_minutes=child_idle), Child("Binh", ("binh",))),
    )


def test_usage_per_child_with_per_child_idle_override() -> None:
    now = dt.datetime(2026, 12, 2, 15, 0, tzinfo=HCM)
    sessions = {"An": [S("1", idle_seconds=200)], "Binh": [S("2", idle_seconds=200)]}
    got = screen_usage(_config(child_idle=5), sessions, {}, now, 10.0)
    assert got == {(dt.date(2026, 12, 2), "An"): 10.0}  # An's grace is 5 min, Binh's 3


def test_tracked_app_keeps_only_its_child_awake() -> None:
    now = dt.datetime(2026, 12, 2, 15, 0, tzinfo=HCM)
    sessions = {"An": [S("1", idle_seconds=900)], "Binh": [S("2", idle_seconds=900)]}
    got = screen_usage(_config(), sessions, {"An": {"minecraft": (1,)}}, now, 10.0)
    assert got == {(dt.date(2026, 12, 2), "An"): 10.0}


def test_day_boundary_splits_the_tick_in_order() -> None:
    now = dt.datetime(2026, 12, 3, 0, 0, 20, tzinfo=HCM)
    got = screen_usage(_config(), {"An": [S("1")]}, {}, now, 60.0)
    assert got == {(dt.date(2026, 12, 2), "An"): 40.0, (dt.date(2026, 12, 3), "An"): 20.0}


def test_day_boundary_with_idle_cutoff_before_midnight() -> None:
    # Input stopped at 23:56:40; the grace ends 23:59:40: nothing on the new day.
    now = dt.datetime(2026, 12, 3, 0, 0, 20, tzinfo=HCM)
    got = screen_usage(_config(), {"An": [S("1", idle_seconds=220.0)]}, {}, now, 60.0)
    assert got == {(dt.date(2026, 12, 2), "An"): pytest.approx(20.0)}


def test_day_starts_setting() -> None:
    now = dt.datetime(2026, 12, 3, 4, 0, 10, tzinfo=HCM)
    got = screen_usage(_config(day_starts=4 * 60), {"An": [S("1")]}, {}, now, 30.0)
    assert got == {(dt.date(2026, 12, 2), "An"): 20.0, (dt.date(2026, 12, 3), "An"): 10.0}


@pytest.mark.parametrize(
    ("now", "elapsed"),
    [
        (dt.datetime(2026, 3, 29, 3, 0, 30, tzinfo=BERLIN), 60.0),  # spring forward at 02:00
        (dt.datetime(2026, 10, 25, 2, 0, 30, tzinfo=BERLIN).replace(fold=1), 60.0),  # fall back
    ],
)
def test_dst_changes_count_real_seconds(now: dt.datetime, elapsed: float) -> None:
    got = screen_usage(_config(), {"An": [S("1")]}, {}, now, elapsed)
    assert sum(got.values()) == pytest.approx(elapsed)
    assert set(d for d, _c in got) == {now.date()}


def test_dst_night_with_day_start_inside_the_skipped_hour() -> None:
    # The day starts at 02:30, which does not exist on 2026-03-29 in Berlin.
    now = dt.datetime(2026, 3, 29, 3, 0, 30, tzinfo=BERLIN)
    got = screen_usage(_config(day_starts=150), {"An": [S("1")]}, {}, now, 60.0)
    assert got == {
        (dt.date(2026, 3, 28), "An"): pytest.approx(30.0),
        (dt.date(2026, 3, 29), "An"): pytest.approx(30.0),
    }
