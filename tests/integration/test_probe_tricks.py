"""The probe against the tricks, with the kernel's process events and without (the fallback
that compares each process's executable every tick)."""

from __future__ import annotations

import os
from collections.abc import Iterator

import pytest

from agent.platform.probe import PsutilSource
from agent.platform.proc_events import ProcEvents, Unavailable
from rules.model import ProcessInfo
from tests.support.tricks import Account, Started, Tricks, run_as
from tests.support.waiting import wait_until

pytestmark = pytest.mark.skipif(
    not os.path.isdir("/proc") or not hasattr(os, "geteuid") or os.geteuid() != 0,
    reason="needs root on Linux (a second account)",
)


def _events_available() -> bool:
    try:
        ProcEvents(ack_timeout=0.5).close()
    except Unavailable:
        return False
    return True





@pytest.fixture(params=["events", "polling"])
def source(request: pytest.FixtureRequest, kid: Account) -> Iterator[PsutilSource]:
    """A probe of the child's account, learning execs from the kernel or by comparing."""
    events = request.param == "events"
    if events and not _events_available():
        pytest.skip("the kernel's process events are unavailable here")
    probe = PsutilSource(frozenset({kid.name}), young_seconds=0.0, events=events)
    assert probe.uses_events is events
    yield probe
    probe.close()


def seen(source: PsutilSource, pid: int) -> ProcessInfo | None:
    return next((p for p in source.snapshot() if p.pid == pid), None)


def test_an_exec_under_the_same_name_is_seen(
    source: PsutilSource, kid: Account, tricks: Tricks, started: list[Started]
) -> None:
    game = run_as(kid, tricks.homework(delay=1.5), cwd=tricks.root)
    started.append(game)
    first = wait_until(lambda: seen(source, game.pid), 5, message="the shell is seen")
    assert first.exe.endswith("/homework") and first.name == "homework"
    after = wait_until(
        lambda: (p := seen(source, game.pid)) is not None and p.exe == str(tricks.game) and p,
        10,
        message="the exec is seen",
    )
    assert after.name == "homework" and after.user == kid.name
    assert source.stats.total_full_reads >= 2


def test_a_zombie_leader_with_live_threads_is_running(
    source: PsutilSource, kid: Account, tricks: Tricks, started: list[Started]
) -> None:
    argv, env = tricks.preload()
    game = run_as(kid, argv, cwd=tricks.root, env=env)
    started.append(game)
    info = wait_until(
        lambda: (p := seen(source, game.pid)) is not None and p.exe == str(tricks.game) and p,
        10,
        message="the game is seen",
    )
    assert info.cmdline == (str(tricks.game), "600")
    source.watch([game.pid])
    for _ in range(3):
        assert seen(source, game.pid) is not None  # still running, every tick


def test_a_subordinate_uid_counts_for_its_owner(
    source: PsutilSource, kid: Account, tricks: Tricks, started: list[Started]
) -> None:
    game = run_as(kid, tricks.userns(), cwd=tricks.root)
    started.append(game)
    info = wait_until(
        lambda: (p := seen(source, game.pid)) is not None and p.exe == str(tricks.game) and p,
        10,
        message="the namespaced game is seen",
    )
    assert info.user == kid.name


def test_the_loader_and_java_show_what_they_run(
    source: PsutilSource, kid: Account, tricks: Tricks, started: list[Started]
) -> None:
    loader = run_as(kid, tricks.loader(), cwd=tricks.root)
    started.append(loader)
    # setpriv runs first, then execs the loader: the probe sees that exec too.
    info = wait_until(
        lambda: (p := seen(source, loader.pid)) is not None and str(tricks.game) in p.files and p,
        10,
        message="the loader with the game it runs",
    )
    assert info.exe.rsplit("/", 1)[-1].startswith("ld-")
    java = run_as(kid, tricks.java_argfile(), cwd=tricks.root)
    started.append(java)
    jar = str(tricks.root / ".minecraft/versions/1.20.1/1.20.1.jar")
    info = wait_until(
        lambda: (p := seen(source, java.pid)) is not None and jar in p.files and p,
        60,  # a JVM starts slowly on a busy machine; the probe re-reads it for a minute
        message="the JVM with its jar open",
    )
    assert "net.minecraft.client.main.Main" in info.cmdline  # the @argfile, expanded
