"""The proc connector against real processes of a second account, and its refusals."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from agent.platform.proc_events import EventKind, ProcEvent, ProcEvents, Unavailable
from tests.support.tricks import Account, Started, Tricks, run_as
from tests.support.waiting import wait_until

ROOT = Path(__file__).resolve().parents[2]
OPEN = (
    "from agent.platform.proc_events import ProcEvents, Unavailable\n"
    "try:\n    ProcEvents(ack_timeout=0.5)\nexcept Unavailable as e:\n"
    "    print('Unavailable:', e)\nelse:\n    print('listening')\n"
)





def _listen() -> ProcEvents:
    try:
        return ProcEvents()
    except Unavailable as exc:
        pytest.skip(f"the proc connector is unavailable here: {exc}")


def test_fork_exec_uid_and_exit_of_another_account(
    kid: Account, tricks: Tricks, started: list[Started]
) -> None:
    with _listen() as events:
        seen: list[ProcEvent] = []
        game = run_as(kid, tricks.plain(60), cwd=tricks.root)
        started.append(game)

        def saw(kind: EventKind, **fields: int) -> bool:
            seen.extend(events.read())
            return any(
                e.kind is kind and all(getattr(e, k) == v for k, v in fields.items()) for e in seen
            )

        wait_until(lambda: saw(EventKind.FORK, tgid=game.pid, parent_tgid=os.getpid()))
        wait_until(lambda: saw(EventKind.UID, tgid=game.pid, ruid=kid.uid, euid=kid.uid))
        # setpriv, then the game: two execs of the same pid.
        wait_until(
            lambda: (
                saw(EventKind.EXEC, tgid=game.pid)
                and sum(e.kind is EventKind.EXEC and e.tgid == game.pid for e in seen) >= 2
            )
        )
        os.kill(game.pid, 9)
        wait_until(lambda: saw(EventKind.EXIT, tgid=game.pid, pid=game.pid))
        assert events.overflowed is False


def test_read_does_not_block() -> None:
    with _listen() as events:
        events.read()
        assert isinstance(events.read(), list)


def _python() -> str:
    return sys.executable


def test_unavailable_for_a_standard_account(kid: Account) -> None:
    done = subprocess.run(
        ["setpriv", f"--reuid={kid.uid}", f"--regid={kid.gid}", "--init-groups",
         _python(), "-c", OPEN],
        cwd=ROOT, capture_output=True, text=True, timeout=30,
        env={"PATH": "/usr/bin:/bin", "PYTHONPATH": str(ROOT)},
    )  # fmt: skip
    assert done.stdout.startswith("Unavailable: the proc connector needs root"), done


def test_unavailable_in_a_user_namespace() -> None:
    if os.geteuid() != 0:
        pytest.skip("needs root to create a user namespace with unshare")
    done = subprocess.run(
        ["unshare", "--user", "--map-root-user", _python(), "-c", OPEN],
        cwd=ROOT, capture_output=True, text=True, timeout=30,
        env={"PATH": "/usr/bin:/bin", "PYTHONPATH": str(ROOT)},
    )  # fmt: skip
    assert done.stdout.startswith("Unavailable: the agent runs in a user or pid namespace"), done
