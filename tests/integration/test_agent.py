"""The real agent (`playclock agent`) against real processes, with its real ledger and API."""

from __future__ import annotations

import contextlib
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.support.agentproc import (
    AgentProcess,
    child_of,
    limit_row,
    prefill_usage,
    unique_game_name,
)
from tests.support.waiting import wait_for_line, wait_until

POLL = 0.5
GRACE = 2.0
CLOSE_DEADLINE = POLL + GRACE + 1.0  # the brief's bound for closing a blocked game
SLEEP = shutil.which("sleep") or "/bin/sleep"
# The process name our `fakegame` app matches: unique to this run, so that other suites'
# `fakegame` processes on this machine (root's, too) are neither counted nor closed here.
GAME = unique_game_name()

# Ignores SIGTERM, says "ready", then idles; started with SIGTERM already ignored (below)
# so the agent cannot catch it before the handler is in place.
STUBBORN = f"""#!{sys.executable}
import signal, time
signal.signal(signal.SIGTERM, signal.SIG_IGN)
print("ready", flush=True)
while True:
    time.sleep(60)
"""

needs_root = pytest.mark.skipif(
    not hasattr(os, "geteuid") or os.geteuid() != 0, reason="needs root (another account)"
)

Spawn = Callable[..., "subprocess.Popen[str]"]
MakeAgent = Callable[..., AgentProcess]


@pytest.fixture
def game() -> Iterator[Path]:
    """The game (a copy of sleep named GAME) in a directory every account may enter."""
    path = Path(tempfile.mkdtemp(prefix="playclock-agent-"))
    os.chmod(path, 0o755)
    shutil.copy2(SLEEP, path / GAME)
    os.chmod(path / GAME, 0o755)
    yield path / GAME
    shutil.rmtree(path, ignore_errors=True)


@pytest.fixture
def stubborn(tmp_path: Path) -> Path:
    """The game as a Python script (named GAME) that ignores SIGTERM."""
    folder = tmp_path / "stubborn"
    folder.mkdir()
    path = folder / GAME
    path.write_text(STUBBORN, encoding="utf-8")
    path.chmod(0o755)
    return path


@pytest.fixture
def spawn() -> Iterator[Spawn]:
    """Start processes in their own session; every one is killed and reaped at the end."""
    started: list[subprocess.Popen[str]] = []

    def start(argv: list[str], **kwargs: Any) -> subprocess.Popen[str]:
        proc = subprocess.Popen([str(a) for a in argv], text=True, start_new_session=True, **kwargs)
        started.append(proc)
        return proc

    yield start
    for proc in started:
        with contextlib.suppress(ProcessLookupError, PermissionError):
            os.killpg(proc.pid, signal.SIGKILL)
        with contextlib.suppress(ProcessLookupError):
            proc.kill()
        proc.wait(timeout=10)


@pytest.fixture
def make_agent(tmp_path: Path) -> Iterator[MakeAgent]:
    """Agents on rules generated into tmp_path; any still running at the end are killed."""
    made: list[AgentProcess] = []

    def make(**rules: Any) -> AgentProcess:
        agent = AgentProcess.create(tmp_path, game_name=GAME, **rules)
        made.append(agent)
        return agent

    yield make
    for agent in made:
        agent.kill()


def wait_exit(proc: subprocess.Popen[str], timeout: float, agent: AgentProcess) -> float:
    """Wait for a game to be closed; returns when it ended (monotonic)."""
    try:
        proc.wait(timeout=timeout)
    except subprocess.TimeoutExpired:
        raise AssertionError(
            f"pid {proc.pid} still runs after {timeout:g} s\n{agent.output()}"
        ) from None
    return time.monotonic()


def ignore_sigterm() -> None:
    signal.signal(signal.SIGTERM, signal.SIG_IGN)


# -- closing ----------------------------------------------------------------------------------


def test_daily_zero_closes_the_game_and_each_relaunch(
    make_agent: MakeAgent, spawn: Spawn, game: Path
) -> None:
    agent = make_agent(daily=0).start()
    started = time.monotonic()
    first = spawn([game, "600"])
    ended = wait_exit(first, CLOSE_DEADLINE, agent)
    assert first.returncode == -signal.SIGTERM  # the polite close was enough
    assert ended - started <= CLOSE_DEADLINE

    # A relaunch while blocked is closed within about one poll.
    started = time.monotonic()
    second = spawn([game, "600"])
    ended = wait_exit(second, POLL + 1.0, agent)
    assert second.returncode == -signal.SIGTERM
    assert ended - started <= POLL + 1.0

    row = limit_row(agent.status())
    assert (row["state"], row["reason"], row["limit_seconds"]) == ("blocked", "budget", 0)
    closes = agent.events("close")
    closed = [pid for e in closes for pid in e.detail["pids"]]
    assert first.pid in closed and second.pid in closed
    assert {(e.child, e.target, e.detail["limit"]) for e in closes} == {("An", "fakegame", "games")}


