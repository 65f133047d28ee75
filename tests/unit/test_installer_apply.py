"""Staged installs and uninstalls: exactly the documented files, PIN and rights checked first."""

from __future__ import annotations

import io
import json
import os
from collections.abc import Sequence
from pathlib import Path, PurePosixPath

import pytest

from installer import HOST_OS, for_os, run_install, run_uninstall
from installer.apply import apply
from installer.base import Command, FileSpec, InstallOptions, Plan
from installer.linux import LinuxInstaller
from installer.macos import MacInstaller
from installer.windows import WindowsInstaller

PROGRAM = ["/usr/bin/playclock"]
OPTS = InstallOptions(tuple(PROGRAM))

LINUX_FILES = {
    "etc/systemd/system/playclock-agent.service": 0o644,
    "etc/xdg/autostart/playclock-tray.desktop": 0o644,
    "etc/playclock/rules.toml": 0o644,
    "root/.config/python_keyring/keyringrc.cfg": 0o644,
    "var/lib/playclock/install-manifest.json": 0o600,
}
LINUX_DIRS = {
    "etc/playclock": 0o755,
    "var/lib/playclock": 0o700,
    "var/lib/playclock/secrets": 0o700,
}
PARENTS = {"etc", "etc/systemd", "etc/systemd/system", "etc/xdg", "etc/xdg/autostart",
           "root", "root/.config", "root/.config/python_keyring", "var", "var/lib"}


def tree(root: Path) -> dict[str, tuple[str, int, bytes]]:
    """Every path under root with its kind, mode and content."""
    found: dict[str, tuple[str, int, bytes]] = {}
    for path in sorted(root.rglob("*")):
        rel = path.relative_to(root).as_posix()
        mode = path.lstat().st_mode & 0o7777
        found[rel] = ("d", mode, b"") if path.is_dir() else ("f", mode, path.read_bytes())
    return found


def install(root: Path, os_name: str = "linux") -> str:
    out = io.StringIO()
    assert run_install(root, False, os_name, out, program=PROGRAM) == 0, out.getvalue()
    return out.getvalue()


def uninstall(root: Path, purge: bool = False, pin: bool = True, os_name: str = "linux") -> int:
    return run_uninstall(root, False, purge, os_name, lambda: pin, io.StringIO(),
                         program=PROGRAM, err=io.StringIO())


def test_staged_install_writes_exactly_the_documented_files_and_modes(tmp_path: Path) -> None:
    out = install(tmp_path)
    found = tree(tmp_path)
    files = {p: m for p, (kind, m, _) in found.items() if kind == "f"}
    dirs = {p: m for p, (kind, m, _) in found.items() if kind == "d"}
    assert files == LINUX_FILES
    assert {p: dirs[p] for p in LINUX_DIRS} == LINUX_DIRS
    assert set(dirs) == set(LINUX_DIRS) | PARENTS
    # With --root the service commands are printed for the packager, not run.
    assert ("not run (staged install); on the target run: "
            "systemctl enable playclock-agent.service") in out
    manifest = json.loads(found["var/lib/playclock/install-manifest.json"][2])
    assert {f["path"] for f in manifest["files"]} == set(LINUX_FILES) - {
        "var/lib/playclock/install-manifest.json"}


def test_uninstall_removes_everything_but_the_data_dir(tmp_path: Path) -> None:
    install(tmp_path)
    (tmp_path / "var/lib/playclock/ledger.sqlite").write_bytes(b"usage")
    assert uninstall(tmp_path) == 0
    assert set(tree(tmp_path)) == {"var", "var/lib", "var/lib/playclock",
                                   "var/lib/playclock/secrets", "var/lib/playclock/ledger.sqlite"}


def test_uninstall_purge_removes_the_data_dir_too(tmp_path: Path) -> None:
    install(tmp_path)
    (tmp_path / "var/lib/playclock/secrets/pin").write_bytes(b"hash")
    assert uninstall(tmp_path, purge=True) == 0
    assert tree(tmp_path) == {}


@pytest.mark.parametrize("os_name", ["windows", "macos"])
def test_other_os_staged_install_and_purge_round_trip(tmp_path: Path, os_name: str) -> None:
    install(tmp_path, os_name)
    face = WindowsInstaller() if os_name == "windows" else MacInstaller()
    plan = face.plan(OPTS)
    for f in plan.files:
        assert (tmp_path.joinpath(*f.path.parts)).read_bytes() == f.content
    assert tmp_path.joinpath(*plan.manifest.parts).is_file()
    assert uninstall(tmp_path, purge=True, os_name=os_name) == 0
    assert tree(tmp_path) == {}


def test_wrong_pin_changes_nothing(tmp_path: Path) -> None:
    install(tmp_path)
    before = tree(tmp_path)
    err = io.StringIO()
    code = run_uninstall(tmp_path, False, True, "linux", lambda: False, io.StringIO(),
                         program=PROGRAM, err=err)
    assert code == 1
    assert "wrong parent PIN" in err.getvalue()
    assert tree(tmp_path) == before


