"""Accounting and decisions, tick by tick, with a fake clock in Ho Chi Minh City and Berlin."""

from __future__ import annotations

import datetime as dt
import textwrap

import pytest

from rules.config import load_text
from rules.decisions import decide, tick
from rules.limits import ALL, child_limits, next_open
from rules.match import Running
from rules.model import Close, Config, DayState, LimitStatus, LimitWarning, Reminder
from rules.timeutil import day_of
from tests.support.fakes import BERLIN, at, limit_row, proc, run_ticks, running_of

MON = dt.date(2026, 11, 23)  # a Monday

APPS = """
[apps.minecraft]
category = "games"
names = ["minecraft"]

[apps.roblox]
category = "games"
names = ["roblox"]

[apps.chrome]
category = "browsers"
names = ["chrome"]

[apps.calc]
category = "education"
names = ["calc"]
"""


def make(limits: str = "", *, settings: str = "", child: str = "", more: str = "") -> Config:
    """A config with four apps and the child An (account "an"), plus these pieces."""
    text = (
        "version = 1\n[settings]\n"
        + textwrap.dedent(settings)
        + APPS
        + '\n[[child]]\nname = "An"\naccounts = ["an"]\n'
        + textwrap.dedent(child)
        + textwrap.dedent(limits)
        + textwrap.dedent(more)
    )
    return load_text(text)


def state_at(now: dt.datetime, config: Config, **usage: float) -> DayState:
    """The day state for `now` with An's usage given as kind__id=seconds."""
    day = day_of(now, config.settings.day_starts)
    keys = {tuple(["An", *k.split("__")]): v for k, v in usage.items()}
    return DayState(day=day, usage=keys)  # type: ignore[arg-type]


def row(config: Config, state: DayState, running: Running, now: dt.datetime, key: str,
        child: str = "An") -> LimitStatus:
    """One limit's status row from decide()."""
    for status in decide(config, state, running, now):
        if status.name == child:
            for r in status.limits:
                if r.id == key:
                    return r
    raise AssertionError(f"no row {key!r}")


MC: Running = {"An": {"minecraft": (11,)}}

# --- union counting ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("running", "expected"),
    [
        (
            {"An": {"minecraft": (1,), "roblox": (2,)}},
            {("total", "total"): 60.0, ("category", "games"): 60.0,
             ("app", "minecraft"): 60.0, ("app", "roblox"): 60.0},
        ),
        (
            {"An": {"minecraft": (1,), "chrome": (2, 3)}},
            {("total", "total"): 60.0, ("category", "games"): 60.0,
             ("category", "browsers"): 60.0, ("app", "minecraft"): 60.0,
             ("app", "chrome"): 60.0},
        ),
        (
            {"An": {"minecraft": tuple(range(100, 130))}},
            {("total", "total"): 60.0, ("category", "games"): 60.0,
             ("app", "minecraft"): 60.0},
        ),
        ({}, {}),
        ({"An": {}}, {}),
    ],
    ids=["two-games-at-once", "game-and-browser", "one-app-30-processes", "nothing", "empty"],
)
def test_union_counting(running: Running, expected: dict[tuple[str, str], float]) -> None:
    """Time counts once per key however many apps or processes run at once."""
    config = make("[child.limits.total]\ndaily = 600\n")
    now = at(2026, 11, 23, 10)
    result, after = tick(config, state_at(now, config), running, now, 60.0)
    assert result.usage == {(MON, "An", kind, ident): s for (kind, ident), s in expected.items()}
    assert after.usage == {("An", kind, ident): s for (kind, ident), s in expected.items()}


def test_thirty_processes_from_the_probe_count_once() -> None:
    """Processes from the matcher: 30 of one app count one minute per minute."""
    config = make("[child.limits.games]\ndaily = 60\n")
    running = running_of(config, *(proc(500 + i, "minecraft.exe", "an") for i in range(30)))
    now = at(2026, 11, 23, 10)
    results, after = run_ticks(config, state_at(now, config), running, now, 10, 6.0)
    assert after.used("An", "category", "games") == pytest.approx(60.0)
    assert after.used("An", "total", "total") == pytest.approx(60.0)
    assert limit_row(results[-1], "An", "games").left_seconds == 3540


