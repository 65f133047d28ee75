"""Properties of accounting and decisions over random running sets, spans, splits and zones."""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from functools import cache

from hypothesis import given, settings
from hypothesis import strategies as st

from rules.decisions import decide, tick
from rules.limits import ALL
from rules.match import Running
from rules.model import Config, DayState, LimitKind
from rules.timeutil import day_of, day_segments
from tests.support.fakes import BERLIN, HCM, NEW_YORK, cfg

PROFILE = settings(deadline=None, max_examples=200)

APPS = ("minecraft", "roblox", "chrome", "calc")
CATEGORY = {"minecraft": "games", "roblox": "games", "chrome": "browsers", "calc": None}
CHILDREN = ("An", "Bình")


@cache
def config_for(day_starts: int) -> Config:
    """Two children with budgets, windows across midnight, `each` and weekend values."""
    return cfg(
        f"""
        [settings]
        day_starts = "{day_starts // 60:02d}:{day_starts % 60:02d}"

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
        names = ["calc"]

        [[child]]
        name = "An"
        accounts = ["an"]

        [child.limits.games]
        daily = 60
        weekend = 90
        each = 20
        allowed = ["08:00-22:00"]

        [child.limits.total]
        daily = 120
        days = {{ fri = 150 }}
        allowed = ["22:00-02:00", "06:00-20:00"]
        allowed_days = {{ sat = ["07:00-23:30"] }}

        [[child]]
        name = "Bình"
        accounts = ["binh"]
        preset = "age-6-11"

        [child.limits.roblox]
        daily = 30
        """
    )


# Instants near the DST changes of the three zones, or anywhere in 2026.
DST_CHANGES = [
    dt.datetime(2026, 3, 29, 1, tzinfo=dt.UTC),
    dt.datetime(2026, 10, 25, 1, tzinfo=dt.UTC),
    dt.datetime(2026, 3, 8, 7, tzinfo=dt.UTC),
    dt.datetime(2026, 11, 1, 6, tzinfo=dt.UTC),
]
near_dst = st.builds(
    lambda base, us: base + dt.timedelta(microseconds=us),
    st.sampled_from(DST_CHANGES),
    st.integers(-2 * 86_400_000_000, 2 * 86_400_000_000),
)
anywhere = st.builds(
    lambda us: dt.datetime(2026, 1, 1, tzinfo=dt.UTC) + dt.timedelta(microseconds=us),
    st.integers(0, 365 * 86_400_000_000),
)
instants = st.one_of(near_dst, anywhere)
zones = st.sampled_from([HCM, BERLIN, NEW_YORK])
day_starts = st.one_of(st.sampled_from([0, 240, 150, 1439]), st.integers(0, 1439))
running_sets = st.fixed_dictionaries(
    {child: st.frozensets(st.sampled_from(APPS)) for child in CHILDREN}
).map(
    lambda d: {c: {a: (i + 1,) for i, a in enumerate(sorted(apps))} for c, apps in d.items()}
)
# Pieces of a span in whole microseconds (up to 6 hours each), so instants are exact.
pieces = st.lists(st.integers(0, 6 * 3_600_000_000), min_size=1, max_size=12)

Key = tuple[dt.date, str, LimitKind, str]


def one_tick(config: Config, running: Running, now: dt.datetime, elapsed: float) -> dict:
    """Usage of a single tick, with the state for `now`'s day."""
    state = DayState(day_of(now, config.settings.day_starts))
    result, _ = tick(config, state, running, now, elapsed)
    return result.usage


@PROFILE
@given(instants, zones, day_starts, running_sets, pieces)
def test_split_ticks_count_the_same_as_one_tick(
    end: dt.datetime, tz: dt.tzinfo, starts: int, running: Running, parts: list[int]
) -> None:
    """Many small ticks add up, per day and key, to one big tick: nothing twice, nothing lost."""
    config = config_for(starts)
    total_us = sum(parts)
    start = end - dt.timedelta(microseconds=total_us)
    big = one_tick(config, running, end.astimezone(tz), total_us / 1e6)

    small: dict[Key, float] = defaultdict(float)
    cursor = start
    state: DayState | None = None
    for us in parts:
        cursor = cursor + dt.timedelta(microseconds=us)
        now = cursor.astimezone(tz)
        day = day_of(now, config.settings.day_starts)
        if state is None or state.day != day:
            state = DayState(day)
        result, state = tick(config, state, running, now, us / 1e6)
        for key, seconds in result.usage.items():
            small[key] += seconds
        for (d, child, kind, ident), seconds in result.usage.items():
            if d == day:
                assert state.used(child, kind, ident) >= seconds - 1e-9

    assert set(small) == set(big)
    for key, seconds in big.items():
        assert abs(small[key] - seconds) <= 1e-6, key


