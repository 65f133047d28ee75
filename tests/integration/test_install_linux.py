"""Linux install for real: systemd accepts the unit, a standard account cannot touch the result."""

from __future__ import annotations

import io
import os
import shutil
import signal
import subprocess
import sys
import tempfile
from collections.abc import Iterator
from pathlib import Path, PurePosixPath

import pytest

from installer import InstallOptions, run_install, run_uninstall
from installer.apply import apply
from installer.base import FileSpec, Plan
from installer.linux import LinuxInstaller

VENV_SCRIPT = Path(sys.executable).with_name("playclock")
needs_systemd_analyze = pytest.mark.skipif(
    shutil.which("systemd-analyze") is None, reason="systemd-analyze is not installed")
is_root = hasattr(os, "geteuid") and os.geteuid() == 0
root_only = pytest.mark.skipif(
    not is_root, reason="needs root: root-owned files, and the standard account 'nobody' "
                        "to try them")


def verify(unit_text: str, tmp_path: Path) -> subprocess.CompletedProcess[str]:
    unit = tmp_path / "playclock-agent.service"
    unit.write_text(unit_text)
    return subprocess.run(["systemd-analyze", "verify", str(unit)], capture_output=True,
                          text=True, timeout=120, check=False)


def complaints(result: subprocess.CompletedProcess[str]) -> list[str]:
    return [ln for ln in (result.stdout + result.stderr).splitlines() if "playclock" in ln]


@needs_systemd_analyze
@pytest.mark.parametrize("program", [
    (str(VENV_SCRIPT),),
    (sys.executable, "-m", "playclock"),
], ids=["script", "python-m"])
def test_systemd_analyze_verify_accepts_the_unit(tmp_path: Path, program: tuple[str, ...]) -> None:
    if not Path(program[0]).is_file():
        pytest.skip(f"{program[0]} does not exist")
    result = verify(LinuxInstaller().unit_text(InstallOptions(program)), tmp_path)
    assert result.returncode == 0, result.stderr
    assert complaints(result) == []


@needs_systemd_analyze
def test_systemd_analyze_verify_would_catch_a_bad_unit(tmp_path: Path) -> None:
    # The check above is only worth something if verify reports problems in our file.
    text = LinuxInstaller().unit_text(InstallOptions(("/bin/true",)))
    result = verify(text.replace("Restart=always", "Restart=always\nRestartt=always"), tmp_path)
    assert any("Restartt" in ln for ln in complaints(result))


@pytest.mark.skipif(shutil.which("desktop-file-validate") is None,
                    reason="desktop-file-validate is not installed")
def test_desktop_file_validates(tmp_path: Path) -> None:
    entry = tmp_path / "playclock-tray.desktop"
    entry.write_text(LinuxInstaller().desktop_text(InstallOptions(("/usr/bin/playclock",))))
    result = subprocess.run(["desktop-file-validate", str(entry)], capture_output=True,
                            text=True, check=False)
    assert result.returncode == 0, result.stdout + result.stderr
    assert result.stdout.strip() == ""  # not even a hint


# -- as root: owners, and what a standard account can do ----------------------------


@pytest.fixture
def staged() -> Iterator[Path]:
    """A staged install in a directory every account can traverse (pytest's tmp is 0700)."""
    root = Path(tempfile.mkdtemp(prefix="playclock-stage-", dir="/tmp"))
    try:
        root.chmod(0o755)
        out = io.StringIO()
        assert run_install(root, False, "linux", out, program=["/usr/bin/playclock"]) == 0, \
            out.getvalue()
        yield root
    finally:
        shutil.rmtree(root, ignore_errors=True)


def nobody_python() -> str:
    """An interpreter the 'nobody' account can run (the venv may sit under /root)."""
    for candidate in (sys.executable, shutil.which("python3", path="/usr/bin:/bin")):
        try:
            if candidate and as_nobody(candidate, "print('ok')").stdout.strip() == "ok":
                return candidate
        except PermissionError:
            continue  # not even executable by nobody
    pytest.skip("no Python interpreter that the 'nobody' account can run")


def as_nobody(python: str, code: str, *args: str) -> subprocess.CompletedProcess[str]:
    import pwd

    try:
        entry = pwd.getpwnam("nobody")
    except KeyError:
        pytest.skip("there is no 'nobody' account")
    return subprocess.run([python, "-I", "-c", code, *args], user=entry.pw_uid,
                          group=entry.pw_gid, extra_groups=[], cwd="/",
                          env={"PATH": "/usr/bin:/bin"}, capture_output=True, text=True,
                          timeout=60, check=False)