def test_uninstall_without_admin_rights_fails_before_asking_for_the_pin(
        monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(type(for_os()), "is_admin", lambda self: False)
    asked: list[bool] = []
    err = io.StringIO()

    def pin() -> bool:
        asked.append(True)
        return True

    # root=None means the real system: this must stop at the rights check.
    assert run_uninstall(None, False, False, None, pin, io.StringIO(), err=err) == 1
    assert asked == []
    assert "administrator" in err.getvalue()


def test_install_on_the_real_system_without_admin_rights_fails(
        monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(type(for_os()), "is_admin", lambda self: False)
    err = io.StringIO()
    assert run_install(None, False, None, io.StringIO(), program=PROGRAM, err=err) == 1
    assert "administrator" in err.getvalue()


def test_bad_input_exits_2(tmp_path: Path) -> None:
    err = io.StringIO()
    assert run_install(tmp_path, False, "beos", io.StringIO(), err=err) == 2
    assert "unknown OS" in err.getvalue()
    not_dir = tmp_path / "file"
    not_dir.write_text("x")
    assert run_install(not_dir, False, "linux", io.StringIO(), err=io.StringIO()) == 2
    other = "windows" if HOST_OS != "windows" else "linux"
    assert run_install(None, False, other, io.StringIO(), err=io.StringIO()) == 2


def test_uninstall_of_nothing_installed_fails_without_asking_for_the_pin(tmp_path: Path) -> None:
    err = io.StringIO()
    code = run_uninstall(tmp_path, False, False, "linux", lambda: pytest.fail("asked for PIN"),
                         io.StringIO(), err=err)
    assert code == 1 and "not installed" in err.getvalue()


def test_reinstall_keeps_the_parents_rules(tmp_path: Path) -> None:
    install(tmp_path)
    rules = tmp_path / "etc/playclock/rules.toml"
    rules.write_text("version = 1\n# mine\n")
    rules.chmod(0o666)  # a sloppy mode is fixed even though the content is kept
    out = install(tmp_path)
    assert rules.read_text() == "version = 1\n# mine\n"
    assert rules.stat().st_mode & 0o777 == 0o644
    assert "keep " in out
    # The edited rules survive a plain uninstall, and go with --purge.
    assert uninstall(tmp_path) == 0
    assert rules.read_text() == "version = 1\n# mine\n"
    install(tmp_path)
    assert uninstall(tmp_path, purge=True) == 0
    assert not rules.exists()


def test_rules_present_before_the_first_install_are_kept(tmp_path: Path) -> None:
    rules = tmp_path / "etc/playclock/rules.toml"
    rules.parent.mkdir(parents=True)
    rules.write_text("version = 1\n")
    install(tmp_path)
    assert rules.read_text() == "version = 1\n"
    assert uninstall(tmp_path) == 0
    assert rules.read_text() == "version = 1\n"


def test_foreign_file_is_backed_up_and_restored_on_uninstall(tmp_path: Path) -> None:
    theirs = tmp_path / "root/.config/python_keyring/keyringrc.cfg"
    theirs.parent.mkdir(parents=True)
    theirs.write_text("[backend]\ndefault-keyring = other.Keyring\n")
    out = install(tmp_path)
    backup = theirs.with_name("keyringrc.cfg.bak")
    assert backup.read_text() == "[backend]\ndefault-keyring = other.Keyring\n"
    assert "agent.security.root_keyring.RootFileKeyring" in theirs.read_text()
    assert "is not PlayClock's: moved to" in out
    install(tmp_path)  # a reinstall does not back up our own file again
    assert not theirs.with_name("keyringrc.cfg.bak.1").exists()
    assert uninstall(tmp_path) == 0
    assert theirs.read_text() == "[backend]\ndefault-keyring = other.Keyring\n"
    assert not backup.exists()


def test_identical_existing_file_is_adopted_without_backup(tmp_path: Path) -> None:
    plan = LinuxInstaller().plan(OPTS)
    unit = next(f for f in plan.files if f.path.name == "playclock-agent.service")
    target = tmp_path.joinpath(*unit.path.parts)
    target.parent.mkdir(parents=True)
    target.write_bytes(unit.content)
    install(tmp_path)
    assert not target.with_name(target.name + ".bak").exists()


def test_dry_run_prints_every_file_and_command_and_changes_nothing(tmp_path: Path) -> None:
    out = io.StringIO()
    assert run_install(tmp_path, True, "linux", out, program=PROGRAM) == 0
    assert tree(tmp_path) == {}
    text = out.getvalue()
    for rel in LINUX_FILES:
        assert str(tmp_path / rel) in text
    for cmd in ("systemctl daemon-reload", "systemctl enable playclock-agent.service",
                "systemctl restart playclock-agent.service"):
        assert f"would run: {cmd}" in text


def test_dry_run_uninstall_changes_nothing_and_needs_no_pin(tmp_path: Path) -> None:
    install(tmp_path)
    before = tree(tmp_path)
    out = io.StringIO()
    code = run_uninstall(tmp_path, True, True, "linux", lambda: pytest.fail("asked for PIN"),
                         out, program=PROGRAM)
    assert code == 0
    assert tree(tmp_path) == before
    assert f"remove {tmp_path / 'etc/systemd/system/playclock-agent.service'}" in out.getvalue()


def test_other_os_dry_run_describes_the_plan() -> None:
    out = io.StringIO()
    assert run_install(None, True, "windows", out, program=["C:\\PC\\playclock.exe"]) == 0
    text = out.getvalue()
    assert "C:\\ProgramData\\PlayClock\\playclock-agent-task.xml" in text
    assert "schtasks /Create" in text and "icacls" in text


class Recorder:
    """A command runner that remembers what it ran and fails on request."""

    def __init__(self, fail: Sequence[str] = ()) -> None:
        self.ran: list[tuple[str, ...]] = []
        self.fail = set(fail)

    def __call__(self, argv: Sequence[str]) -> int:
        self.ran.append(tuple(argv))
        return 1 if argv[-1] in self.fail else 0


def tiny_plan(check: bool = True) -> Plan:
    return Plan(
        os_name="linux", action="install", anchor=PurePosixPath("/"),
        manifest=PurePosixPath("data/manifest.json"),
        files=(FileSpec(PurePosixPath("etc/x.conf"), b"x"),),
        commands=(Command(("echo", "before"), "b", when="before"),
                  Command(("echo", "after"), "a", check=check)),
    )


def test_commands_run_in_order_around_the_files(tmp_path: Path) -> None:
    runner = Recorder()
    seen: list[bool] = []

    def watching(argv: Sequence[str]) -> int:
        seen.append((tmp_path / "etc/x.conf").exists())
        return runner(argv)

    assert apply(tiny_plan(), tmp_path, dry_run=False, run_commands=True, out=io.StringIO(),
                 runner=watching)
    assert runner.ran == [("echo", "before"), ("echo", "after")]
    assert seen == [False, True]


def test_a_failing_checked_command_fails_the_apply(tmp_path: Path) -> None:
    out = io.StringIO()
    assert not apply(tiny_plan(), tmp_path, dry_run=False, run_commands=True, out=out,
                     runner=Recorder(fail=["after"]))
    assert "command failed (exit 1): echo after" in out.getvalue()
    assert apply(tiny_plan(check=False), tmp_path, dry_run=False, run_commands=True,
                 out=io.StringIO(), runner=Recorder(fail=["after"]))


def test_dry_run_never_calls_the_runner(tmp_path: Path) -> None:
    runner = Recorder()
    apply(tiny_plan(), tmp_path, dry_run=True, run_commands=True, out=io.StringIO(), runner=runner)
    assert runner.ran == []
    assert not any(tmp_path.iterdir())


def test_files_are_written_atomically_with_no_temp_left(tmp_path: Path) -> None:
    install(tmp_path)
    leftovers = [p for p in tmp_path.rglob("*") if p.name.endswith(".tmp")]
    assert leftovers == []
    assert os.stat(tmp_path / "var/lib/playclock/install-manifest.json").st_mode & 0o777 == 0o600


def test_existing_parent_directories_keep_their_mode_and_stay(tmp_path: Path) -> None:
    private = tmp_path / "root/.config"
    private.mkdir(parents=True)
    private.chmod(0o700)
    install(tmp_path)
    assert private.stat().st_mode & 0o777 == 0o700
    assert uninstall(tmp_path) == 0
    assert private.is_dir() and private.stat().st_mode & 0o777 == 0o700
    assert not (private / "python_keyring").exists()  # the one PlayClock made is gone


def test_playclocks_own_directories_get_their_modes_back(tmp_path: Path) -> None:
    data = tmp_path / "var/lib/playclock"
    data.mkdir(parents=True)
    data.chmod(0o777)
    install(tmp_path)
    assert data.stat().st_mode & 0o777 == 0o700


def test_install_into_a_root_that_does_not_exist_yet(tmp_path: Path) -> None:
    """Issue 14, item 2: it failed half-way ("root/var: No such file or directory")."""
    root = tmp_path / "stage" / "root"
    out = install(root)
    assert out.startswith(f"create {root}/")
    assert (root / "etc").is_dir() and (root / "var").is_dir()
    assert set(tree(root)) == set(snapshot_of_fresh_install(tmp_path / "fresh"))


def test_a_dry_run_into_a_missing_root_changes_nothing(tmp_path: Path) -> None:
    root = tmp_path / "missing"
    out = io.StringIO()
    assert run_install(root, True, "linux", out, program=PROGRAM) == 0, out.getvalue()
    assert f"create {root}/" in out.getvalue()
    assert not root.exists()


def test_a_root_that_cannot_be_made_fails_before_anything_is_written(tmp_path: Path) -> None:
    blocker = tmp_path / "file"
    blocker.write_text("x")
    err = io.StringIO()
    assert run_install(blocker / "root", False, "linux", io.StringIO(), err=err) == 1
    assert str(blocker / "root") in err.getvalue()


def snapshot_of_fresh_install(root: Path) -> dict[str, tuple[str, int, bytes]]:
    root.mkdir()
    install(root)
    return tree(root)
