"""The tricks a child tried to keep a blocked game running, as small reproducible fixtures.

Each `Tricks` method lays out what the trick needs in a directory every account may read
and returns the command line (and environment) that starts it. Start it as the child's
account with `run_as`. What needs a compiler, Java or root skips with a reason.
"""

from __future__ import annotations

import contextlib
import glob
import os
import pwd
import shutil
import signal
import subprocess
from dataclasses import dataclass, field
from pathlib import Path

import pytest

__all__ = ["HERE", "Account", "Started", "Tricks", "kid_account", "run_as"]

HERE = Path(__file__).resolve().parent
SLEEP = shutil.which("sleep") or "/bin/sleep"
BASH = shutil.which("bash") or "/bin/bash"


@dataclass(frozen=True)
class Account:
    """A real standard OS account that plays the child."""

    name: str
    uid: int
    gid: int
    home: str


def kid_account(name: str = "pckid") -> Account:
    """A throwaway standard account with a home and a /etc/subuid range (created once; root)."""
    if os.geteuid() != 0:
        pytest.skip("needs root to create and run as a second account")
    try:
        entry = pwd.getpwnam(name)
    except KeyError:
        if shutil.which("useradd") is None:
            pytest.skip("needs useradd to create a second account")
        subprocess.run(["useradd", "-m", "-s", "/bin/bash", name], check=True)
        entry = pwd.getpwnam(name)
    return Account(name, entry.pw_uid, entry.pw_gid, entry.pw_dir)


@dataclass
class Started:
    """A trick started as a process (its own session); `stop` kills what is left of it."""

    proc: subprocess.Popen[bytes]
    pgid: int = field(init=False)

    def __post_init__(self) -> None:
        self.pgid = self.proc.pid

    @property
    def pid(self) -> int:
        """The pid of the process we started (the trick may fork away from it)."""
        return self.proc.pid

    def stop(self) -> None:
        """Kill the process group (the tricks stay in it unless they say otherwise)."""
        with contextlib.suppress(ProcessLookupError, PermissionError):
            os.killpg(self.pgid, signal.SIGKILL)
        self.proc.kill()
        self.proc.wait(timeout=10)


def run_as(
    account: Account,
    argv: list[str],
    *,
    cwd: str | Path,
    env: dict[str, str] | None = None,
) -> Started:
    """Start argv as the account (setpriv: real and effective ids, its groups), in a new
    session, with a minimal environment like a login's."""
    full_env = {
        "PATH": "/usr/local/bin:/usr/bin:/bin",
        "HOME": account.home,
        "USER": account.name,
        "LOGNAME": account.name,
        **(env or {}),
    }
    command = [
        "setpriv",
        f"--reuid={account.uid}",
        f"--regid={account.gid}",
        "--init-groups",
        "--",
        *argv,
    ]
    proc = subprocess.Popen(
        command,
        cwd=str(cwd),
        env=full_env,
        stdin=subprocess.DEVNULL,
        start_new_session=True,
    )
    return Started(proc)


def _cc() -> str:
    """The system C compiler, or skip."""
    cc = shutil.which("cc") or shutil.which("gcc")
    if cc is None:
        pytest.skip("needs the system C compiler (cc) to build the trick")
    return cc


