"""`screen` as a limit in the core: budget, windows, grants, pause, warnings, reminders."""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

from rules import decisions
from rules.config import load_text
from rules.model import DayState
from rules.screen import ScreenSession

HCM = ZoneInfo("Asia/Ho_Chi_Minh")
DAY = dt.date(2026, 12, 2)  # a Wednesday

RULES = """
version = 1
[settings]
warn_minutes = [5, 1]
[apps.game]
names = ["game"]
[[child]]
name = "An"
accounts = ["an"]
[child.limits.screen]
daily = 60
weekend = 120
allowed = ["07:00-21:00"]
"""


def _at(h: int, m: int = 0, day: dt.date = DAY) -> dt.datetime:
    return dt.datetime.combine(day, dt.time(h, m), HCM)


def _row(result, key: str = "screen"):  # type: ignore[no-untyped-def]
    (status,) = result.statuses
    return next(r for r in status.limits if r.id == key)


def _tick(
    state: DayState, now: dt.datetime, elapsed: float, idle: float = 0.0, running=None, locked=False
):  # type: ignore[no-untyped-def]
    config = load_text(RULES)
    sessions = {"An": [ScreenSession("c1", True, locked, idle)]}
    return decisions.tick(config, state, running or {}, now, elapsed, sessions)


def test_counts_in_use_time_and_shows_as_screen_kind() -> None:
    result, _state = _tick(DayState(DAY), _at(10), 30.0)
    row = _row(result)
    assert (row.kind, row.used_seconds, row.limit_seconds, row.state, row.active) == (
        "screen",
        30.0,
        3600,
        "ok",
        True,
    )
    assert result.usage == {(DAY, "An", "screen", "screen"): 30.0}
    assert row.as_json()["kind"] == "screen"


def test_idle_session_is_not_counted_and_not_active() -> None:
    result, _state = _tick(DayState(DAY), _at(10), 30.0, idle=600.0)
    assert result.usage == {} and not _row(result).active


def test_a_game_keeps_an_idle_session_counting_also_for_games() -> None:
    result, _ = _tick(DayState(DAY), _at(10), 30.0, idle=600.0, running={"An": {"game": (7,)}})
    assert result.usage[(DAY, "An", "screen", "screen")] == 30.0
    assert result.usage[(DAY, "An", "total", "total")] == 30.0


def test_budget_runs_out_then_blocked_until_next_day() -> None:
    state = DayState(DAY, usage={("An", "screen", "screen"): 3590.0})
    result, state = _tick(state, _at(10), 10.0)
    row = _row(result)
    assert (row.state, row.reason, row.left_seconds) == ("blocked", "budget", 0)
    assert row.until == _at(7, 0, DAY + dt.timedelta(days=1))
    assert result.closes == ()  # screen is enforced on the session, not by closing apps


def test_outside_window_is_blocked_by_window() -> None:
    result, _ = _tick(DayState(DAY), _at(21, 30), 1.0)
    row = _row(result)
    assert (row.state, row.reason) == ("blocked", "window")
    assert row.until == _at(7, 0, DAY + dt.timedelta(days=1))


def test_window_end_is_the_time_left_when_sooner_than_budget() -> None:
    result, _ = _tick(DayState(DAY), _at(20, 57), 1.0)
    row = _row(result)
    assert row.state == "warning" and row.left_seconds == 180


def test_weekend_budget() -> None:
    sat = dt.date(2026, 12, 5)
    state = DayState(sat, usage={("An", "screen", "screen"): 3600.0})
    result, _ = _tick(state, _at(10, 0, sat), 1.0)
    assert _row(result).state == "ok" and _row(result).limit_seconds == 7200


def test_grant_on_screen_and_on_all() -> None:
    state = DayState(
        DAY, usage={("An", "screen", "screen"): 3600.0}, bonus={("An", "screen"): 600.0}
    )
    result, _ = _tick(state, _at(10), 1.0)
    assert _row(result).state == "ok" and _row(result).left_seconds == 599
    state = DayState(DAY, usage={("An", "screen", "screen"): 3600.0}, bonus={("An", "*"): 60.0})
    result, _ = _tick(state, _at(10), 1.0)
    assert _row(result).left_seconds == 59


def test_pause_lifts_the_block_but_time_still_counts() -> None:
    state = DayState(DAY, usage={("An", "screen", "screen"): 4000.0}, paused={"An"})
    result, state = _tick(state, _at(10), 5.0)
    assert _row(result).state == "ok"
    assert state.used("An", "screen", "screen") == 4005.0


def test_warnings_only_while_in_use() -> None:
    state = DayState(DAY, usage={("An", "screen", "screen"): 3600.0 - 290.0})
    result, state = _tick(state, _at(10), 1.0, idle=900.0)
    assert result.warnings == ()  # the child is away: no toast
    result, state = _tick(state, _at(10, 1), 1.0)
    assert [(w.limit, w.minutes) for w in result.warnings] == [("screen", 5)]


def test_no_reminder_unless_set_on_screen() -> None:
    config = load_text(RULES.replace("daily = 60", "daily = 600\nreminder_minutes = 30"))
    sessions = {"An": [ScreenSession("c1")]}
    state = DayState(DAY, usage={("An", "screen", "screen"): 1799.0})
    result, _ = decisions.tick(config, state, {}, _at(10), 2.0, sessions)
    assert [(r.limit, r.minutes) for r in result.reminders] == [("screen", 30)]
    result, _ = _tick(DayState(DAY, usage={("An", "screen", "screen"): 1799.0}), _at(10), 2.0)
    assert result.reminders == ()


def test_no_sessions_no_screen_time() -> None:
    config = load_text(RULES)
    result, _ = decisions.tick(config, DayState(DAY), {"An": {"game": (7,)}}, _at(10), 5.0)
    assert (DAY, "An", "screen", "screen") not in result.usage
    assert not _row(result).active


def test_locked_session_does_not_count() -> None:
    result, _ = _tick(DayState(DAY), _at(10), 5.0, locked=True, running={"An": {"game": (7,)}})
    assert (DAY, "An", "screen", "screen") not in result.usage


def test_tick_across_midnight_splits_screen_time() -> None:
    config = load_text(RULES.replace('allowed = ["07:00-21:00"]', ""))
    now = dt.datetime(2026, 12, 3, 0, 0, 10, tzinfo=HCM)
    state = DayState(dt.date(2026, 12, 3))
    result, state = decisions.tick(config, state, {}, now, 30.0, {"An": [ScreenSession("c1")]})
    assert result.usage == {
        (DAY, "An", "screen", "screen"): 20.0,
        (dt.date(2026, 12, 3), "An", "screen", "screen"): 10.0,
    }
    assert state.used("An", "screen", "screen") == 10.0