def test_tick_rejects_a_state_of_another_day() -> None:
    """The state must be the day `now` belongs to."""
    config = make("[child.limits.total]\ndaily = 60\n")
    with pytest.raises(ValueError, match="state is for 2026-11-22"):
        tick(config, DayState(day=dt.date(2026, 11, 22)), MC, at(2026, 11, 23, 10), 1.0)


# --- budgets per day ----------------------------------------------------------------------------

DAYS = """
[child.limits.games]
daily = 60
weekend = 120
days = { fri = 90, sun = 30 }
"""


@pytest.mark.parametrize(
    ("now", "day_starts", "limit_seconds"),
    [
        (at(2026, 11, 23, 10), "00:00", 3600),
        (at(2026, 11, 27, 10), "00:00", 5400),
        (at(2026, 11, 28, 10), "00:00", 7200),
        (at(2026, 11, 29, 10), "00:00", 1800),
        (at(2026, 11, 28, 2), "04:00", 5400),
        (at(2026, 11, 30, 3, 59), "04:00", 1800),
        (at(2026, 11, 30, 4), "04:00", 3600),
    ],
    ids=[
        "monday-daily",
        "friday-days-wins",
        "saturday-weekend-wins",
        "sunday-days-wins-over-weekend",
        "saturday-2h-is-still-friday",
        "monday-3h59-is-still-sunday",
        "monday-4h",
    ],
)
def test_budget_by_day(now: dt.datetime, day_starts: str, limit_seconds: int) -> None:
    """days wins over weekend, which wins over daily, for the budget day of `now`."""
    config = make(DAYS, settings=f'day_starts = "{day_starts}"\n')
    r = row(config, state_at(now, config), MC, now, "games")
    assert r.limit_seconds == limit_seconds
    assert r.left_seconds == limit_seconds and r.state == "ok"


# --- windows, states, reasons, until, left ------------------------------------------------------

NIGHT = '[child.limits.total]\nallowed = ["22:00-02:00"]\n'


@pytest.mark.parametrize(
    ("now", "state", "reason", "until", "left"),
    [
        (at(2026, 11, 23, 23), "ok", None, None, 3 * 3600),
        (at(2026, 11, 24, 1), "ok", None, None, 3600),
        (at(2026, 11, 24, 1, 55), "warning", None, None, 300),
        (at(2026, 11, 24, 2), "blocked", "window", at(2026, 11, 24, 22), None),
        (at(2026, 11, 24, 3), "blocked", "window", at(2026, 11, 24, 22), None),
        (at(2026, 11, 23, 21, 59), "blocked", "window", at(2026, 11, 23, 22), None),
    ],
    ids=["23h", "01h-next-day", "01h55-warning", "02h-end", "03h-blocked", "21h59-blocked"],
)
def test_window_across_midnight(
    now: dt.datetime, state: str, reason: str | None, until: dt.datetime | None, left: int | None
) -> None:
    """A "22:00-02:00" window is open late at night and early the next morning only."""
    config = make(NIGHT)
    r = row(config, state_at(now, config), MC, now, "total")
    assert (r.state, r.reason, r.until, r.left_seconds) == (state, reason, until, left)
    assert r.limit_seconds is None and r.active


BUDGET_AND_WINDOW = """
[child.limits.total]
daily = 60
allowed = ["08:00-20:00"]

[child.limits.games]
daily = 30

[child.limits.social]
daily = 0

[child.limits.roblox]
daily = 60
weekend = 0
"""

NEXT_8 = at(2026, 11, 24, 8)


