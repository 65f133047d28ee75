"""`screen` in the agent's loop, with FakeSessions: counting, idle from the tray (and a tray
that goes quiet), the countdown, lock at every poll, logout then kill, notify, events."""

from __future__ import annotations

from pathlib import Path

import pytest

from agent.platform.base import PlatformError
from agent.platform.sessions.base import SessionInfo
from agent.testing import FakeSessions
from tests.unit.test_service import Harness, game

SCREEN_RULES = """\
version = 1

[settings]
poll_seconds = 1
warn_minutes = [5, 1]
grace_seconds = 7
idle_minutes = 1

[apps.fakegame]
title = "Fake Game"
names = ["fakegame"]

[[child]]
name = "An"
accounts = ["an"]
screen_action = "{action}"

[child.limits.screen]
daily = {daily}
"""


def make(tmp_path: Path, daily: int = 10, action: str = "lock") -> tuple[Harness, FakeSessions]:
    fake = FakeSessions([SessionInfo("c1", "an", 1001, "seat0", True, False, 0.0, "x11")])
    h = Harness(tmp_path, SCREEN_RULES.format(daily=daily, action=action), sessions=fake)
    h.agent.start()
    return h, fake


def used(h: Harness) -> float:
    return float(h.limit("screen")["used_seconds"])


def test_counts_the_childs_active_session(tmp_path: Path) -> None:
    h, fake = make(tmp_path)
    h.run(30)
    assert used(h) == 30 and h.limit("screen")["kind"] == "screen"
    assert h.limit("screen")["active"] is True
    fake.add(SessionInfo("c9", "binh", 1002, "seat0", True, False, 0.0))  # not a child
    fake.update("c1", locked=True)
    h.run(10)
    assert used(h) == 30 and h.limit("screen")["active"] is False
    fake.update("c1", locked=False, active=False)  # switched away (fast user switching)
    h.run(10)
    assert used(h) == 30


def test_tray_idle_reports_stop_the_count_after_the_grace_and_quiet_tray_is_active(
    tmp_path: Path,
) -> None:
    h, _fake = make(tmp_path)
    for _ in range(90):  # the tray reports growing idle every second
        h.agent.idle_reports.report("an", float(_), h.steady)
        h.run(1)
    assert used(h) == pytest.approx(60, abs=1)  # the first idle minute counted, then stopped
    h.agent.idle_reports.report("an", 0.0, h.steady)  # input again
    h.run(10)
    assert used(h) == pytest.approx(70, abs=1)
    h.agent.idle_reports.report("an", 500.0, h.steady)
    h.run(5)
    assert used(h) == pytest.approx(70, abs=1)
    h.run(40)  # the tray went quiet (killed): after 30 s its session counts as in use
    assert used(h) == pytest.approx(70 + 15, abs=2)


def test_os_idle_hint_and_a_running_game(tmp_path: Path) -> None:
    h, fake = make(tmp_path)
    fake.update("c1", idle_seconds=600.0)
    h.run(10)
    assert used(h) == 0
    h.procs.add(game(100))  # a game left open keeps counting
    h.run(10)
    assert used(h) == 10


@pytest.mark.parametrize(("action", "promised"), [("lock", "close"), ("notify", "notify")])
def test_without_a_session_source_the_countdown_promises_no_lock(
    tmp_path: Path, action: str, promised: str
) -> None:
    """The family test: with no logind the toast said the screen would lock, and nothing did;
    the countdown promises what happens there: the tracked apps close (or, for "notify",
    nothing)."""
    h = Harness(tmp_path, SCREEN_RULES.format(daily=2, action=action), sessions=None)
    h.agent.start()
    h.procs.add(game(100))  # with no sessions, computer time counts while a tracked app runs
    h.run(61)
    (countdown,) = h.events("screen_countdown")
    assert countdown.detail["action"] == promised


def test_without_sessions_notify_closes_nothing(tmp_path: Path) -> None:
    """`screen_action = "notify"` is counting only, with or without sessions to lock."""
    h = Harness(tmp_path, SCREEN_RULES.format(daily=2, action="notify"), sessions=None)
    h.agent.start()
    h.procs.add(game(100))
    h.run(125)
    assert h.limit("screen")["state"] == "blocked"
    assert h.closer.closed == [] and h.events("close") == []