@PROFILE
@given(instants, zones, day_starts, running_sets, st.floats(0, 3 * 86400, allow_nan=False))
def test_union_total_is_elapsed_and_bounds_everything(
    end: dt.datetime, tz: dt.tzinfo, starts: int, running: Running, elapsed: float
) -> None:
    """Total grows by exactly `elapsed` when anything runs; no key grows by more than total."""
    config = config_for(starts)
    usage = one_tick(config, running, end.astimezone(tz), elapsed)
    per_child: dict[str, dict[tuple[str, str], float]] = defaultdict(lambda: defaultdict(float))
    for (_day, child, kind, ident), seconds in usage.items():
        assert seconds >= 0
        per_child[child][(kind, ident)] += seconds
    for child in CHILDREN:
        keys = per_child.get(child, {})
        apps = running.get(child, {}) if elapsed > 0 else {}
        if apps:
            assert abs(keys[("total", "total")] - elapsed) <= 1e-6
        total = keys.get(("total", "total"), 0.0)
        for (kind, _ident), seconds in keys.items():
            assert seconds <= total + 1e-9, kind
        categories = {CATEGORY[a] for a in apps} - {None}
        expected = {("app", a) for a in apps} | {("category", c) for c in categories}
        assert set(keys) == (expected | {("total", "total")} if apps else set())


@PROFILE
@given(instants, zones, st.floats(0, 3 * 86400, allow_nan=False, allow_infinity=False),
       day_starts)
def test_day_segments_sum_to_elapsed(
    end: dt.datetime, tz: dt.tzinfo, elapsed: float, starts: int
) -> None:
    """Segments are consecutive budget days, none negative, summing to the elapsed span."""
    now = end.astimezone(tz)
    segments = day_segments(now, elapsed, starts)
    assert abs(sum(s for _, s in segments) - elapsed) <= 1e-6
    assert all(s >= 0 for _, s in segments)
    days = [d for d, _ in segments]
    assert days == [days[0] + dt.timedelta(days=i) for i in range(len(days))]
    assert days[-1] == day_of(now, starts)


usages = st.dictionaries(
    st.tuples(
        st.sampled_from(CHILDREN),
        st.sampled_from(
            [("total", "total"), ("category", "games"), ("category", "social"),
             ("app", "minecraft"), ("app", "roblox"), ("app", "chrome")]
        ),
    ).map(lambda t: (t[0], t[1][0], t[1][1])),
    st.floats(0, 2 * 86400, allow_nan=False),
)
bonuses = st.dictionaries(
    st.tuples(st.sampled_from(CHILDREN),
              st.sampled_from(["total", "games", "minecraft", "roblox", "social", ALL])),
    st.floats(0, 4 * 3600, allow_nan=False),
    max_size=3,
)


@PROFILE
@given(instants, zones, day_starts, running_sets, usages, bonuses,
       st.sampled_from(CHILDREN), st.sampled_from(["total", "games", "minecraft", ALL]),
       st.floats(1, 4 * 3600, allow_nan=False))
def test_left_never_negative_and_bonus_never_takes_time(
    end: dt.datetime,
    tz: dt.tzinfo,
    starts: int,
    running: Running,
    usage: dict,
    bonus: dict,
    child: str,
    target: str,
    extra: float,
) -> None:
    """left_seconds is never negative, and more bonus never leaves less time or more blocks."""
    config = config_for(starts)
    now = end.astimezone(tz)
    day = day_of(now, config.settings.day_starts)
    before = decide(config, DayState(day, usage=dict(usage), bonus=dict(bonus)), running, now)
    more = dict(bonus)
    more[(child, target)] = more.get((child, target), 0.0) + extra
    after = decide(config, DayState(day, usage=dict(usage), bonus=more), running, now)
    rank = {"ok": 0, "warning": 1, "blocked": 2}
    for b_status, a_status in zip(before, after, strict=True):
        assert [r.id for r in b_status.limits] == [r.id for r in a_status.limits]
        for b, a in zip(b_status.limits, a_status.limits, strict=True):
            for r in (a, b):
                assert r.left_seconds is None or r.left_seconds >= 0
            if b.left_seconds is not None:
                assert a.left_seconds is not None and a.left_seconds >= b.left_seconds
            assert rank[a.state] <= rank[b.state]
            assert a.bonus_seconds >= b.bonus_seconds