@pytest.mark.parametrize(
    ("key", "used", "now", "expected"),
    [
        ("total", 0, at(2026, 11, 23, 10), ("ok", None, None, 3600)),
        ("total", 3000, at(2026, 11, 23, 10), ("warning", None, None, 600)),
        ("total", 3599, at(2026, 11, 23, 10), ("warning", None, None, 1)),
        ("total", 3600, at(2026, 11, 23, 10), ("blocked", "budget", NEXT_8, 0)),
        ("total", 5000, at(2026, 11, 23, 10), ("blocked", "budget", NEXT_8, 0)),
        ("total", 0, at(2026, 11, 23, 21), ("blocked", "window", NEXT_8, 3600)),
        ("total", 0, at(2026, 11, 23, 6), ("blocked", "window", at(2026, 11, 23, 8), 3600)),
        ("total", 0, at(2026, 11, 23, 19, 55), ("warning", None, None, 300)),
        ("total", 3000, at(2026, 11, 23, 19, 55), ("warning", None, None, 300)),
        ("total", 3300, at(2026, 11, 23, 19), ("warning", None, None, 300)),
        ("games", 1800, at(2026, 11, 23, 10), ("blocked", "budget", at(2026, 11, 24), 0)),
        ("games", 1799.5, at(2026, 11, 23, 10), ("warning", None, None, 0)),
        ("social", 0, at(2026, 11, 23, 10), ("blocked", "budget", None, 0)),
        ("roblox", 0, at(2026, 11, 28, 10), ("blocked", "budget", at(2026, 11, 30), 0)),
        ("roblox", 3600, at(2026, 11, 27, 10), ("blocked", "budget", at(2026, 11, 30), 0)),
    ],
    ids=[
        "ok",
        "warning-at-10-min",
        "warning-1s",
        "budget-spent-opens-at-next-window",
        "over-budget-left-zero",
        "after-window",
        "before-window-opens-today",
        "window-ends-first",
        "window-ends-before-budget",
        "budget-ends-before-window",
        "budget-spent-opens-at-next-day-start",
        "half-second-left-is-not-blocked",
        "daily-zero-never-opens",
        "weekend-zero-opens-monday",
        "friday-spent-skips-weekend-zero",
    ],
)
def test_state_reason_until_left(
    key: str,
    used: float,
    now: dt.datetime,
    expected: tuple[str, str | None, dt.datetime | None, int | None],
) -> None:
    """State, reason, until and left = min(budget left, time to the window's end)."""
    config = make(BUDGET_AND_WINDOW)
    kind = {"total": "total", "games": "category", "social": "category", "roblox": "app"}[key]
    state = state_at(now, config, **{f"{kind}__{key}": used})
    r = row(config, state, {"An": {"roblox": (1,)}}, now, key)
    assert (r.state, r.reason, r.until, r.left_seconds) == expected
    assert r.used_seconds == used


@pytest.mark.parametrize(
    ("now", "until"),
    [
        (at(2026, 11, 23, 21), NEXT_8),
        (at(2026, 11, 23, 6), NEXT_8),
    ],
    ids=["after-window", "before-window"],
)
def test_budget_and_window_both_blocked_open_next_day(
    now: dt.datetime, until: dt.datetime
) -> None:
    """Spent budget outside the window: blocked until the next day's window, not today's."""
    config = make(BUDGET_AND_WINDOW)
    r = row(config, state_at(now, config, total__total=3600), MC, now, "total")
    assert (r.state, r.reason, r.until, r.left_seconds) == ("blocked", "budget", until, 0)


def test_window_blocked_skips_days_without_budget() -> None:
    """Friday night outside the window with `weekend = 0`: it opens Monday morning."""
    config = make("""
        [child.limits.games]
        daily = 60
        weekend = 0
        allowed = ["08:00-20:00"]
    """)
    friday_night = at(2026, 11, 27, 21)
    r = row(config, state_at(friday_night, config), MC, friday_night, "games")
    assert (r.state, r.reason, r.until) == ("blocked", "window", at(2026, 11, 30, 8))


def test_a_window_open_all_day_does_not_limit_time_left() -> None:
    """`00:00-24:00` with no budget: nothing runs out, so no time left is reported."""
    config = make("""
        [child.limits.games]
        allowed = ["00:00-24:00"]
    """)
    now = at(2026, 11, 23, 15)
    r = row(config, state_at(now, config), MC, now, "games")
    assert (r.state, r.left_seconds, r.until) == ("ok", None, None)