class Tricks:
    """A directory with a game (a renamed copy of sleep) and the tricks around it."""

    def __init__(self, root: Path, game: str = "blockgame") -> None:
        self.root = root
        os.chmod(root, 0o755)
        self.game_name = game
        self.game = root / game
        shutil.copy2(SLEEP, self.game)
        os.chmod(self.game, 0o755)

    def _public(self, path: Path) -> Path:
        """Make a created file readable (and runnable) by every account."""
        os.chmod(path, 0o755)
        return path

    def plain(self, seconds: int = 600) -> list[str]:
        """The game itself."""
        return [str(self.game), str(seconds)]

    def preload(self, seconds: int = 600) -> tuple[list[str], dict[str, str]]:
        """Issue 12 trick 1: an LD_PRELOAD library runs main in a new thread and ends the first
        with pthread_exit: /proc/PID is a zombie leader while the game runs on."""
        lib = self.root / "mainthread_exit.so"
        if not lib.exists():
            subprocess.run(
                [_cc(), "-shared", "-fPIC", "-O2", "-o", str(lib),
                 str(HERE / "mainthread_exit.c"), "-ldl", "-lpthread"],
                check=True,
            )  # fmt: skip
        self._public(lib)
        return self.plain(seconds), {"LD_PRELOAD": str(lib)}

    def homework(self, delay: float = 6, seconds: int = 600) -> list[str]:
        """Trick 2: a copy of bash named `homework` that execs the game through a symlink also
        named `homework` after `delay` seconds (the process name never changes)."""
        shell = self.root / "homework"
        shutil.copy2(BASH, shell)
        self._public(shell)
        links = self.root / "e"
        links.mkdir(exist_ok=True)
        os.chmod(links, 0o755)
        link = links / "homework"
        if not link.is_symlink():
            link.symlink_to(self.game)
        return [str(shell), "-c", f"sleep {delay}; exec {link} {seconds}"]

    def forkchain(self, name: str = "forkgame", seconds: int = 600) -> list[str]:
        """Trick 3: a game that ignores SIGTERM and re-forks every 0.5 s (its parent exits)."""
        out = self.root / name
        if not out.exists():
            subprocess.run([_cc(), "-O2", "-o", str(out), str(HERE / "forkchain.c")], check=True)
        self._public(out)
        return [str(out), str(seconds)]

    def userns(self, seconds: int = 600) -> list[str]:
        """Trick 4: the game in a new user namespace as root there, i.e. as a subordinate uid
        (100000...) outside (needs newuidmap and a /etc/subuid range)."""
        if shutil.which("unshare") is None or shutil.which("newuidmap") is None:
            pytest.skip("needs unshare and newuidmap (Debian package uidmap)")
        return ["unshare", "--map-auto", "--setuid", "0", "--setgid", "0", *self.plain(seconds)]

    @staticmethod
    def loader_path() -> str:
        """The dynamic loader of this system."""
        found = sorted(glob.glob("/lib64/ld-linux*.so*") + glob.glob("/lib/ld-linux*.so*"))
        if not found:
            pytest.skip("no dynamic loader (ld-linux*.so) found")
        return found[0]

    def loader(self, seconds: int = 600) -> list[str]:
        """Trick 5a: the game run by the dynamic loader (the exe is ld-linux)."""
        return [self.loader_path(), *self.plain(seconds)]

    def python_script(self, name: str = "pygame_clock", seconds: int = 600) -> Path:
        """Trick 5b/5c: a Python game script with a shebang (run it as `python3 X.py` or
        `./X.py`)."""
        script = self.root / f"{name}.py"
        script.write_text(f"#!/usr/bin/env python3\nimport time\ntime.sleep({seconds})\n")
        return self._public(script)

    def java_argfile(self, seconds: int = 600) -> list[str]:
        """Trick 6: `java @mc.args` with net.minecraft.client.main.Main hidden in the argfile
        and the jar under .minecraft/versions/ (needs a JDK: javac and jar)."""
        java, javac, jar = (shutil.which(t) for t in ("java", "javac", "jar"))
        if java is None or javac is None or jar is None:
            pytest.skip("needs a JDK (java, javac, jar) for the Java trick")
        versions = self.root / ".minecraft" / "versions" / "1.20.1"
        jar_path = versions / "1.20.1.jar"
        if not jar_path.exists():
            src = self.root / "src" / "net" / "minecraft" / "client" / "main"
            src.mkdir(parents=True)
            (src / "Main.java").write_text(
                "package net.minecraft.client.main;\n"
                "public class Main { public static void main(String[] a) throws Exception {\n"
                '  Thread.sleep(Long.parseLong(a.length > 0 ? a[0] : "600") * 1000L); } }\n'
            )
            classes = self.root / "classes"
            subprocess.run([javac, "-d", str(classes), str(src / "Main.java")], check=True)
            versions.mkdir(parents=True, exist_ok=True)
            subprocess.run([jar, "cf", str(jar_path), "-C", str(classes), "."], check=True)
        for path in [self.root / ".minecraft", *self.root.joinpath(".minecraft").rglob("*")]:
            os.chmod(path, 0o755)
        args = self.root / "mc.args"
        args.write_text(
            "# launcher-generated\n"
            f'-Xmx64m -cp "{jar_path}"\n'
            f"net.minecraft.client.main.Main {seconds}\n"
        )
        os.chmod(args, 0o644)
        return [java, "@mc.args"]

    def renamed(self, name: str = "homework-notes", seconds: int = 600) -> list[str]:
        """Trick 7: a copy of the game binary under another name."""
        copy = self.root / name
        shutil.copy2(self.game, copy)
        self._public(copy)
        return [str(copy), str(seconds)]
