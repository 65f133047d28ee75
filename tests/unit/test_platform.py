"""Unit tests of agent.platform: selection, capabilities, error translation, Windows commands."""

from __future__ import annotations

import os
import pwd
import re
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import psutil
import pytest

import agent.platform
from agent.platform import NotPermitted, PlatformError, ProcessGone, current
from agent.platform.base import Platform, same_process, translate_errors
from agent.platform.posix import PosixPlatform
from agent.platform.windows import (
    CREATE_NO_WINDOW,
    TASKKILL_NOT_FOUND,
    WindowsPlatform,
    polite_close_command,
)

REPO = Path(__file__).resolve().parents[2]
OWN_MODULES = ("agent/platform", "agent/service/closer.py")


def test_current_is_created_once_and_is_a_platform() -> None:
    assert current() is current()
    assert isinstance(current(), Platform)


def test_only_platform_selection_looks_at_sys_platform() -> None:
    files = [p for own in OWN_MODULES for p in sorted((REPO / own).glob("**/*.py")) or [REPO / own]]
    offenders = {
        str(path.relative_to(REPO))
        for path in files
        if "sys.platform" in path.read_text(encoding="utf-8")
    }
    assert offenders == {"agent/platform/__init__.py"}


def test_linux_capabilities() -> None:
    caps = PosixPlatform("linux").capabilities
    assert caps.os == "linux"
    assert caps.polite_close == "sigterm"
    assert caps.boot_clock_includes_suspend is True
    assert caps.can_drop_privileges is True
    expected = "systemd" if os.path.isdir("/run/systemd/system") else None
    assert caps.service_manager == expected


def test_macos_flavour_uses_launchd() -> None:
    assert PosixPlatform("macos").capabilities.service_manager == "launchd"


def test_boot_clock_runs_and_is_not_behind_monotonic() -> None:
    plat = PosixPlatform("linux")
    first = plat.boot_clock()
    # CLOCK_BOOTTIME = CLOCK_MONOTONIC + time spent suspended, so never behind it.
    assert first >= time.monotonic() - 0.001
    assert plat.boot_clock() >= first


def test_current_user_and_admin_match_the_effective_uid() -> None:
    plat = PosixPlatform("linux")
    assert plat.current_user() == pwd.getpwuid(os.geteuid()).pw_name
    assert plat.is_admin() is (os.geteuid() == 0)


def test_is_alive_checks_the_create_time() -> None:
    plat = current()
    me = psutil.Process()
    assert plat.is_alive(me.pid, me.create_time())
    assert plat.is_alive(me.pid)
    assert not plat.is_alive(me.pid, me.create_time() - 10)


def test_is_alive_is_false_once_the_process_exited() -> None:
    proc = subprocess.Popen(
        [sys.executable, "-c", "import sys; sys.stdin.readline()"], stdin=subprocess.PIPE
    )
    created = psutil.Process(proc.pid).create_time()
    assert current().is_alive(proc.pid, created)
    proc.communicate(b"\n", timeout=10)
    # Even if the pid were reused meanwhile, the create time tells the processes apart.
    assert not current().is_alive(proc.pid, created)


def test_same_process_accepts_an_unknown_create_time() -> None:
    me = psutil.Process()
    assert same_process(me, None)
    assert same_process(me, 0.0)
    assert not same_process(me, me.create_time() + 1)


@pytest.mark.parametrize(
    ("raised", "expected"),
    [
        (psutil.NoSuchProcess(1), ProcessGone),
        (psutil.ZombieProcess(1), ProcessGone),
        (ProcessLookupError(), ProcessGone),
        (psutil.AccessDenied(1), NotPermitted),
        (PermissionError(), NotPermitted),
        (OSError("disk on fire"), PlatformError),
    ],
)
def test_errors_are_translated_at_the_boundary(
    raised: Exception, expected: type[PlatformError]
) -> None:
    with pytest.raises(expected) as info, translate_errors(1):
        raise raised
    assert type(info.value) is expected
    assert info.value.__cause__ is raised


def test_a_wrong_create_time_refuses_to_signal() -> None:
    me = psutil.Process()
    with pytest.raises(ProcessGone):
        current().close_politely(me.pid, me.create_time() + 5)
    with pytest.raises(ProcessGone):
        current().kill_tree(me.pid, me.create_time() + 5)