@pytest.mark.parametrize(
    ("now", "until"),
    [
        (at(2026, 11, 23, 23), at(2026, 11, 24, 4)),
        (at(2026, 11, 24, 2), at(2026, 11, 24, 4)),
    ],
    ids=["late-evening", "after-midnight-same-budget-day"],
)
def test_budget_opens_at_next_day_starts(now: dt.datetime, until: dt.datetime) -> None:
    """With day_starts 04:00 a spent budget opens at the next 04:00."""
    config = make("[child.limits.games]\ndaily = 30\n", settings='day_starts = "04:00"\n')
    r = row(config, state_at(now, config, category__games=1800), MC, now, "games")
    assert (r.state, r.reason, r.until) == ("blocked", "budget", until)
    spec = config.children[0].limits[0]
    assert next_open(spec, now, config.settings.day_starts) == until


def test_daily_zero_closes_at_first_sight() -> None:
    """daily = 0: the very first tick that sees the app closes it, before any time counts."""
    config = make("[child.limits.browsers]\ndaily = 0\n")
    now = at(2026, 11, 23, 10)
    running = running_of(config, proc(42, "chrome.exe", "an"), proc(41, "chrome", "an"))
    result, _ = tick(config, state_at(now, config), running, now, 0.0)
    assert result.closes == (Close("An", "chrome", "browsers", "budget", (41, 42), None),)
    assert result.usage == {}


# --- warnings -----------------------------------------------------------------------------------

TOTAL_30 = "[child.limits.total]\ndaily = 30\n"


def test_warnings_fire_once_per_threshold() -> None:
    """10, 5 and 1 minutes left each warn once, on the tick that crosses them."""
    config = make(TOTAL_30)
    now = at(2026, 11, 23, 10)
    state = state_at(now, config, total__total=19 * 60 + 30)  # 10:30 left
    fired: list[tuple[int, int]] = []
    for _ in range(11):
        now = now + dt.timedelta(seconds=60)
        result, state = tick(config, state, MC, now, 60.0)
        fired += [(w.minutes, w.left_seconds) for w in result.warnings]
    assert fired == [(10, 570), (5, 270), (1, 30)]
    assert state.warned == {("An", "total", 10), ("An", "total", 5), ("An", "total", 1)}


def test_several_thresholds_at_once_warn_the_smallest() -> None:
    """A tick crossing 10, 5 and 1 at once warns only for 1, then never again that day."""
    config = make(TOTAL_30)
    now = at(2026, 11, 23, 10)
    state = state_at(now, config, total__total=19 * 60)  # 11 minutes left
    result, state = tick(config, state, MC, now, 630.0)
    assert result.warnings == (LimitWarning("An", "total", "Total", 1, 30),)
    assert state.warned == {("An", "total", 10), ("An", "total", 5), ("An", "total", 1)}
    result, state = tick(config, state, MC, now + dt.timedelta(seconds=10), 10.0)
    assert result.warnings == ()
    assert limit_row(result, "An", "total").state == "warning"


def test_warned_state_is_kept_across_ticks() -> None:
    """A threshold already in DayState.warned does not warn again."""
    config = make(TOTAL_30)
    now = at(2026, 11, 23, 10)
    state = state_at(now, config, total__total=20 * 60 + 30)
    state.warned.add(("An", "total", 10))
    result, _ = tick(config, state, MC, now, 1.0)
    assert result.warnings == ()


def test_time_given_back_warns_again_before_it_runs_out() -> None:
    """After a grant lifts the time left above a threshold, crossing it again warns again."""
    config = make(TOTAL_30)
    now = at(2026, 11, 23, 10)
    state = state_at(now, config, total__total=29 * 60 + 30)  # 30 s left: 1 minute warned
    result, state = tick(config, state, MC, now, 1.0)
    assert [w.minutes for w in result.warnings] == [1]
    state.bonus[("An", "total")] = 120.0  # the parent grants 2 minutes
    result, state = tick(config, state, MC, now + dt.timedelta(seconds=1), 1.0)
    assert result.warnings == () and ("An", "total", 1) not in state.warned
    later = now + dt.timedelta(seconds=91)
    result, state = tick(config, state, MC, later, 90.0)
    assert [w.minutes for w in result.warnings] == [1]


