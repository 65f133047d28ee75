"""The agent against a real D-Bus daemon with python-dbusmock's logind template: it sees the
child's session, counts active time, stops on IdleHint / LockedHint, calls Lock when the
budget runs out and again after an unlock, and TerminateSession then KillSession for
"logout". logind's change signals wake a waiter at once; without a bus there are none."""

from __future__ import annotations

import os
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from agent.platform.base import PlatformError
from agent.platform.sessions import session_changes
from agent.platform.sessions.linux import LogindChanges, LogindSessions
from tests.support.logind import MockLogind, mock_logind, mock_logind_unavailable
from tests.unit.test_service import Harness

pytestmark = pytest.mark.skipif(
    mock_logind_unavailable() is not None, reason=str(mock_logind_unavailable())
)

RULES = """\
version = 1

[settings]
warn_minutes = [1]
grace_seconds = 5
idle_minutes = 2

[[child]]
name = "An"
accounts = ["an"]
screen_action = "{action}"

[child.limits.screen]
daily = 3
"""


@pytest.fixture
def logind(monkeypatch: pytest.MonkeyPatch) -> Iterator[MockLogind]:
    with mock_logind() as bus:
        monkeypatch.setenv("DBUS_SYSTEM_BUS_ADDRESS", bus.address)
        bus.add_session("c2", "seat0", 1001, "an", True)
        bus.add_session("c3", "seat1", 1002, "binh", True)  # someone else's
        yield bus


def agent(tmp_path: Path, action: str = "lock") -> Harness:
    h = Harness(tmp_path, RULES.format(action=action), sessions=LogindSessions())
    h.agent.start()
    return h


def used(h: Harness) -> float:
    return float(h.limit("screen")["used_seconds"])


def test_counts_the_active_session_and_stops_on_idle_and_lock(
    tmp_path: Path, logind: MockLogind
) -> None:
    h = agent(tmp_path)
    h.run(20, step=2)
    assert used(h) == 20 and h.limit("screen")["active"]
    # The desktop says the session went idle 200 s ago: past the 2-minute grace.
    since = int((time.monotonic() - 200) * 1e6)
    logind.set_session("c2", IdleHint=True, IdleSinceHintMonotonic=since)
    h.run(10, step=2)
    assert used(h) == 20 and not h.limit("screen")["active"]
    logind.set_session("c2", IdleHint=False)
    h.run(10, step=2)
    assert used(h) == 30
    logind.set_session("c2", LockedHint=True)
    h.run(10, step=2)
    assert used(h) == 30
    logind.set_session("c2", LockedHint=False, Active=False)  # switched to another user
    h.run(10, step=2)
    assert used(h) == 30
    assert logind.calls("c2", "Lock") == [] and logind.calls("c3", "Lock") == []


def test_locks_when_the_budget_runs_out_and_again_after_an_unlock(
    tmp_path: Path, logind: MockLogind
) -> None:
    h = agent(tmp_path)
    h.run(179, step=1)
    assert logind.calls("c2", "Lock") == []
    h.run(1)
    assert h.limit("screen")["state"] == "blocked"
    assert len(logind.calls("c2", "Lock")) == 1
    # The mock's Lock only signals, like logind: the desktop sets LockedHint.
    logind.set_session("c2", LockedHint=True)
    h.run(5)
    assert len(logind.calls("c2", "Lock")) == 1
    logind.set_session("c2", LockedHint=False)  # the child unlocks
    h.run(1)
    assert len(logind.calls("c2", "Lock")) == 2
    assert logind.calls("c3", "Lock") == []  # another account's session is left alone
    assert [e.detail["session"] for e in h.events("screen_lock")] == ["c2", "c2"]


def test_logout_terminates_then_kills_a_session_that_survives(
    tmp_path: Path, logind: MockLogind
) -> None:
    h = agent(tmp_path, action="logout")
    h.run(180)
    assert logind.calls(None, "TerminateSession") == [("c2",)]
    assert logind.calls(None, "KillSession") == []
    h.run(5)  # the mock's session survives TerminateSession (as on some KDE set-ups)
    assert logind.calls(None, "KillSession") == [("c2", "all", 9)]
    assert [e.detail.get("forced", False) for e in h.events("screen_logout")] == [False, True]


def test_an_idle_inhibitor_keeps_an_idle_session_counting(
    tmp_path: Path, logind: MockLogind
) -> None:
    # dbusmock's Inhibit files every inhibitor under uid 1000.
    logind.add_session("c4", "seat2", 1000, "chi", True)
    h = Harness(
        tmp_path, RULES.format(action="notify").replace('"an"', '"chi"'), sessions=LogindSessions()
    )
    h.agent.start()
    since = int((time.monotonic() - 600) * 1e6)
    logind.set_session("c4", IdleHint=True, IdleSinceHintMonotonic=since)
    h.run(4, step=2)
    assert used(h) == 0
    fd = logind.inhibit("idle", "video player", "playing", "block")
    try:
        h.run(4, step=2)
        assert used(h) == 4
    finally:
        os.close(fd)


def test_change_signals_wake_a_waiter_at_once(logind: MockLogind) -> None:
    changes = LogindChanges()
    try:
        assert not changes.wait(0.3)  # nothing changed since the subscription
        for change in (
            lambda: logind.set_session("c2", LockedHint=True),
            lambda: logind.set_session("c2", IdleHint=True),
            lambda: logind.set_session("c2", Active=False),
            lambda: logind.add_session("c5", "seat0", 1001, "an", True),
            lambda: logind.remove_session("c5"),
        ):
            change()
            start = time.monotonic()
            assert changes.wait(10)
            assert time.monotonic() - start < 5
            assert not changes.wait(0.2)  # taken: one change wakes once
        logind.set_session("c2", Type="wayland")  # nothing `screen` looks at
        assert not changes.wait(1.0)
    finally:
        changes.close()


def test_without_a_reachable_bus_there_are_no_signals_and_polling_stays(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("DBUS_SYSTEM_BUS_ADDRESS", f"unix:path={tmp_path / 'no-bus'}")
    with pytest.raises(PlatformError, match="cannot hear logind's signals"):
        LogindChanges()
    assert session_changes(LogindSessions()) is None


def test_a_lost_bus_counts_as_a_change_and_closing_still_works() -> None:
    with mock_logind() as bus:
        changes = LogindChanges(bus=bus.address)
        assert not changes.wait(0.3)
    try:
        start = time.monotonic()
        assert changes.wait(10)  # the bus is gone: look now (and poll until it is back)
        assert time.monotonic() - start < 5
    finally:
        changes.close()
