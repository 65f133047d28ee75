"""Issue 12: a blocked game stays closed however it is started.

Each test starts one real trick as a real second, standard account against the real agent
(`playclock agent` as root, the service's account), and shows that the game is counted
while it runs, closed within poll + grace + 1 s of being blocked, and that the close is in
the ledger. The child has 3 s of a 1-minute budget left, so each game runs a little first.
"""

from __future__ import annotations

import os
import shutil
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from agent.platform.base import PlatformError
from agent.platform.linux_proc import exe_id, read_stat
from tests.support.agentproc import AgentProcess, free_port, prefill_usage, unique_game_name
from tests.support.tricks import Account, Started, Tricks, run_as
from tests.support.waiting import wait_until

pytestmark = [
    pytest.mark.root,
    pytest.mark.skipif(
        not hasattr(os, "geteuid") or os.geteuid() != 0 or not os.path.isdir("/proc"),
        reason="needs root on Linux: the agent as the service, the game as a second account",
    ),
]

POLL = 0.5
GRACE = 2.0
LEFT = 3.0  # seconds of the budget left when the game starts
CLOSE_DEADLINE = POLL + GRACE + 1.0  # the bound, once the game is blocked





def rules(port: int, account: str, apps: dict[str, str]) -> str:
    """Rules: child An on `account`, the given apps (id -> TOML body) in "games"."""
    text = f"""\
version = 1

[settings]
poll_seconds = {POLL}
grace_seconds = {GRACE}
warn_minutes = [1]
listen = "127.0.0.1:{port}"

[categories.games]
title = "Games"
"""
    for app, body in apps.items():
        text += f'\n[apps.{app}]\ntitle = "{app}"\ncategory = "games"\n{body}\n'
    text += f"""
[[child]]
name = "An"
accounts = ["{account}"]

[child.limits.games]
daily = 1
"""
    return text


MakeAgent = Callable[[dict[str, str]], AgentProcess]


@pytest.fixture
def make_agent(tmp_path: Path, kid: Account) -> Iterator[MakeAgent]:
    """A started agent for the child with LEFT seconds of the games budget left."""
    made: list[AgentProcess] = []

    def make(apps: dict[str, str]) -> AgentProcess:
        port = free_port()
        agent = AgentProcess.create(tmp_path, rules(port, kid.name, apps))
        agent.port = port
        prefill_usage(agent.data_dir, 60 - LEFT, app=next(iter(apps)))
        made.append(agent)
        return agent.start()

    yield make
    for agent in made:
        agent.kill()


def names(game: str) -> str:
    return f'names = ["{game}"]'


def group(pgid: int) -> list[int]:
    """Live processes of a process group (a fork chain stays in its group)."""
    out = []
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            try:
                st = read_stat(int(entry))
            except PlatformError:
                continue
            if st.pgid == pgid and not st.dead:
                out.append(st.pid)
    return out


def group_gone(pgid: int) -> bool:
    """Whether a process group has no live member; a fork chain may be between a fork and
    its parent's exit while /proc is listed, so an empty listing is confirmed over 0.6 s
    (longer than the chain's period)."""
    deadline = time.monotonic() + 0.6
    while time.monotonic() < deadline:
        if group(pgid):
            return False
        time.sleep(0.05)
    return True


def play_until_closed(
    agent: AgentProcess, kid: Account, started: list[Started], app: str, *argv: Any, **kw: Any
) -> Started:
    """Start a trick as the child: it must be closed in time and its close be in the ledger."""
    t0 = time.monotonic()
    game = run_as(kid, *argv, **kw)
    started.append(game)
    closed_in_time(agent, game, t0)
    check_ledger(agent, app, game.pid)
    return game


def closed_in_time(
    agent: AgentProcess, game: Started, started: float, *, whole_group: bool = False
) -> float:
    """Wait until the game is gone; fails unless within LEFT + CLOSE_DEADLINE of `started`."""
    budget = LEFT + CLOSE_DEADLINE
    try:
        if whole_group:
            wait_until(lambda: group_gone(game.pgid), budget + 5, 0.02, "the game's group is gone")
        else:
            wait_until(lambda: game.proc.poll() is not None, budget + 5, 0.02, "the game ended")
    except AssertionError as exc:
        raise AssertionError(f"{exc}\n{agent.output()}") from None
    took = time.monotonic() - started - (0.6 if whole_group else 0.0)  # the confirmation
    assert took <= budget, f"closed after {took:.2f} s, more than {budget:g} s\n{agent.output()}"
    return took


def check_ledger(agent: AgentProcess, app: str, pid: int | None = None) -> None:
    """The game was counted while it ran and its close is in the ledger."""
    assert agent.terminate() == 0
    assert agent.ledger_seconds() >= 60 - LEFT + 1.5, agent.output()
    closes = [e for e in agent.events("close") if e.target == app]
    assert closes, f"no close of {app} in the ledger\n{agent.output()}"
    assert all(e.child == "An" for e in closes)
    if pid is not None:
        assert any(pid in e.detail["pids"] for e in closes), closes


def test_main_thread_exit_leaves_a_zombie_leader(
    make_agent: MakeAgent, kid: Account, tricks: Tricks, started: list[Started]
) -> None:
    """Trick 1: LD_PRELOAD runs main in a new thread and pthread_exit()s the first."""
    argv, env = tricks.preload()
    agent = make_agent({"blockgame": names(tricks.game_name)})
    t0 = time.monotonic()
    game = run_as(kid, argv, cwd=tricks.root, env=env)
    started.append(game)
    wait_until(lambda: read_stat(game.pid).state == "Z", 5, message="a zombie leader")
    closed_in_time(agent, game, t0)
    check_ledger(agent, "blockgame", game.pid)