@pytest.mark.parametrize(
    ("running", "limits"),
    [
        ({}, TOTAL_30),
        ({"An": {"chrome": (5,)}}, "[child.limits.games]\ndaily = 30\n"),
    ],
    ids=["nothing-runs", "only-uncovered-app-runs"],
)
def test_no_warning_when_nothing_covered_runs(running: Running, limits: str) -> None:
    """A limit in its warning time is silent while none of its apps run."""
    config = make(limits)
    now = at(2026, 11, 23, 10)
    state = state_at(now, config, total__total=25 * 60, category__games=25 * 60)
    result, after = tick(config, state, running, now, 60.0)
    assert result.warnings == ()
    assert after.warned == set()
    key = "total" if "total" in limits else "games"
    assert limit_row(result, "An", key).state == "warning"


# --- health reminders ---------------------------------------------------------------------------


def test_health_reminder_every_30_minutes_with_decree_147() -> None:
    """vn-decree-147: a reminder each time 30 more minutes of games are reached."""
    config = make(child='preset = "vn-decree-147"\n')
    now = at(2026, 11, 23, 8)
    running = {"An": {"minecraft": (1,), "roblox": (2,)}}  # together: counted once
    results, state = run_ticks(config, state_at(now, config), running, now, 100, 60.0)
    reminders = [(i + 1, r) for i, res in enumerate(results) for r in res.reminders]
    assert reminders == [
        (30, Reminder("An", "games", 30)),
        (60, Reminder("An", "games", 60)),
        (90, Reminder("An", "games", 90)),
    ]
    assert state.used("An", "category", "games") == pytest.approx(6000.0)


def test_health_reminder_needs_covered_use() -> None:
    """No reminder when only an app outside the limit runs, or nothing runs."""
    config = make(child='preset = "vn-decree-147"\n')
    now = at(2026, 11, 23, 8)
    state = state_at(now, config, category__games=29 * 60)
    for running in ({}, {"An": {"chrome": (3,)}}):
        result, _ = tick(config, state, running, now, 120.0)
        assert result.reminders == ()
    result, _ = tick(config, state, MC, now, 120.0)
    assert result.reminders == (Reminder("An", "games", 30),)


# --- each, bonus, pause, always-allowed ----------------------------------------------------------

EACH = """
[child.limits.games]
daily = 60
each = 20
"""


def test_each_limits_every_app_of_the_category() -> None:
    """each = 20: a game with 20 minutes is closed, another game still runs."""
    config = make(EACH)
    now = at(2026, 11, 23, 10)
    state = state_at(now, config, app__minecraft=1200, category__games=1200, total__total=1200)
    running = {"An": {"minecraft": (1,), "roblox": (2,)}}
    result, _ = tick(config, state, running, now, 0.0)
    assert result.closes == (
        Close("An", "minecraft", "minecraft", "budget", (1,), at(2026, 11, 24)),
    )
    mc, rb = limit_row(result, "An", "minecraft"), limit_row(result, "An", "roblox")
    assert (mc.kind, mc.state, mc.limit_seconds) == ("app", "blocked", 1200)
    assert (rb.state, rb.left_seconds, rb.limit_seconds) == ("ok", 1200, 1200)
    assert limit_row(result, "An", "games").left_seconds == 2400


def test_each_rows_only_for_used_or_running_apps() -> None:
    """Implicit per-app rows appear once an app runs or has been used today."""
    config = make(EACH)
    now = at(2026, 11, 23, 10)
    ids = [r.id for r in decide(config, state_at(now, config), {}, now)[0].limits]
    assert ids == ["games"]
    used = state_at(now, config, app__roblox=5.0)
    ids = [r.id for r in decide(config, used, MC, now)[0].limits]
    assert ids == ["games", "minecraft", "roblox"]