def test_a_small_budget_lets_the_game_run_then_closes_it(
    make_agent: MakeAgent, spawn: Spawn, game: Path
) -> None:
    agent = make_agent(daily=1)
    prefill_usage(agent.data_dir, 55)  # 5 s of the minute left
    agent.start()
    assert limit_row(agent.api_status())["left_seconds"] == 5

    started = time.monotonic()
    proc = spawn([game, "600"])
    wait_until(
        lambda: child_of(agent.api_status())["running"] == ["fakegame"],
        5,
        message="the agent sees the game",
    )
    assert proc.poll() is None  # it is allowed to run while time is left
    ended = wait_exit(proc, 5 + CLOSE_DEADLINE, agent)
    ran = ended - started
    assert 3.5 <= ran <= 5 + CLOSE_DEADLINE, ran
    assert proc.returncode == -signal.SIGTERM

    row = limit_row(agent.api_status())
    assert (row["state"], row["reason"], row["left_seconds"]) == ("blocked", "budget", 0)
    assert 60 <= row["used_seconds"] <= 63
    (warning,) = agent.events("warning")
    assert (warning.child, warning.target, warning.detail["minutes"]) == ("An", "games", 1)
    (close,) = agent.events("close")
    assert close.detail["pids"] == [proc.pid] and close.detail["reason"] == "budget"


def test_a_process_ignoring_sigterm_is_killed_after_the_grace(
    make_agent: MakeAgent, spawn: Spawn, stubborn: Path
) -> None:
    agent = make_agent(daily=0).start()
    started = time.monotonic()
    proc = spawn([stubborn], stdout=subprocess.PIPE, preexec_fn=ignore_sigterm)
    assert wait_for_line(proc.stdout, 10) == "ready\n"  # type: ignore[arg-type]
    ended = wait_exit(proc, CLOSE_DEADLINE + 1.0, agent)
    died = time.time()
    assert proc.returncode == -signal.SIGKILL
    assert ended - started <= CLOSE_DEADLINE + 1.0  # + Python's start-up
    close = wait_until(lambda: agent.events("close"), 5)[0]
    assert close.detail["pids"] == [proc.pid]
    # SIGTERM first (logged as "close"), the kill only once the grace is over.
    assert died - close.ts.timestamp() >= GRACE - 0.25
    kill = wait_until(lambda: agent.events("kill"), 5, message="a kill event")[0]
    assert kill.detail["pid"] == proc.pid
    assert kill.id > close.id


# -- accounts ---------------------------------------------------------------------------------


@needs_root
def test_another_accounts_game_is_not_counted_for_this_child(
    make_agent: MakeAgent, spawn: Spawn, game: Path
) -> None:
    agent = make_agent(daily=0, second_child="nobody", second_daily=60).start()
    proc = spawn([game, "600"], user="nobody", cwd="/")
    # Binh (nobody) plays: seen and counted for Binh, so the probe does see the process...
    wait_until(
        lambda: limit_row(agent.api_status(), child="Binh")["used_seconds"] >= 2,
        10,
        message="Binh's game counted",
    )
    doc = agent.status()
    assert child_of(doc, "Binh")["running"] == ["fakegame"]
    # ...but An (this account, with no time at all) is charged nothing and closes nothing.
    an = child_of(doc, "An")
    assert an["running"] == []
    assert limit_row(doc)["used_seconds"] == 0
    assert proc.poll() is None
    assert agent.events("close") == []


# -- status -----------------------------------------------------------------------------------