def test_access_denied_becomes_not_permitted(monkeypatch: pytest.MonkeyPatch) -> None:
    def refuse(self: psutil.Process) -> None:
        raise psutil.AccessDenied(self.pid)

    monkeypatch.setattr(psutil.Process, "terminate", refuse)
    with pytest.raises(NotPermitted):
        PosixPlatform("linux").close_politely(os.getpid())


# --- Windows, checked here for its commands and exit-code handling --------------------


class FakeRunner:
    """Records taskkill invocations and answers with a set exit code."""

    def __init__(self, returncode: int = 0) -> None:
        self.returncode = returncode
        self.calls: list[tuple[list[str], dict[str, Any]]] = []

    def __call__(self, argv: list[str], **kwargs: Any) -> subprocess.CompletedProcess[str]:
        self.calls.append((argv, kwargs))
        return subprocess.CompletedProcess(argv, self.returncode, "", "")


def test_polite_close_command_never_forces() -> None:
    assert polite_close_command(4321) == ["taskkill", "/PID", "4321"]
    assert "/F" not in polite_close_command(4321)
    with pytest.raises(ValueError):
        polite_close_command(0)


def test_windows_capabilities() -> None:
    caps = WindowsPlatform(run=FakeRunner()).capabilities
    assert (caps.os, caps.polite_close, caps.service_manager) == (
        "windows",
        "wm_close",
        "windows-service",
    )
    assert caps.can_drop_privileges is False


def test_windows_close_politely_runs_taskkill_without_a_console() -> None:
    runner = FakeRunner(0)
    me = psutil.Process()
    assert WindowsPlatform(run=runner).close_politely(me.pid, me.create_time()) is True
    [(argv, kwargs)] = runner.calls
    assert argv == ["taskkill", "/PID", str(me.pid)]
    assert kwargs["creationflags"] == CREATE_NO_WINDOW
    assert kwargs["timeout"] > 0


def test_windows_close_of_a_windowless_process_reports_false() -> None:
    assert WindowsPlatform(run=FakeRunner(1)).close_politely(os.getpid()) is False


def test_windows_close_not_found_is_gone() -> None:
    with pytest.raises(ProcessGone):
        WindowsPlatform(run=FakeRunner(TASKKILL_NOT_FOUND)).close_politely(os.getpid())


def test_windows_does_not_run_taskkill_for_a_reused_pid() -> None:
    runner = FakeRunner(0)
    me = psutil.Process()
    with pytest.raises(ProcessGone):
        WindowsPlatform(run=runner).close_politely(me.pid, me.create_time() - 3)
    assert runner.calls == []


def test_windows_current_user_strips_the_domain(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(psutil.Process, "username", lambda self: "HOME-PC\\An")
    assert WindowsPlatform(run=FakeRunner()).current_user() == "An"


def test_windows_is_admin_is_false_without_windll() -> None:
    assert WindowsPlatform(run=FakeRunner()).is_admin() is False


def test_the_platform_package_exports_its_errors() -> None:
    assert set(agent.platform.__all__) >= {"current", "PlatformError", "ProcessGone"}
    assert issubclass(ProcessGone, PlatformError)
    assert issubclass(NotPermitted, PlatformError)
    assert re.fullmatch(r"[a-z]+", current().capabilities.os)


def test_the_installed_rules_win_over_a_users_own(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A child's ~/.config/playclock/rules.toml must not redirect the CLI and tray."""
    import platformdirs

    from agent.platform import paths

    for where in ("user", "site"):
        (tmp_path / where).mkdir()
        (tmp_path / where / "rules.toml").write_text("version = 1\n", encoding="utf-8")
    monkeypatch.setattr(platformdirs, "user_config_dir", lambda app: str(tmp_path / "user"))
    monkeypatch.setattr(platformdirs, "site_config_dir", lambda app: str(tmp_path / "site"))
    monkeypatch.delenv("PLAYCLOCK_CONFIG", raising=False)
    assert paths.find_config() == tmp_path / "site" / "rules.toml"
    (tmp_path / "site" / "rules.toml").unlink()
    if not Path("/etc/playclock/rules.toml").is_file():
        assert paths.find_config() == tmp_path / "user" / "rules.toml"  # a personal agent