def test_own_app_limit_wins_over_each() -> None:
    """An app's own limit replaces the category's `each` for that app."""
    config = make(EACH + "\n[child.limits.roblox]\ndaily = 45\n")
    keys = [(lim.key, lim.implicit) for lim in child_limits(config, config.children[0])]
    assert ("roblox", False) in keys and ("roblox", True) not in keys
    now = at(2026, 11, 23, 10)
    r = row(config, state_at(now, config), {"An": {"roblox": (1,)}}, now, "roblox")
    assert r.limit_seconds == 45 * 60


def test_decree_147_each_game_60_minutes() -> None:
    """The vn-decree-147 preset: one game stops at 60 minutes while games have 120 left."""
    config = make(child='preset = "vn-decree-147"\n')
    now = at(2026, 11, 23, 10)
    state = state_at(now, config, app__minecraft=3599.0, category__games=3599.0)
    result, _ = tick(config, state, MC, now, 1.0)
    assert [(c.app, c.limit) for c in result.closes] == [("minecraft", "minecraft")]
    assert limit_row(result, "An", "games").left_seconds == 7200


@pytest.mark.parametrize(
    ("bonus", "expected"),
    [
        ({}, ("blocked", 0, 0)),
        ({("An", "total"): 600.0}, ("warning", 600, 600)),
        ({("An", ALL): 600.0}, ("warning", 600, 600)),
        ({("An", "total"): 300.0, ("An", ALL): 300.0}, ("warning", 600, 600)),
        ({("An", "total"): 3600.0}, ("ok", 3600, 3600)),
        ({("An", "games"): 600.0}, ("blocked", 0, 0)),
        ({("Bình", ALL): 600.0}, ("blocked", 0, 0)),
    ],
    ids=["none", "for-the-key", "for-all", "both-add-up", "an-hour", "other-key", "other-child"],
)
def test_bonus(bonus: dict[tuple[str, str], float], expected: tuple[str, int, int]) -> None:
    """Bonus seconds for a key or for "*" add to that child's budget."""
    config = make("[child.limits.total]\ndaily = 60\n")
    now = at(2026, 11, 23, 10)
    state = state_at(now, config, total__total=3600)
    state.bonus.update(bonus)
    r = row(config, state, MC, now, "total")
    assert (r.state, r.left_seconds, r.bonus_seconds) == expected


def test_bonus_for_all_reaches_every_limit() -> None:
    """A "*" bonus opens a spent category limit too."""
    config = make("[child.limits.games]\ndaily = 10\n[child.limits.total]\ndaily = 10\n")
    now = at(2026, 11, 23, 10)
    state = state_at(now, config, total__total=600, category__games=600)
    state.bonus[("An", ALL)] = 1200.0
    result, _ = tick(config, state, MC, now, 0.0)
    assert result.closes == ()
    assert [r.left_seconds for r in result.statuses[0].limits] == [1200, 1200]


def test_pause_closes_nothing_and_shows_ok() -> None:
    """A paused child: every limit ok, no closes or warnings, time still recorded."""
    config = make("[child.limits.total]\ndaily = 0\n[child.limits.games]\ndaily = 10\n")
    now = at(2026, 11, 23, 10)
    state = state_at(now, config, category__games=590)
    state.paused.add("An")
    result, after = tick(config, state, MC, now, 60.0)
    assert result.closes == () and result.warnings == ()
    (status,) = result.statuses
    assert status.paused
    assert [(r.state, r.reason, r.until) for r in status.limits] == [("ok", None, None)] * 2
    assert after.used("An", "category", "games") == 650.0
    state.paused.clear()
    result, _ = tick(config, state, MC, now, 60.0)
    assert [c.limit for c in result.closes] == ["total"]