def test_exec_after_six_seconds_under_the_same_name(
    make_agent: MakeAgent, kid: Account, tricks: Tricks, started: list[Started]
) -> None:
    """Trick 2: bash named `homework` execs the game through a symlink `homework` at 6 s."""
    agent = make_agent({"blockgame": names(tricks.game_name)})
    game = run_as(kid, tricks.homework(delay=6), cwd=tricks.root)
    started.append(game)
    game_id = (tricks.game.stat().st_dev, tricks.game.stat().st_ino)
    wait_until(lambda: exe_id(game.pid) == game_id, 10, 0.01, "the exec")
    t0 = time.monotonic()
    closed_in_time(agent, game, t0)
    check_ledger(agent, "blockgame", game.pid)


def test_a_fork_chain_that_ignores_sigterm(
    make_agent: MakeAgent, kid: Account, tricks: Tricks, started: list[Started]
) -> None:
    """Trick 3: ignores SIGTERM and re-forks every 0.5 s (each pid lives half a second)."""
    chain_name = unique_game_name()
    argv = tricks.forkchain(chain_name)
    agent = make_agent({"forkgame": names(chain_name)})
    t0 = time.monotonic()
    game = run_as(kid, argv, cwd=tricks.root)
    started.append(game)
    closed_in_time(agent, game, t0, whole_group=True)
    check_ledger(agent, "forkgame")
    kills = [e for e in agent.events("kill") if e.target == "forkgame"]
    assert kills and all(e.child == "An" for e in kills), agent.output()


def test_a_user_namespace_with_a_subordinate_uid(
    make_agent: MakeAgent, kid: Account, tricks: Tricks, started: list[Started]
) -> None:
    """Trick 4: `unshare --map-auto --setuid 0 ./game` runs as uid 100000-ish, not the kid's."""
    argv = tricks.userns()
    if not any(
        line.startswith(f"{kid.name}:") for line in Path("/etc/subuid").read_text().splitlines()
    ):
        pytest.skip(f"{kid.name} has no /etc/subuid range")
    agent = make_agent({"blockgame": names(tricks.game_name)})
    t0 = time.monotonic()
    game = run_as(kid, argv, cwd=tricks.root)
    started.append(game)
    closed_in_time(agent, game, t0)
    check_ledger(agent, "blockgame")


@pytest.mark.parametrize("how", ["loader", "python", "script"])
def test_the_loader_and_interpreters(
    how: str, make_agent: MakeAgent, kid: Account, tricks: Tricks, started: list[Started]
) -> None:
    """Trick 5: `ld-linux.so ./game`, `python3 game.py`, `./game.py`."""
    script = tricks.python_script(tricks.game_name)
    argv = {
        "loader": tricks.loader(),
        "python": ["python3", script.name],
        "script": [f"./{script.name}"],
    }[how]
    if how != "loader" and shutil.which("python3", path="/usr/bin:/bin") is None:
        pytest.skip("needs /usr/bin/python3 for the script tricks")
    agent = make_agent({"blockgame": names(tricks.game_name)})
    play_until_closed(agent, kid, started, "blockgame", argv, cwd=tricks.root)


def test_java_with_an_argument_file(
    make_agent: MakeAgent, kid: Account, tricks: Tricks, started: list[Started]
) -> None:
    """Trick 6: `java @mc.args` hides net.minecraft.client.main.Main in a file."""
    argv = tricks.java_argfile()
    agent = make_agent({"minecraft": "cmdline = ['net\\.minecraft']"})
    play_until_closed(agent, kid, started, "minecraft", argv, cwd=tricks.root)


def test_java_matched_by_the_jar_it_holds_open(
    make_agent: MakeAgent, kid: Account, tricks: Tricks, started: list[Started]
) -> None:
    """Trick 6b: the app is known only by its install folder (`paths`), which the command
    line does not show (a relative class path): the jar the JVM holds open shows it."""
    argv = tricks.java_argfile()
    (tricks.root / "mc.args").write_text(
        "-cp .minecraft/versions/1.20.1/1.20.1.jar net.minecraft.client.main.Main 600\n"
    )
    agent = make_agent({"minecraft": 'paths = ["*/.minecraft/*"]'})
    play_until_closed(agent, kid, started, "minecraft", argv, cwd=tricks.root)


def test_a_renamed_copy_is_known_by_its_content(
    make_agent: MakeAgent, kid: Account, tricks: Tricks, started: list[Started]
) -> None:
    """Trick 7: once seen, the game's executable is known under any name (and after a
    restart of the agent: the identity is in the ledger)."""
    agent = make_agent({"blockgame": names(tricks.game_name)})
    # The child's own copy of the game (owned by the child, like a real copy).
    first = run_as(kid, tricks.plain(), cwd=tricks.root)
    started.append(first)
    closed_in_time(agent, first, time.monotonic())
    agent.terminate()
    agent.start()  # the identity must survive the restart
    copy = tricks.root / "notes"
    os.makedirs(copy, exist_ok=True)
    os.chown(copy, kid.uid, kid.gid)
    cp = run_as(kid, ["cp", str(tricks.game), str(copy / "homework-notes")], cwd=tricks.root)
    assert cp.proc.wait(timeout=10) == 0
    renamed = [str(copy / "homework-notes"), "600"]
    play_until_closed(agent, kid, started, "blockgame", renamed, cwd=copy)
