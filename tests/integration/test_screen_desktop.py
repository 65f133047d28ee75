"""`screen` on a desktop: the real agent (`playclock agent`, logind mocked on a private D-Bus
bus) and the real tray under Xvfb. The tray reports idle from the XScreenSaver extension;
xdotool input makes the session active again; a killed tray leaves the session counted as
in use (fail closed). On GNOME Wayland it reports Mutter's idle monitor (dbusmock) instead."""

from __future__ import annotations

import getpass
import json
import os
import signal
import subprocess
import sys
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from agent.service.screen import REPORT_STALE_SECONDS
from tests.support.hubserver import free_port
from tests.support.logind import MockLogind, mock_logind, mock_logind_unavailable
from tests.support.mutter import mock_mutter, mock_mutter_unavailable
from tests.support.waiting import wait_until
from tests.support.xdesktop import xdesktop, xdesktop_unavailable

pytestmark = pytest.mark.desktop

PLAYCLOCK = Path(sys.executable).with_name("playclock")
_reason = (
    xdesktop_unavailable()
    or mock_logind_unavailable()
    or (None if PLAYCLOCK.is_file() else f"{PLAYCLOCK} not installed (pip install -e .)")
)
if _reason:
    pytest.skip(_reason, allow_module_level=True)

RULES = """\
version = 1

[settings]
listen = "127.0.0.1:{port}"
locale = "en"
idle_minutes = 0.1

[[child]]
name = "An"
accounts = ["{user}"]
screen_action = "notify"

[child.limits.screen]
daily = 120
"""


def _get(url: str) -> dict[str, Any]:
    with urllib.request.urlopen(url, timeout=5) as resp:
        return dict(json.load(resp))


def _healthy(url: str) -> bool:
    try:
        return bool(_get(f"{url}/api/v1/health")["ok"])
    except OSError:
        return False


class Agent:
    def __init__(self, url: str) -> None:
        self.url = url

    def screen(self) -> dict[str, Any]:
        child = _get(f"{self.url}/api/v1/status")["children"][0]
        return dict(next(r for r in child["limits"] if r["id"] == "screen"))

    def ticks(self) -> int:
        return int(_get(f"{self.url}/api/v1/health")["ticks"])


