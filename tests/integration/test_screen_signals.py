"""The real agent (`playclock agent`) hears logind's change signals (dbusmock's logind on a
private bus): a lock, an unlock, a new session and a re-lock after an unlock are acted on at
once, not at the next poll. The poll is 10 s (the longest allowed) and every change is made
just after a poll, so only a signal can explain a reaction within 8 s."""

from __future__ import annotations

import getpass
import os
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.support.agentproc import AgentProcess, free_port, limit_row
from tests.support.logind import MockLogind, mock_logind, mock_logind_unavailable
from tests.support.waiting import wait_until

pytestmark = pytest.mark.skipif(
    mock_logind_unavailable() is not None, reason=str(mock_logind_unavailable())
)

POLL = 10
REACT = 8.0  # before the next poll (10 s); generous for a loaded 2-core machine

RULES = """\
version = 1

[settings]
poll_seconds = {poll}
listen = "127.0.0.1:{port}"

[[child]]
name = "An"
accounts = ["{user}"]
screen_action = "lock"

[child.limits.screen]
daily = {daily}
"""


@pytest.fixture
def logind() -> Iterator[MockLogind]:
    with mock_logind() as bus:
        yield bus


def _agent(tmp_path: Path, logind: MockLogind, daily: int) -> AgentProcess:
    port = free_port()
    text = RULES.format(poll=POLL, port=port, user=getpass.getuser(), daily=daily)
    agent = AgentProcess.create(tmp_path, text)
    agent.port = port
    agent.env = dict(logind.env)
    return agent


def _screen(agent: AgentProcess) -> dict[str, Any]:
    return limit_row(agent.api_status(), "screen")


def _ticks(agent: AgentProcess) -> int:
    health = agent.health()
    assert health is not None, agent.output()
    return int(health["ticks"])


def _after_a_poll(agent: AgentProcess) -> int:
    """Wait for the next scheduled tick (nothing else changes meanwhile); its count."""
    seen = _ticks(agent)
    return wait_until(
        lambda: _ticks(agent) if _ticks(agent) > seen else 0, POLL + 10, 0.05, "a poll"
    )


def _reacts(agent: AgentProcess, change: Callable[[], object], done: Callable[[], bool]) -> None:
    ticks = _after_a_poll(agent)
    change()
    start = time.monotonic()
    wait_until(done, REACT, 0.05, "the agent acts on the change before its next poll")
    assert time.monotonic() - start < REACT
    assert _ticks(agent) <= ticks + 2  # a tick of its own, not a burst of them


def test_lock_unlock_and_a_new_session_are_seen_at_once(
    tmp_path: Path, logind: MockLogind
) -> None:
    logind.add_session("c2", "seat0", os.getuid(), getpass.getuser(), True)
    agent = _agent(tmp_path, logind, daily=120)
    agent.start()
    try:
        wait_until(lambda: _screen(agent)["active"], POLL + 10, 0.1, "counting")
        _reacts(
            agent,
            lambda: logind.set_session("c2", LockedHint=True),
            lambda: not _screen(agent)["active"],
        )
        _reacts(
            agent,
            lambda: logind.set_session("c2", LockedHint=False),
            lambda: bool(_screen(agent)["active"]),
        )
        logind.set_session("c2", Active=False)  # switched away: seen at the latest next poll
        wait_until(lambda: not _screen(agent)["active"], POLL + 10, 0.1, "switched away")
        _reacts(
            agent,
            lambda: logind.add_session("c7", "seat0", os.getuid(), getpass.getuser(), True),
            lambda: bool(_screen(agent)["active"]),
        )
    finally:
        agent.terminate()


def test_an_unlock_while_blocked_is_locked_again_at_once(
    tmp_path: Path, logind: MockLogind
) -> None:
    logind.add_session("c2", "seat0", os.getuid(), getpass.getuser(), True)
    agent = _agent(tmp_path, logind, daily=0)  # no computer time today: blocked from the start
    agent.start()
    try:
        wait_until(lambda: logind.calls("c2", "Lock"), POLL + 10, 0.1, "the first lock")
        ticks = _ticks(agent)
        logind.set_session("c2", LockedHint=True)  # the desktop shows its lock screen
        wait_until(lambda: _ticks(agent) > ticks, REACT, 0.05, "a tick on the signal")
        assert len(logind.calls("c2", "Lock")) == 1
        _reacts(
            agent,
            lambda: logind.set_session("c2", LockedHint=False),  # the child unlocks
            lambda: len(logind.calls("c2", "Lock")) == 2,
        )
        assert [e.detail["session"] for e in agent.events("screen_lock")] == ["c2", "c2"]
    finally:
        agent.terminate()
