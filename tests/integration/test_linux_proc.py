"""linux_proc against the real tricks, run as a second, standard account."""

from __future__ import annotations

import os
import pwd
import signal
import subprocess
import sysconfig
from pathlib import Path

import psutil
import pytest

from agent.platform.base import ProcessGone
from agent.platform.linux_proc import (
    ContentHasher,
    SubordinateIds,
    create_time,
    exe_id,
    exe_path,
    kill_hard,
    live_task,
    open_files,
    process_uids,
    read_cmdline,
    read_stat,
    read_text_as,
    userns_owners,
)
from tests.support.tricks import Account, Started, Tricks, run_as
from tests.support.waiting import wait_until

ROOT = Path(__file__).resolve().parents[2]





def _file_id(path: Path) -> tuple[int, int]:
    st = os.stat(path)
    return (st.st_dev, st.st_ino)


def _gone(pid: int) -> bool:
    try:
        live_task(pid)
    except ProcessGone:
        return True
    return False


def _group(pgid: int) -> list[int]:
    """Live (non-zombie) processes of a process group."""
    out = []
    for name in os.listdir("/proc"):
        if name.isdigit():
            try:
                st = read_stat(int(name))
            except ProcessGone:
                continue
            if st.pgid == pgid and not st.dead:
                out.append(st.pid)
    return out


def test_zombie_leader_with_live_threads_is_running(
    kid: Account, tricks: Tricks, started: list[Started]
) -> None:
    argv, env = tricks.preload(60)
    game = run_as(kid, argv, cwd=tricks.root, env=env)
    started.append(game)
    # setpriv is preloaded too: wait for the game itself, with its leader a zombie.
    wait_until(
        lambda: exe_id(game.pid) == _file_id(tricks.game) and read_stat(game.pid).state == "Z",
        message="the game runs with a zombie leader",
    )
    assert live_task(game.pid).startswith(f"/proc/{game.pid}/task/")
    assert exe_id(game.pid) == _file_id(tricks.game)
    assert exe_path(game.pid) == str(tricks.game)
    assert read_cmdline(game.pid) == (str(tricks.game), "60")
    assert process_uids(game.pid)[0] == kid.uid
    assert kill_hard(game.pid) == [game.pid]
    wait_until(lambda: _gone(game.pid), message="all threads dead")


def test_exe_identity_changes_on_an_exec_that_keeps_the_name(
    kid: Account, tricks: Tricks, started: list[Started]
) -> None:
    game = run_as(kid, tricks.homework(delay=1), cwd=tricks.root)
    started.append(game)
    wait_until(lambda: exe_id(game.pid) == _file_id(tricks.root / "homework"))
    before = read_stat(game.pid)
    wait_until(lambda: exe_id(game.pid) == _file_id(tricks.game), timeout=10)
    after = read_stat(game.pid)
    assert before.comm == after.comm == "homework"  # the name gives nothing away
    assert before.start_ticks == after.start_ticks  # same process, another program


def test_content_identity_is_hashed_once_and_follows_copies(tricks: Tricks) -> None:
    hasher = ContentHasher()
    first = hasher.digest_path(str(tricks.game))
    assert hasher.digest_path(str(tricks.game)) == first
    assert hasher.hashed == 1
    copy = Path(tricks.renamed()[0])
    assert hasher.digest_path(str(copy)) == first  # another inode, the same content
    assert hasher.hashed == 2
    os.utime(copy, ns=(1, 1))  # a touched file is hashed again
    assert hasher.digest_path(str(copy)) == first
    assert hasher.hashed == 3


def test_content_identity_of_a_running_renamed_copy(
    kid: Account, tricks: Tricks, started: list[Started]
) -> None:
    hasher = ContentHasher()
    known = hasher.digest_path(str(tricks.game))
    game = run_as(kid, tricks.renamed(), cwd=tricks.root)
    started.append(game)
    wait_until(lambda: read_stat(game.pid).comm == "homework-notes")
    os.unlink(tricks.root / "homework-notes")  # deleted after the start: still the file
    assert hasher.exe_size(game.pid) == tricks.game.stat().st_size
    assert hasher.digest_exe(game.pid) == known


def test_subordinate_ids_of_the_child() -> None:
    ids = SubordinateIds(
        "# comment\nan:100000:65536\n1002:165536:65536\nbroken\nghost:300000:10\n",
        {"an": 1001},
    )
    assert ids.owner(100000) == 1001
    assert ids.owner(165535) == 1001
    assert ids.owner(165536) == 1002
    assert ids.owner(231072) is None
    assert ids.owner(99999) is None
    assert ids.owner(300000) is None  # unknown account name