def test_status_json_while_running_and_after_stop(
    make_agent: MakeAgent, spawn: Spawn, game: Path
) -> None:
    agent = make_agent(daily=60).start()
    doc = agent.status()
    assert doc["agent"]["running"] is True
    assert doc["agent"]["config_error"] is None
    assert doc["day"] == wait_until(lambda: agent.api_status()["day"])
    row = limit_row(doc)
    assert (row["used_seconds"], row["limit_seconds"], row["left_seconds"]) == (0, 3600, 3600)
    assert (row["state"], row["reason"], row["kind"]) == ("ok", None, "category")

    proc = spawn([game, "600"])
    wait_until(lambda: limit_row(agent.api_status())["used_seconds"] >= 2, 10)
    first = agent.status()
    row = limit_row(first)
    assert child_of(first)["running"] == ["fakegame"]
    assert row["used_seconds"] >= 2 and row["active"] is True
    assert row["left_seconds"] == pytest.approx(3600 - row["used_seconds"], abs=1)
    assert (row["state"], row["reason"]) == ("ok", None)
    wait_until(lambda: limit_row(agent.api_status())["used_seconds"] >= row["used_seconds"] + 2, 10)
    later = limit_row(agent.status())
    assert later["used_seconds"] >= row["used_seconds"] + 2  # it grows while the game runs

    proc.kill()
    proc.wait(timeout=5)
    wait_until(lambda: child_of(agent.api_status())["running"] == [], 5)
    used = limit_row(agent.api_status())["used_seconds"]
    assert agent.terminate() == 0

    after = agent.status()  # computed from the ledger and the rules now
    assert after["agent"]["running"] is False
    assert child_of(after)["running"] == []
    row = limit_row(after)
    assert row["used_seconds"] == pytest.approx(used, abs=1)
    assert row["left_seconds"] == pytest.approx(3600 - used, abs=1)
    assert (row["state"], row["reason"]) == ("ok", None)


def test_kill_9_mid_use_and_a_restart_keep_the_days_total(
    make_agent: MakeAgent, spawn: Spawn, game: Path
) -> None:
    agent = make_agent(daily=60).start()
    started = time.monotonic()
    proc = spawn([game, "600"])
    wait_until(lambda: limit_row(agent.api_status())["used_seconds"] >= 7, 15)
    agent.kill()  # kill -9, mid-use
    real = time.monotonic() - started
    proc.kill()
    proc.wait(timeout=5)

    agent.start()
    kept = agent.ledger_seconds()  # what survived, unrounded
    assert abs(kept - real) <= 5.0, (kept, real)
    assert limit_row(agent.status())["used_seconds"] == int(kept)
    assert len(agent.events("agent_start")) == 2
    assert agent.events("agent_stop") == []  # the first run never got to say goodbye


# -- the rules file ---------------------------------------------------------------------------


def test_a_broken_config_keeps_the_old_rules_enforcing(
    make_agent: MakeAgent, spawn: Spawn, game: Path
) -> None:
    agent = make_agent(daily=0).start()
    good = agent.config.read_text(encoding="utf-8")
    broken = good.replace("daily = 0", 'daily = "none"')
    line = broken.splitlines().index('daily = "none"') + 1
    agent.config.write_text(broken, encoding="utf-8")
    wait_until(lambda: agent.api_status()["agent"]["config_error"], 5, message="reload seen")

    started = time.monotonic()
    proc = spawn([game, "600"])
    ended = wait_exit(proc, CLOSE_DEADLINE, agent)
    assert ended - started <= CLOSE_DEADLINE
    assert proc.returncode == -signal.SIGTERM

    doc = agent.status()
    assert doc["agent"]["running"] is True
    error = doc["agent"]["config_error"]
    assert f"{agent.config}:{line}:" in error and "limits.games.daily" in error
    assert limit_row(doc)["state"] == "blocked"
    assert agent.events("config_rejected")
    text = agent.cli("status")
    assert text.returncode == 0, text.stderr
    assert "Rules file has errors" in text.stdout and f"{agent.config}:{line}:" in text.stdout

    # A fixed file loads, and the new limit applies.
    agent.config.write_text(good.replace("daily = 0", "daily = 30"), encoding="utf-8")
    wait_until(lambda: agent.api_status()["agent"]["config_error"] is None, 5)
    assert limit_row(agent.status())["limit_seconds"] == 1800


def test_sigterm_stops_cleanly(make_agent: MakeAgent) -> None:
    agent = make_agent(daily=60).start()
    wait_until(lambda: (agent.health() or {}).get("ticks", 0) >= 2, 5, message="ticking")
    assert agent.terminate() == 0
    events = agent.events()
    assert events[0].kind == "agent_start"
    assert events[-1].kind == "agent_stop"
    assert "stopped" in agent.stdout_path.read_text()
    assert agent.health() is None


def test_status_with_a_broken_config_and_no_agent_is_bad_input(make_agent: MakeAgent) -> None:
    agent = make_agent(daily=0)  # never started
    agent.config.write_text(
        agent.config.read_text(encoding="utf-8").replace("daily = 0", "daily = -5"), "utf-8"
    )
    done = agent.cli("status", "--json")
    assert done.returncode == 2
    assert done.stdout == ""
    assert f"{agent.config}:" in done.stderr and "limits.games.daily" in done.stderr