def test_always_allowed_apps_never_count_or_close() -> None:
    """An always-allowed app runs on with a spent total and adds no time."""
    config = make("[child.limits.total]\ndaily = 0\n", child='always_allowed = ["calc"]\n')
    now = at(2026, 11, 23, 10)
    running = running_of(config, proc(5, "calc", "an"))
    result, after = tick(config, state_at(now, config), running, now, 60.0)
    assert running == {} and result.closes == () and result.usage == {}
    assert after.usage == {}
    running = running_of(config, proc(5, "calc", "an"), proc(6, "minecraft", "an"))
    result, _ = tick(config, state_at(now, config), running, now, 60.0)
    assert [(c.app, c.pids) for c in result.closes] == [("minecraft", (6,))]
    assert result.usage.keys() == {(MON, "An", "total", "total"), (MON, "An", "app", "minecraft"),
                                   (MON, "An", "category", "games")}


def test_children_are_counted_and_closed_separately() -> None:
    """Two children on one machine: each child's own processes, usage and closes."""
    config = make(
        "[child.limits.total]\ndaily = 0\n",
        more="""
        [[child]]
        name = "Bình"
        accounts = ["binh"]
        [child.limits.games]
        daily = 60
        """,
    )
    now = at(2026, 11, 23, 10)
    running = running_of(
        config,
        proc(1, "minecraft", "an"),
        proc(2, "minecraft", "PC\\binh"),
        proc(3, "roblox", "binh"),
        proc(4, "roblox", "chi"),
    )
    assert running == {"An": {"minecraft": (1,)}, "Bình": {"minecraft": (2,), "roblox": (3,)}}
    result, after = tick(config, DayState(MON), running, now, 60.0)
    assert result.closes == (Close("An", "minecraft", "total", "budget", (1,), None),)
    assert after.used("An", "total", "total") == 60.0
    assert after.used("Bình", "category", "games") == 60.0
    assert after.used("An", "category", "games") == 60.0
    assert after.used("Bình", "app", "roblox") == 60.0 and after.used("An", "app", "roblox") == 0
    binh = limit_row(result, "Bình", "games")
    assert (binh.state, binh.left_seconds) == ("ok", 3540)


@pytest.mark.parametrize(
    ("limits", "expected"),
    [
        (
            '[child.limits.games]\ndaily = 10\n[child.limits.total]\nallowed = ["08:00-20:00"]\n',
            [
                Close("An", "chrome", "total", "window", (7,), at(2026, 11, 24, 8)),
                Close("An", "minecraft", "games", "budget", (1, 2, 3), at(2026, 11, 24)),
            ],
        ),
        (
            '[child.limits.total]\nallowed = ["08:00-20:00"]\n[child.limits.games]\ndaily = 10\n',
            [
                Close("An", "chrome", "total", "window", (7,), at(2026, 11, 24, 8)),
                Close("An", "minecraft", "total", "window", (1, 2, 3), at(2026, 11, 24, 8)),
            ],
        ),
    ],
    ids=["games-first", "total-first"],
)
def test_closes_list_pids_and_first_blocking_limit(limits: str, expected: list[Close]) -> None:
    """Each running app covered by a blocked limit closes once, with the first such limit."""
    config = make(limits)
    now = at(2026, 11, 23, 21)
    running = running_of(
        config,
        proc(3, "minecraft", "an"),
        proc(1, "minecraft.exe", "an"),
        proc(2, "Minecraft", "an"),
        proc(7, "chrome", "an"),
    )
    state = state_at(now, config, category__games=600)
    result, _ = tick(config, state, running, now, 0.0)
    assert list(result.closes) == expected