def test_user_namespace_game_belongs_to_the_child(
    kid: Account, tricks: Tricks, started: list[Started]
) -> None:
    ids = SubordinateIds.load({kid.name: kid.uid})
    if ids.owner(kid.uid) is None and not any(
        line.startswith(f"{kid.name}:") for line in Path("/etc/subuid").read_text().splitlines()
    ):
        pytest.skip(f"{kid.name} has no /etc/subuid range")
    game = run_as(kid, tricks.userns(60), cwd=tricks.root)
    started.append(game)
    wait_until(lambda: exe_id(game.pid) == _file_id(tricks.game), timeout=10)
    uid = process_uids(game.pid)[0]
    assert uid != kid.uid
    assert ids.owner(uid) == kid.uid
    assert userns_owners(game.pid) == [kid.uid]
    assert userns_owners(os.getpid()) == []


def test_java_argfile_is_read_as_the_process_and_the_jar_is_seen(
    kid: Account, tricks: Tricks, started: list[Started]
) -> None:
    argv = tricks.java_argfile(60)
    secret = tricks.root / "secret.args"
    secret.write_text("net.minecraft.secret\n")
    os.chmod(secret, 0o600)  # root's: the child may not read it, so neither do we for it
    game = run_as(kid, argv, cwd=tricks.root)
    started.append(game)
    jar = str(tricks.root / ".minecraft/versions/1.20.1/1.20.1.jar")
    wait_until(lambda: jar in open_files(game.pid), timeout=20, message="the JVM opened the jar")
    assert read_cmdline(game.pid)[1:] == ("@mc.args",)
    text = read_text_as(game.pid, "mc.args")
    assert text is not None and "net.minecraft.client.main.Main" in text
    assert read_text_as(game.pid, str(tricks.root / "mc.args")) == text
    assert read_text_as(game.pid, "secret.args") is None
    assert read_text_as(game.pid, "/dev/zero") is None  # not a regular file
    assert read_text_as(game.pid, "missing.args") is None


def test_kill_hard_ends_a_sigterm_ignoring_fork_chain(
    kid: Account, tricks: Tricks, started: list[Started]
) -> None:
    game = run_as(kid, tricks.forkchain(), cwd=tricks.root)
    started.append(game)
    wait_until(lambda: any(p != game.pid for p in _group(game.pgid)), message="it re-forked")
    for pid in _group(game.pgid):
        os.kill(pid, signal.SIGTERM)
    current = wait_until(lambda: _group(game.pgid))
    killed = kill_hard(current[0])
    assert current[0] in killed
    wait_until(lambda: not _group(game.pgid), message="the whole chain is dead")


def test_kill_hard_spares_a_live_session_leader_it_does_not_own(
    kid: Account, tricks: Tricks, started: list[Started]
) -> None:
    chain = tricks.forkchain()
    shell = run_as(kid, ["bash", "-c", f"{' '.join(chain)} & sleep 60"], cwd=tricks.root)
    started.append(shell)
    wait_until(lambda: len(_group(shell.pgid)) >= 3, message="the chain forked under the shell")
    games = [p for p in _group(shell.pgid) if read_stat(p).comm == "forkgame"]
    kill_hard(games[0])
    wait_until(lambda: all(read_stat(p).comm != "forkgame" for p in _group(shell.pgid)))
    assert shell.pid in _group(shell.pgid)  # the shell (session leader) lives on


def test_kill_hard_refuses_a_reused_pid(
    kid: Account, tricks: Tricks, started: list[Started]
) -> None:
    game = run_as(kid, tricks.plain(60), cwd=tricks.root)
    started.append(game)
    born = create_time(game.pid)
    assert born == pytest.approx(psutil.Process(game.pid).create_time())
    with pytest.raises(ProcessGone):
        kill_hard(game.pid, born + 1)
    assert not read_stat(game.pid).dead
    assert kill_hard(game.pid, born) == [game.pid]


def test_errors_are_ours(started: list[Started]) -> None:
    with pytest.raises(ProcessGone):
        read_stat(2**22 + 12345)
    with pytest.raises(ProcessGone):
        kill_hard(2**22 + 12345)
    python = "/usr/bin/python3"
    if os.geteuid() != 0 or not os.access(python, os.X_OK):
        return
    roots = subprocess.Popen(["sleep", "60"], start_new_session=True)
    started.append(Started(roots))
    entry = pwd.getpwnam("nobody")
    code = (
        "import sys\nfrom agent.platform.linux_proc import kill_hard\n"
        "from agent.platform.base import NotPermitted\n"
        "try:\n    kill_hard(int(sys.argv[1]))\nexcept NotPermitted:\n    print('NotPermitted')\n"
    )
    path = f"{ROOT}:{sysconfig.get_paths()['purelib']}"
    done = subprocess.run(
        ["setpriv", f"--reuid={entry.pw_uid}", f"--regid={entry.pw_gid}", "--clear-groups",
         python, "-c", code, str(roots.pid)],
        cwd=ROOT, capture_output=True, text=True, env={"PYTHONPATH": path}, timeout=30,
    )  # fmt: skip
    assert done.stdout.strip() == "NotPermitted", done
    assert roots.poll() is None