@pytest.mark.parametrize("source", ["none", "unreachable"])
def test_without_sessions_to_lock_a_blocked_screen_closes_the_games(
    tmp_path: Path, source: str
) -> None:
    """Family test: with no logind, computer time ran out and the child played on: nothing
    could lock, and nothing closed the game (the agent counted on past the budget)."""
    fake = FakeSessions([])
    if source == "unreachable":
        fake.broken = PlatformError("the system D-Bus is not reachable")
    rules = SCREEN_RULES.format(daily=2, action="lock")
    h = Harness(tmp_path, rules, sessions=None if source == "none" else fake)
    h.agent.start()
    h.procs.add(game(100))
    h.run(119)
    assert h.closer.closed == []
    h.run(1)
    assert h.limit("screen")["state"] == "blocked"
    assert h.closer.pids == [100]
    (close,) = h.events("close")
    assert (close.target, close.detail["limit"], close.detail["reason"]) == (
        "fakegame",
        "screen",
        "budget",
    )
    from tray.notify import notice_for

    notice = notice_for(close.as_json(), "An")
    assert notice is not None and notice.text.startswith(
        "Your computer time for today is used up."
    )
    h.procs.set([game(101)])  # started again: closed again
    h.run(1)
    assert h.closer.pids == [100, 101]
    h.agent.grant("An", "screen", 5, "parent")  # a grant opens it again
    h.procs.set([game(102)])
    h.run(1)
    assert 102 not in h.closer.pids


def test_warnings_countdown_then_lock_every_poll_and_events(tmp_path: Path) -> None:
    h, fake = make(tmp_path, daily=2)
    h.run(61)
    assert [e.detail["minutes"] for e in h.events("warning")] == [5, 1]
    (countdown,) = h.events("screen_countdown")
    assert countdown.child == "An" and countdown.detail["action"] == "lock"
    h.run(58)
    assert fake.calls == []
    h.run(1)  # the 120th second
    assert h.limit("screen")["state"] == "blocked"
    assert fake.calls == [("lock", "c1")]
    (lock,) = h.events("screen_lock")
    assert (lock.child, lock.target, lock.detail["reason"]) == ("An", "screen", "budget")
    h.run(5)  # stays locked: nothing more
    assert fake.calls == [("lock", "c1")]
    fake.update("c1", locked=False)  # the child unlocks: locked again at the next poll
    h.run(1)
    assert fake.calls == [("lock", "c1"), ("lock", "c1")]
    assert len(h.events("screen_lock")) == 2
    assert h.closer.closed == []  # no app is closed for `screen`


def test_after_a_grant_in_the_last_minute_the_next_last_minute_counts_down_again(
    tmp_path: Path,
) -> None:
    h, fake = make(tmp_path, daily=2)
    h.run(70)
    assert len(h.events("screen_countdown")) == 1
    h.agent.grant("An", "screen", 1, "parent")  # 50 s + 60 s left: no lock near
    h.run(40)
    assert len(h.events("screen_countdown")) == 1  # 70 s left: not the last minute yet
    h.run(11)
    (_first, second) = h.events("screen_countdown")
    assert second.detail["left_seconds"] == 60 and fake.calls == []
    h.run(55)
    assert fake.calls == []
    h.run(5)
    assert fake.calls == [("lock", "c1")]


def test_grant_reopens_and_pause_stops_the_lock(tmp_path: Path) -> None:
    h, fake = make(tmp_path, daily=1)
    h.run(61)
    assert fake.calls == [("lock", "c1")]
    h.agent.grant("An", "screen", 5, "parent")
    fake.update("c1", locked=False)
    h.run(5)
    assert fake.calls == [("lock", "c1")] and h.limit("screen")["state"] == "warning"
    h.agent.pause("An", True, "parent")
    h.run(400)
    assert fake.calls == [("lock", "c1")]


def test_logout_then_kill_when_the_session_survives(tmp_path: Path) -> None:
    h, fake = make(tmp_path, daily=1, action="logout")
    fake.survives_logout.add("c1")
    h.run(61)
    assert fake.calls == [("logout", "c1")]  # at the 60th second
    h.run(5)
    assert fake.calls == [("logout", "c1")]
    h.run(1)  # grace_seconds = 7
    assert fake.calls == [("logout", "c1"), ("kill", "c1")]
    events = h.events("screen_logout")
    assert [e.detail.get("forced", False) for e in events] == [False, True]


def test_notify_only_counts_and_tells(tmp_path: Path) -> None:
    h, fake = make(tmp_path, daily=1, action="notify")
    h.run(70)
    assert fake.calls == [] and len(h.events("screen_blocked")) == 1
    assert used(h) == 70  # still counted


def test_broken_session_source_falls_back_to_tracked_apps(tmp_path: Path) -> None:
    h, fake = make(tmp_path)
    fake.broken = PlatformError("the system D-Bus is not reachable")
    h.run(5)
    assert used(h) == 0
    h.procs.add(game(100))
    h.run(5)
    assert used(h) == 5