# --- day boundaries -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("day_starts", "now", "split"),
    [
        ("00:00", at(2026, 11, 23, 0, 0, 30), {dt.date(2026, 11, 22): 30.0, MON: 30.0}),
        ("04:00", at(2026, 11, 23, 4, 0, 20), {dt.date(2026, 11, 22): 40.0, MON: 20.0}),
        ("04:00", at(2026, 11, 23, 0, 0, 30), {dt.date(2026, 11, 22): 60.0}),
    ],
    ids=["midnight", "04h", "midnight-is-not-a-boundary-at-04h"],
)
def test_tick_across_day_starts_splits_usage(
    day_starts: str, now: dt.datetime, split: dict[dt.date, float]
) -> None:
    """Usage before day_starts goes to the old day; only the new day's part enters the state."""
    config = make("[child.limits.total]\ndaily = 60\n", settings=f'day_starts = "{day_starts}"\n')
    state = DayState(day_of(now, config.settings.day_starts))
    result, after = tick(config, state, MC, now, 60.0)
    totals = {d: s for (d, _c, kind, _i), s in result.usage.items() if kind == "total"}
    assert totals == split
    assert after.used("An", "total", "total") == split.get(state.day, 0.0)
    assert result.day == state.day


# --- DST ----------------------------------------------------------------------------------------

BERLIN_NIGHT = '[child.limits.total]\nallowed = ["01:00-04:00"]\n'


@pytest.mark.parametrize(
    ("now", "expected"),
    [
        (at(2026, 10, 25, 0, 30, tz=BERLIN), ("blocked", at(2026, 10, 25, 1, tz=BERLIN), None)),
        (at(2026, 10, 25, 1, 30, tz=BERLIN), ("ok", None, 12600)),
        (at(2026, 10, 25, 2, 30, tz=BERLIN, fold=0), ("ok", None, 9000)),
        (at(2026, 10, 25, 2, 30, tz=BERLIN, fold=1), ("ok", None, 5400)),
        (at(2026, 10, 25, 3, 55, tz=BERLIN), ("warning", None, 300)),
        (at(2026, 10, 25, 4, 30, tz=BERLIN), ("blocked", at(2026, 10, 26, 1, tz=BERLIN), None)),
        (at(2026, 3, 29, 1, 30, tz=BERLIN), ("ok", None, 5400)),
        (at(2026, 3, 29, 3, 30, tz=BERLIN), ("ok", None, 1800)),
    ],
    ids=[
        "fall-back-before",
        "fall-back-01h30-4h-window",
        "fall-back-first-02h30",
        "fall-back-second-02h30",
        "fall-back-03h55",
        "fall-back-after",
        "spring-forward-01h30-2h-window",
        "spring-forward-03h30",
    ],
)
def test_window_on_dst_days(
    now: dt.datetime, expected: tuple[str, dt.datetime | None, int | None]
) -> None:
    """A 01:00-04:00 window lasts 4 real hours on the 25-hour day and 2 on the 23-hour day."""
    config = make(BERLIN_NIGHT)
    r = row(config, state_at(now, config), MC, now, "total")
    assert (r.state, r.until, r.left_seconds) == expected


@pytest.mark.parametrize(
    ("start", "hours"),
    [(at(2026, 10, 25, tz=BERLIN), 25), (at(2026, 3, 29, tz=BERLIN), 23),
     (at(2026, 11, 23, tz=BERLIN), 24)],
    ids=["25-hour-day", "23-hour-day", "ordinary-day"],
)
def test_dst_day_counts_real_seconds(start: dt.datetime, hours: int) -> None:
    """Hourly ticks through a whole DST day add up to its real length, all in that budget day."""
    config = make("[child.limits.total]\ndaily = 60\n")
    day, midnight = start.date(), start + dt.timedelta(days=1)
    results, state = run_ticks(config, DayState(day), MC, start, hours - 1, 3600.0)
    assert state.used("An", "total", "total") == (hours - 1) * 3600.0
    budget = limit_row(results[-1], "An", "total")
    assert (budget.state, budget.until) == ("blocked", midnight)
    # The last hour ends at the next midnight: it is counted for `day`, outside the new state.
    last = start.astimezone(dt.UTC) + dt.timedelta(hours=hours)
    assert last.astimezone(BERLIN) == midnight
    result, fresh = tick(config, DayState(midnight.date()), MC, last.astimezone(BERLIN), 3600.0)
    assert result.usage[(day, "An", "total", "total")] == 3600.0
    assert fresh.usage == {}
