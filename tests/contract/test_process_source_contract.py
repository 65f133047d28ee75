"""The ProcessSource contract, run against the real PsutilSource and the FakeSource alike."""

from __future__ import annotations

import abc
import itertools
import os
import shutil
import signal
import subprocess
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path

import psutil
import pytest

from agent.platform import current
from agent.platform.probe import ProcessSource, PsutilSource
from agent.testing import FakeSource
from rules.model import ProcessInfo
from tests.support.waiting import wait_until


class World(abc.ABC):
    """A source plus a way to start and end processes it should see."""

    source: ProcessSource
    user: str

    @abc.abstractmethod
    def start(self, name: str) -> int:
        """Start a process called name (an executable of that name); returns its pid."""

    @abc.abstractmethod
    def stop(self, pid: int) -> None:
        """End the process and reap it."""

    @abc.abstractmethod
    def exit_unreaped(self, pid: int) -> None:
        """End the process but leave it unreaped (a zombie where the OS has them)."""

    @abc.abstractmethod
    def close(self) -> None:
        """Release whatever the world started."""


class FakeWorld(World):
    """FakeSource with processes made up on the spot."""

    def __init__(self) -> None:
        self.fake = FakeSource()
        self.source = self.fake
        self.user = "an"
        self._pids = itertools.count(1000)

    def start(self, name: str) -> int:
        pid = next(self._pids)
        exe = f"/home/an/games/{name}"
        self.fake.add(ProcessInfo(pid, name, exe, (exe, "300"), self.user, 1_700_000_000.0 + pid))
        return pid

    def stop(self, pid: int) -> None:
        self.fake.remove(pid)

    def exit_unreaped(self, pid: int) -> None:
        self.fake.remove(pid)

    def close(self) -> None:
        self.fake.set([])


class PsutilWorld(World):
    """PsutilSource for the current account, with real copies of sleep."""

    def __init__(self) -> None:
        self.source = PsutilSource()
        self.user = current().current_user()
        self._dir = Path(tempfile.mkdtemp(prefix="playclock-contract-"))
        self._procs: dict[int, subprocess.Popen[bytes]] = {}

    def start(self, name: str) -> int:
        exe = self._dir / name
        if not exe.exists():
            shutil.copy2(shutil.which("sleep") or "/bin/sleep", exe)
        proc = subprocess.Popen([str(exe), "300"], start_new_session=True)
        self._procs[proc.pid] = proc
        # Started means exec finished: the kernel sets argv just after Popen can return.
        wait_until(lambda: psutil.Process(proc.pid).cmdline(), message="exec finished")
        return proc.pid

    def stop(self, pid: int) -> None:
        self._procs[pid].kill()
        self._procs[pid].wait(timeout=10)

    def exit_unreaped(self, pid: int) -> None:
        os.kill(pid, signal.SIGKILL)
        wait_until(lambda: psutil.Process(pid).status() == psutil.STATUS_ZOMBIE)

    def close(self) -> None:
        for proc in self._procs.values():
            proc.kill()
            proc.wait(timeout=10)
        shutil.rmtree(self._dir, ignore_errors=True)


@pytest.fixture(params=["psutil", "fake"])
def world(request: pytest.FixtureRequest) -> Iterator[World]:
    made: World = PsutilWorld() if request.param == "psutil" else FakeWorld()
    yield made
    made.close()


def find(snapshot: list[ProcessInfo], pid: int) -> ProcessInfo | None:
    return next((p for p in snapshot if p.pid == pid), None)


def test_a_snapshot_is_a_list_of_unique_processes(world: World) -> None:
    world.start("fakegame")
    world.start("fakegame")
    snapshot = world.source.snapshot()
    assert isinstance(snapshot, list)
    assert all(isinstance(p, ProcessInfo) for p in snapshot)
    pids = [p.pid for p in snapshot]
    assert len(pids) == len(set(pids))


def test_a_started_process_is_in_the_next_snapshot(world: World) -> None:
    world.source.snapshot()
    pid = world.start("fakegame")
    info = find(world.source.snapshot(), pid)
    assert info is not None
    assert info.name == "fakegame"
    assert os.path.basename(info.exe) == "fakegame"
    assert info.cmdline[0] == info.exe
    assert info.user == world.user
    assert 0 < info.create_time <= time.time() + 1


def test_processes_with_the_same_name_are_all_reported(world: World) -> None:
    pids = {world.start("fakegame") for _ in range(3)}
    found = {p.pid for p in world.source.snapshot() if p.name == "fakegame"}
    assert pids <= found


def test_a_stopped_process_is_gone_from_the_next_snapshot(world: World) -> None:
    pid = world.start("fakegame")
    other = world.start("othergame")
    assert find(world.source.snapshot(), pid) is not None
    world.stop(pid)
    snapshot = world.source.snapshot()
    assert find(snapshot, pid) is None
    assert find(snapshot, other) is not None


def test_an_exited_unreaped_process_is_not_running(world: World) -> None:
    pid = world.start("fakegame")
    assert find(world.source.snapshot(), pid) is not None
    world.exit_unreaped(pid)
    assert find(world.source.snapshot(), pid) is None


def test_a_process_that_came_and_went_between_snapshots_is_never_seen(world: World) -> None:
    world.source.snapshot()
    pid = world.start("fakegame")
    world.stop(pid)
    assert find(world.source.snapshot(), pid) is None


def test_an_unchanged_process_reads_the_same_each_time(world: World) -> None:
    pid = world.start("fakegame")
    first = find(world.source.snapshot(), pid)
    second = find(world.source.snapshot(), pid)
    assert first is not None
    assert first == second


def test_the_caller_owns_the_returned_list(world: World) -> None:
    pid = world.start("fakegame")
    snapshot = world.source.snapshot()
    snapshot.clear()
    assert find(world.source.snapshot(), pid) is not None