TRY = """
import os, sys
how, path = sys.argv[1], sys.argv[2]
try:
    if how == "read":
        open(path, "rb").read()
        print("read")
        sys.exit(0)
    elif how == "append":
        open(path, "ab").close()
    elif how == "create":
        open(os.path.join(path, "planted"), "xb").close()
    elif how == "chmod":
        os.chmod(path, 0o666)
    elif how == "kill":
        os.kill(int(path), int(sys.argv[3]))
except PermissionError:
    print("PermissionError")
    sys.exit(0)
print("succeeded")
"""


@pytest.mark.root
@root_only
def test_staged_install_owners_are_root(staged: Path) -> None:
    for path in [staged / rel for rel in (
            "etc/playclock", "etc/playclock/rules.toml", "var/lib/playclock",
            "var/lib/playclock/secrets", "var/lib/playclock/install-manifest.json",
            "etc/systemd/system/playclock-agent.service",
            "etc/xdg/autostart/playclock-tray.desktop")]:
        st = path.stat()
        assert (st.st_uid, st.st_gid) == (0, 0), path


@pytest.mark.root
@root_only
def test_apply_sets_the_planned_owner(tmp_path: Path) -> None:
    import grp
    import pwd

    nobody, nogroup = pwd.getpwnam("nobody"), grp.getgrgid(pwd.getpwnam("nobody").pw_gid)
    plan = Plan(os_name="linux", action="install", anchor=PurePosixPath("/"),
                manifest=PurePosixPath("m/manifest.json"),
                files=(FileSpec(PurePosixPath("x"), b"x", 0o640, nobody.pw_name, nogroup.gr_name),))
    apply(plan, tmp_path, dry_run=False, run_commands=False, out=io.StringIO(), chown=True)
    st = (tmp_path / "x").stat()
    assert (st.st_uid, st.st_gid, st.st_mode & 0o777) == (nobody.pw_uid, nobody.pw_gid, 0o640)


@pytest.mark.root
@root_only
@pytest.mark.parametrize(("how", "rel"), [
    ("append", "etc/playclock/rules.toml"),
    ("chmod", "etc/playclock/rules.toml"),
    ("create", "etc/playclock"),
    ("append", "etc/systemd/system/playclock-agent.service"),
    ("append", "etc/xdg/autostart/playclock-tray.desktop"),
    ("create", "var/lib/playclock"),
    ("create", "var/lib/playclock/secrets"),
    ("append", "var/lib/playclock/install-manifest.json"),
    ("read", "var/lib/playclock/install-manifest.json"),
])
def test_a_standard_account_cannot_change_config_or_data(staged: Path, how: str, rel: str) -> None:
    python = nobody_python()
    # The same account can read the config: the tree is reachable, so a refusal below
    # comes from PlayClock's own modes and owners.
    control = as_nobody(python, TRY, "read", str(staged / "etc/playclock/rules.toml"))
    assert control.stdout.strip() == "read", control.stderr
    before = sorted(p.name for p in staged.rglob("*"))
    result = as_nobody(python, TRY, how, str(staged / rel))
    assert result.stdout.strip() == "PermissionError", result.stdout + result.stderr
    assert sorted(p.name for p in staged.rglob("*")) == before
    assert (staged / "etc/playclock/rules.toml").stat().st_mode & 0o777 == 0o644


@pytest.mark.root
@root_only
@pytest.mark.parametrize("sig", [signal.SIGTERM, signal.SIGKILL], ids=["TERM", "KILL"])
def test_a_standard_account_cannot_signal_the_agent(sig: signal.Signals) -> None:
    python = nobody_python()
    agent = subprocess.Popen(["sleep", "300"])  # stands in for the root-owned agent
    try:
        result = as_nobody(python, TRY, "kill", str(agent.pid), str(int(sig)))
        assert result.stdout.strip() == "PermissionError", result.stdout + result.stderr
        assert agent.poll() is None
    finally:
        agent.kill()
        agent.wait()


@pytest.mark.root
@root_only
def test_uninstall_as_root_leaves_only_root_owned_data(staged: Path) -> None:
    assert run_uninstall(staged, False, False, "linux", lambda: True, io.StringIO()) == 0
    left = {p.relative_to(staged).as_posix(): p.stat() for p in staged.rglob("*")}
    assert set(left) == {"var", "var/lib", "var/lib/playclock", "var/lib/playclock/secrets"}
    assert left["var/lib/playclock"].st_uid == 0
    assert left["var/lib/playclock"].st_mode & 0o777 == 0o700
