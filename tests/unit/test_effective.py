"""Each limit's effective state: the tightest of every limit that covers it (issue 14, item 8)."""

from __future__ import annotations

import datetime as dt

from rules.decisions import decide
from rules.effective import caps, effective
from rules.limits import Limit, child_limits
from rules.model import DayState, LimitSpec, LimitStatus
from tests.support.fakes import at
from tests.unit.test_engine import make

LIMITS = """
[child.limits.minecraft]
daily = 2

[child.limits.games]
daily = 60

[child.limits.total]
daily = 10
"""


def rows(state: DayState, now: dt.datetime, running: dict | None = None) -> dict[str, LimitStatus]:
    (status,) = decide(make(LIMITS), state, running or {}, now)
    return {r.id: r for r in status.limits}


def test_a_blocked_total_blocks_an_app_with_its_own_time_left_even_when_nothing_runs() -> None:
    now = at(2026, 11, 23, 15, 0)
    # Minecraft: 2 min + a 5 min grant, 4 used -> 3 left; total: 10 min, all used.
    state = DayState(
        day=now.date(),
        usage={("An", "app", "minecraft"): 240.0, ("An", "total", "total"): 600.0},
        bonus={("An", "minecraft"): 300.0},
    )
    got = rows(state, now)
    mc = got["minecraft"]
    assert (mc.state, mc.left_seconds) == ("warning", 180)  # its own limit alone
    assert (mc.effective_state, mc.effective_left_seconds, mc.limited_by) == ("blocked", 0, "total")
    assert got["total"].effective_state == "blocked" and got["total"].limited_by is None
    assert mc.as_json()["limited_by"] == "total"


def test_time_left_is_the_least_of_every_covering_limit() -> None:
    now = at(2026, 11, 23, 15, 0)
    state = DayState(
        day=now.date(),
        usage={("An", "app", "minecraft"): 0.0, ("An", "total", "total"): 540.0},
        bonus={("An", "minecraft"): 3600.0},
    )
    got = rows(state, now)
    assert got["minecraft"].left_seconds == 3720
    assert (got["minecraft"].effective_left_seconds, got["minecraft"].limited_by) == (60, "total")
    assert (got["games"].effective_left_seconds, got["games"].limited_by) == (60, "total")
    assert got["games"].effective_state == "warning"  # 1 minute left on total


def test_a_narrower_limit_never_caps_a_wider_one() -> None:
    now = at(2026, 11, 23, 15, 0)
    state = DayState(day=now.date(), usage={("An", "app", "minecraft"): 120.0})
    got = rows(state, now)
    assert got["minecraft"].effective_state == "blocked"
    # Games is capped by the total's 10 minutes, never by Minecraft's spent 2.
    assert got["games"].effective_state != "blocked" and got["games"].limited_by == "total"
    assert got["total"].effective_state != "blocked" and got["total"].limited_by is None


def _status(ident: str, kind: str, left: int, state: str = "ok") -> LimitStatus:
    return LimitStatus(
        id=ident, kind=kind, title=ident, used_seconds=0.0, limit_seconds=3600,  # type: ignore[arg-type]
        bonus_seconds=0, left_seconds=left, state=state, reason=None, until=None,  # type: ignore[arg-type]
    )  # fmt: skip


def test_any_limit_kind_over_the_whole_session_caps_everything_and_only_its_peers_cap_it() -> None:
    """Generic over kinds: `screen` (issue 13) caps the total, the total never caps `screen`."""
    config = make(LIMITS)
    spec = LimitSpec(key="screen", daily=30)
    screen = Limit(spec, "screen", "Screen", "screen")  # type: ignore[arg-type]
    (child,) = config.children
    limits = [*child_limits(config, child), screen]
    by_key = {lim.key: lim for lim in limits}
    assert caps(config, screen, by_key["total"]) and caps(config, screen, by_key["minecraft"])
    assert not caps(config, by_key["total"], screen)
    rows = [
        _status("minecraft", "app", 600),
        _status("total", "total", 900),
        _status("screen", "screen", 0, "blocked"),
    ]
    got = {r.id: r for r in effective(config, limits, rows)}
    assert {r.effective_state for r in got.values()} == {"blocked"}
    assert got["minecraft"].limited_by == "screen" and got["total"].limited_by == "screen"
    rows[2] = _status("screen", "screen", 300)
    got = {r.id: r for r in effective(config, limits, rows)}
    assert (got["total"].effective_left_seconds, got["total"].limited_by) == (300, "screen")
    assert got["screen"].limited_by is None  # 900 s of total never cap the screen
