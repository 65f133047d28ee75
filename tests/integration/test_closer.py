"""Closer against real processes: polite close, kill after the grace, whole trees, pid reuse."""

from __future__ import annotations

import contextlib
import os
import shutil
import signal
import subprocess
import sys
from collections.abc import Callable, Iterator
from pathlib import Path

import psutil
import pytest

from agent.platform import NotPermitted, current
from agent.platform.base import Platform
from agent.service.closer import CloseAction, Closer
from tests.support.waiting import wait_for_line, wait_until

GRACE = 10.0

Spawn = Callable[..., subprocess.Popen[str]]

# Ignores SIGTERM; with an argument, first starts a child (itself, ignoring too) and
# prints its pid; prints "ready" once the handler is in place.
STUBBORN = """
import signal, subprocess, sys, time
signal.signal(signal.SIGTERM, signal.SIG_IGN)
if len(sys.argv) > 1:
    child = subprocess.Popen([sys.executable, sys.argv[0]], stdout=subprocess.PIPE, text=True)
    assert child.stdout.readline() == "ready\\n"
    print(child.pid, flush=True)
print("ready", flush=True)
while True:
    time.sleep(60)
"""


class ManualClock:
    """A monotonic clock the test moves by hand."""

    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


@pytest.fixture
def clock() -> ManualClock:
    return ManualClock()


@pytest.fixture
def closer(clock: ManualClock) -> Closer:
    return Closer(current(), GRACE, clock)


@pytest.fixture
def spawn() -> Iterator[Spawn]:
    """Start processes in their own group; the group is killed and reaped at the end."""
    started: list[subprocess.Popen[str]] = []

    def start(argv: list[str], **kwargs: object) -> subprocess.Popen[str]:
        proc = subprocess.Popen(argv, text=True, start_new_session=True, **kwargs)  # type: ignore[call-overload]
        started.append(proc)
        return proc

    yield start
    for proc in started:
        with contextlib.suppress(ProcessLookupError, PermissionError):
            os.killpg(proc.pid, signal.SIGKILL)
        proc.wait(timeout=10)


@pytest.fixture
def stubborn_script(tmp_path: Path) -> Path:
    path = tmp_path / "stubborn.py"
    path.write_text(STUBBORN)
    return path


def create_time(pid: int) -> float:
    return psutil.Process(pid).create_time()


def dead(pid: int, created: float) -> bool:
    """Exited (zombies included: an orphan's reaper may be slow or absent)."""
    return not current().is_alive(pid, created)


def test_a_normal_game_closes_politely(tmp_path: Path, spawn: Spawn, closer: Closer) -> None:
    game = tmp_path / "fakegame"
    shutil.copy2(shutil.which("sleep") or "/bin/sleep", game)
    proc = spawn([str(game), "300"])
    created = create_time(proc.pid)
    assert closer.close(proc.pid, created) == [CloseAction(proc.pid, "polite", created)]
    assert wait_until(lambda: proc.poll() is not None)
    assert proc.returncode == -signal.SIGTERM
    assert closer.step() == [CloseAction(proc.pid, "gone", created)]
    assert closer.pending == {}


def test_a_process_ignoring_sigterm_is_killed_after_the_grace(
    stubborn_script: Path, spawn: Spawn, closer: Closer, clock: ManualClock
) -> None:
    proc = spawn([sys.executable, str(stubborn_script)], stdout=subprocess.PIPE)
    assert proc.stdout is not None
    assert wait_for_line(proc.stdout) == "ready\n"
    created = create_time(proc.pid)
    assert [a.kind for a in closer.close(proc.pid, created)] == ["polite"]
    assert closer.pending == {proc.pid: clock.now + GRACE}
    clock.now += GRACE - 0.5
    assert closer.step() == []
    assert proc.poll() is None
    clock.now += 1
    [action] = closer.step()
    assert (action.kind, action.pids) == ("kill", (proc.pid,))
    wait_until(lambda: proc.poll() is not None)
    assert proc.returncode == -signal.SIGKILL
    assert closer.pending == {}


def test_a_whole_tree_is_killed(
    stubborn_script: Path, spawn: Spawn, closer: Closer, clock: ManualClock
) -> None:
    parent = spawn([sys.executable, str(stubborn_script), "tree"], stdout=subprocess.PIPE)
    assert parent.stdout is not None
    child = int(wait_for_line(parent.stdout))
    assert wait_for_line(parent.stdout) == "ready\n"
    parent_created, child_created = create_time(parent.pid), create_time(child)
    assert psutil.Process(child).ppid() == parent.pid
    closer.close(parent.pid, parent_created)
    [action] = closer.step(clock.now + GRACE)
    assert action.kind == "kill"
    assert set(action.pids) == {parent.pid, child}
    wait_until(lambda: parent.poll() is not None)
    assert parent.returncode == -signal.SIGKILL
    wait_until(lambda: dead(child, child_created), message="the child was killed too")


def test_closing_a_pending_process_again_is_a_no_op(
    stubborn_script: Path, spawn: Spawn, closer: Closer, clock: ManualClock
) -> None:
    proc = spawn([sys.executable, str(stubborn_script)], stdout=subprocess.PIPE)
    assert proc.stdout is not None
    wait_for_line(proc.stdout)
    created = create_time(proc.pid)
    closer.close(proc.pid, created)
    deadline = closer.pending[proc.pid]
    clock.now += 3
    assert closer.close(proc.pid, created) == []
    assert closer.pending == {proc.pid: deadline}


def test_an_exited_process_is_reported_gone(spawn: Spawn, closer: Closer) -> None:
    proc = spawn([sys.executable, "-c", "pass"])
    created = create_time(proc.pid)
    proc.wait(timeout=10)
    assert closer.close(proc.pid, created) == [CloseAction(proc.pid, "gone", created)]
    assert closer.pending == {}


def test_a_reused_pid_is_never_signalled(
    stubborn_script: Path, spawn: Spawn, closer: Closer, clock: ManualClock
) -> None:
    proc = spawn([sys.executable, "-c", "import time; time.sleep(300)"])
    created = create_time(proc.pid)
    # The create time of a process that held this pid before.
    assert [a.kind for a in closer.close(proc.pid, created - 50)] == ["gone"]
    assert closer.step(clock.now + GRACE) == []
    assert current().is_alive(proc.pid, created)


class RefusingPlatform(Platform):
    """A platform whose every process belongs to someone else."""

    capabilities = current().capabilities

    def close_politely(self, pid: int, create_time: float | None = None) -> bool:
        raise NotPermitted(f"not permitted on process {pid}")

    def boot_clock(self) -> float:
        return 0.0

    def current_user(self) -> str:
        return "an"

    def is_admin(self) -> bool:
        return False


def test_a_refused_close_is_reported_and_not_retried(clock: ManualClock) -> None:
    closer = Closer(RefusingPlatform(), GRACE, clock)
    [action] = closer.close(os.getpid(), 0.0)
    assert action.kind == "denied"
    assert "not permitted" in action.detail
    assert closer.pending == {}


def test_a_negative_grace_is_refused() -> None:
    with pytest.raises(ValueError):
        Closer(current(), -1, ManualClock())