def _stop(proc: subprocess.Popen[bytes], sig: int = signal.SIGTERM) -> None:
    if proc.poll() is None:
        proc.send_signal(sig)
        try:
            proc.wait(10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(5)


@pytest.fixture
def logind() -> Iterator[MockLogind]:
    with mock_logind() as bus:
        bus.add_session("c2", "seat0", os.getuid(), getpass.getuser(), True)
        yield bus


@pytest.fixture
def env(tmp_path: Path, logind: MockLogind) -> dict[str, str]:
    secrets = tmp_path / "secrets"
    secrets.mkdir(mode=0o700)
    out = {k: v for k, v in os.environ.items() if not k.startswith("PLAYCLOCK_")}
    out.update(
        {
            "PYTHON_KEYRING_BACKEND": "agent.security.root_keyring.RootFileKeyring",
            "PLAYCLOCK_SECRETS_DIR": str(secrets),
            "LANGUAGE": "en",
            "LC_ALL": "C.UTF-8",
            **logind.env,
        }
    )
    return out


@pytest.fixture
def agent(tmp_path: Path, env: dict[str, str]) -> Iterator[Agent]:
    port = free_port()
    rules = tmp_path / "rules.toml"
    rules.write_text(RULES.format(port=port, user=getpass.getuser()), encoding="utf-8")
    argv = [str(PLAYCLOCK), "--config", str(rules), "--data-dir", str(tmp_path / "data")]
    log_path = tmp_path / "agent.log"
    with log_path.open("wb") as log:
        proc = subprocess.Popen([*argv, "agent"], env=env, stdout=log, stderr=subprocess.STDOUT)
    url = f"http://127.0.0.1:{port}"
    try:

        def up() -> bool:
            assert proc.poll() is None, log_path.read_text(errors="replace")
            return _healthy(url)

        wait_until(up, 30, 0.1, message="the agent answers /health")
        yield Agent(url)
    finally:
        _stop(proc)


def test_tray_reports_idle_input_resumes_and_a_killed_tray_means_in_use(
    tmp_path: Path, env: dict[str, str], agent: Agent
) -> None:
    with xdesktop() as desk:
        log_path = tmp_path / "tray.log"
        with log_path.open("wb") as log:
            tray = subprocess.Popen(
                [str(PLAYCLOCK), "tray", "--url", agent.url],
                env={**env, **desk.env, "PYSTRAY_BACKEND": "xorg"},
                stdout=log,
                stderr=subprocess.STDOUT,
            )
        try:

            def tray_alive() -> None:
                assert tray.poll() is None, log_path.read_text(errors="replace")

            # The logind session counts from the start (IdleHint is not set by this desktop).
            wait_until(lambda: agent.screen()["used_seconds"] >= 1, 30, 0.2, "counting")
            # No input on the X display: after idle_minutes (6 s) the tray's report stops it.
            wait_until(
                lambda: tray_alive() or not agent.screen()["active"], 40, 0.2, "idle stops it"
            )
            used = agent.screen()["used_seconds"]
            ticks = agent.ticks()
            wait_until(lambda: agent.ticks() >= ticks + 3, 20, 0.1, "three more ticks")
            assert agent.screen()["used_seconds"] <= used + 1  # not counted while idle
            # Input again: the tray reports at its next check, the session counts again.
            desk.xdotool("mousemove", "200", "200")
            desk.xdotool("mousemove", "300", "250")
            wait_until(lambda: agent.screen()["active"], 15, 0.1, "input makes it active")
            wait_until(lambda: not agent.screen()["active"], 40, 0.2, "idle again")
            # The tray dies while the session is idle: once its last report is stale the
            # agent no longer believes it, and the session counts as in use (fail closed).
            tray_alive()
            tray.send_signal(signal.SIGKILL)
            tray.wait(10)
            used = agent.screen()["used_seconds"]
            wait_until(
                lambda: agent.screen()["active"],
                REPORT_STALE_SECONDS + 15,
                0.2,
                "a killed tray counts as in use",
            )
            wait_until(lambda: agent.screen()["used_seconds"] >= used + 2, 15, 0.2, "counts")
        finally:
            _stop(tray)


@pytest.mark.skipif(mock_mutter_unavailable() is not None, reason=str(mock_mutter_unavailable()))
def test_on_gnome_wayland_the_tray_reports_mutters_idle_time(
    tmp_path: Path, env: dict[str, str], agent: Agent
) -> None:
    # A GNOME Wayland session: WAYLAND_DISPLAY set, Xwayland's DISPLAY (Xvfb here) beside it,
    # and Mutter's idle monitor on the session bus (dbusmock). The X server's idle time only
    # grows here (no input at all): the tray must not believe it.
    with xdesktop() as desk, mock_mutter(idle_seconds=0.0) as mutter:
        log_path = tmp_path / "tray.log"
        tray_env = {
            **env,
            **desk.env,
            **mutter.env,
            "WAYLAND_DISPLAY": "wayland-0",
            "XDG_SESSION_TYPE": "wayland",
            "PYSTRAY_BACKEND": "xorg",
        }
        with log_path.open("wb") as log:
            tray = subprocess.Popen(
                [str(PLAYCLOCK), "tray", "--url", agent.url],
                env=tray_env,
                stdout=log,
                stderr=subprocess.STDOUT,
            )
        try:

            def tray_alive() -> None:
                assert tray.poll() is None, log_path.read_text(errors="replace")

            wait_until(lambda: tray_alive() or mutter.calls() >= 2, 30, 0.2, "tray asks Mutter")
            # Past idle_minutes (6 s) without X input, Mutter says 0: still in use.
            wait_until(lambda: agent.screen()["used_seconds"] >= 10, 40, 0.2, "counting")
            assert agent.screen()["active"]
            # Mutter says 10 minutes without input: the agent stops counting.
            mutter.set_idle(600.0)
            wait_until(
                lambda: tray_alive() or not agent.screen()["active"], 20, 0.2, "idle stops it"
            )
            used = agent.screen()["used_seconds"]
            ticks = agent.ticks()
            wait_until(lambda: agent.ticks() >= ticks + 3, 20, 0.1, "three more ticks")
            assert agent.screen()["used_seconds"] <= used + 1
            # Input again (Mutter's idle time drops): active again, with no X input at all.
            mutter.set_idle(0.5)
            wait_until(lambda: agent.screen()["active"], 15, 0.1, "input makes it active")
            wait_until(lambda: agent.screen()["used_seconds"] >= used + 2, 15, 0.2, "counts")
            tray_alive()
        finally:
            _stop(tray)
