"""The last minute of computer time on a desktop: the real agent (logind mocked on a private
D-Bus bus) and the real tray under Xvfb. The countdown window appears, found by its title;
the number in it goes down; hiding it does not stop the lock, and the lock removes it; a
grant closes it by itself; a tray started within the last minute shows it from the status
(English and Vietnamese). Screenshots go to artifacts/screenshots/."""

from __future__ import annotations

import getpass
import json
import os
import re
import signal
import subprocess
import sys
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from tests.support.agentproc import today
from tests.support.hubserver import free_port
from tests.support.logind import MockLogind, mock_logind, mock_logind_unavailable
from tests.support.waiting import wait_until
from tests.support.xdesktop import XDesktop, xdesktop, xdesktop_unavailable

pytestmark = pytest.mark.desktop

ROOT = Path(__file__).resolve().parents[2]
SHOTS = ROOT / "artifacts" / "screenshots"
PLAYCLOCK = Path(sys.executable).with_name("playclock")
PIN = "4321"
_reason = (
    xdesktop_unavailable()
    or mock_logind_unavailable()
    or (None if PLAYCLOCK.is_file() else f"{PLAYCLOCK} not installed (pip install -e .)")
)
if _reason:
    pytest.skip(_reason, allow_module_level=True)

DAILY_MINUTES = 2
TITLES = {"en": "Computer time ends in", "vi": "Hết giờ dùng máy tính sau"}

RULES = """\
version = 1

[settings]
listen = "127.0.0.1:{port}"
locale = "{lang}"

[[child]]
name = "An"
accounts = ["{user}"]
screen_action = "lock"

[child.limits.screen]
daily = {daily}
"""


def _get(url: str) -> dict[str, Any]:
    with urllib.request.urlopen(url, timeout=5) as resp:
        return dict(json.load(resp))


def _healthy(url: str) -> bool:
    try:
        return bool(_get(f"{url}/api/v1/health")["ok"])
    except OSError:
        return False


def _stop(proc: subprocess.Popen[bytes]) -> None:
    if proc.poll() is None:
        proc.send_signal(signal.SIGTERM)
        try:
            proc.wait(10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(5)


@dataclass
class Setup:
    url: str
    env: dict[str, str]
    argv: list[str]
    logind: MockLogind
    tmp: Path

    def screen(self) -> dict[str, Any]:
        child = _get(f"{self.url}/api/v1/status")["children"][0]
        return dict(next(r for r in child["limits"] if r["id"] == "screen"))

    def grant(self, minutes: int) -> None:
        subprocess.run(
            [*self.argv, "grant", "screen", str(minutes)],
            input=f"{PIN}\n".encode(),
            env=self.env,
            check=True,
            timeout=60,
            capture_output=True,
        )


@pytest.fixture
def logind() -> Iterator[MockLogind]:
    with mock_logind() as bus:
        bus.add_session("c2", "seat0", os.getuid(), getpass.getuser(), True)
        yield bus


def _start(tmp_path: Path, logind: MockLogind, lang: str, left: int) -> Iterator[Setup]:
    from agent.ledger.sqlite import SqliteLedger

    port = free_port()
    rules = tmp_path / "rules.toml"
    text = RULES.format(port=port, lang=lang, user=getpass.getuser(), daily=DAILY_MINUTES)
    rules.write_text(text, encoding="utf-8")
    data = tmp_path / "data"
    data.mkdir()
    ledger = SqliteLedger(data / "ledger.sqlite")
    try:  # used earlier today: `left` seconds of computer time left
        used = DAILY_MINUTES * 60 - left
        ledger.add_usage({(today(), "An", "screen", "screen"): float(used)})
    finally:
        ledger.close()
    secrets = tmp_path / "secrets"
    secrets.mkdir(mode=0o700)
    env = {k: v for k, v in os.environ.items() if not k.startswith("PLAYCLOCK_")}
    env.update(
        {
            "PYTHON_KEYRING_BACKEND": "agent.security.root_keyring.RootFileKeyring",
            "PLAYCLOCK_SECRETS_DIR": str(secrets),
            "LANGUAGE": "en",
            "LC_ALL": "C.UTF-8",
            **logind.env,
        }
    )
    argv = [str(PLAYCLOCK), "--config", str(rules), "--data-dir", str(data)]
    subprocess.run([*argv, "pin", "set"], input=f"{PIN}\n".encode(), env=env, check=True)
    log_path = tmp_path / "agent.log"
    with log_path.open("wb") as log:
        proc = subprocess.Popen([*argv, "agent"], env=env, stdout=log, stderr=subprocess.STDOUT)
    url = f"http://127.0.0.1:{port}"
    try:

        def up() -> bool:
            assert proc.poll() is None, log_path.read_text(errors="replace")
            return _healthy(url)

        wait_until(up, 30, 0.1, message="the agent answers /health")
        yield Setup(url, env, argv, logind, tmp_path)
    finally:
        _stop(proc)


@pytest.fixture
def english(tmp_path: Path, logind: MockLogind) -> Iterator[Setup]:
    # The last minute starts 20 s after the agent: the tray is up for the agent's event.
    yield from _start(tmp_path, logind, "en", left=80)


@pytest.fixture
def vietnamese(tmp_path: Path, logind: MockLogind) -> Iterator[Setup]:
    # Already in the last minute: a tray that comes now has missed the agent's event.
    yield from _start(tmp_path, logind, "vi", left=55)


def _tray(desk: XDesktop, setup: Setup) -> subprocess.Popen[bytes]:
    log_path = setup.tmp / "tray.log"
    with log_path.open("wb") as log:
        return subprocess.Popen(
            [str(PLAYCLOCK), "tray", "--url", setup.url],
            env={**setup.env, **desk.env, "PYSTRAY_BACKEND": "xorg"},
            stdout=log,
            stderr=subprocess.STDOUT,
        )


def _title(desk: XDesktop, window: int) -> str:
    """The window's _NET_WM_NAME (UTF-8), as a taskbar shows it."""
    from Xlib import X
    from Xlib.display import Display

    conn = Display(desk.display)
    try:
        win = conn.create_resource_object("window", window)
        prop = win.get_full_property(conn.intern_atom("_NET_WM_NAME"), X.AnyPropertyType)
        return "" if prop is None else bytes(prop.value).decode("utf-8")
    finally:
        conn.close()


def _find(desk: XDesktop, lang: str, *, visible: bool = True) -> list[int]:
    """The countdown windows by their title (read as UTF-8: xdotool's --name does not match
    Vietnamese), among the tray's windows of that class."""
    flags = ["--onlyvisible"] if visible else []
    found = desk.windows(*flags, "--class", "PlayClockCountdown")
    return [w for w in found if _title(desk, w).startswith(TITLES[lang] + " ")]


def _takes_no_focus(desk: XDesktop, window: int) -> bool:
    """Override-redirect (no window manager hands it the focus) and not focused now."""
    from Xlib.display import Display

    conn = Display(desk.display)
    try:
        win = conn.create_resource_object("window", window)
        focus = conn.get_input_focus().focus
        focused = getattr(focus, "id", focus)
        tree = {window, *(int(c.id) for c in win.query_tree().children)}
        return bool(win.get_attributes().override_redirect) and focused not in tree
    finally:
        conn.close()


def _seconds(title: str, lang: str) -> int:
    match = re.fullmatch(re.escape(TITLES[lang]) + r" (\d+):(\d\d)", title)
    assert match, title
    return int(match[1]) * 60 + int(match[2])


def _countdown(desk: XDesktop, tray: subprocess.Popen[bytes], setup: Setup, lang: str) -> int:
    """Wait for the countdown window (by its title); check its number goes down; its id."""

    def shown() -> int:
        assert tray.poll() is None, (setup.tmp / "tray.log").read_text(errors="replace")
        found = _find(desk, lang)
        return found[0] if found else 0

    window = wait_until(shown, 60, 0.2, "the countdown window")
    if lang == "en":  # xdotool finds it by its (ASCII) title too
        assert window in desk.windows("--onlyvisible", "--name", f"^{TITLES[lang]} [0-9]")
    assert _takes_no_focus(desk, window)
    first = _seconds(_title(desk, window), lang)
    assert 0 < first <= 60
    wait_until(lambda: _seconds(_title(desk, window), lang) <= first - 2, 10, 0.1, "counts down")
    # The number follows the agent: within a few seconds of the time it says is left.
    left = setup.screen()["left_seconds"]
    assert abs(_seconds(_title(desk, window), lang) - left) <= 3
    return window


def test_the_countdown_counts_down_and_hiding_it_does_not_stop_the_lock(
    english: Setup,
) -> None:
    with xdesktop() as desk:
        tray = _tray(desk, english)
        try:
            window = _countdown(desk, tray, english, "en")
            desk.screenshot(SHOTS / "screen-countdown-en.png")
            # Hide it (the child's only button): out of sight, the lock comes all the same.
            x, y, width, height = desk.geometry(window)
            desk.xdotool("mousemove", str(x + width - 45), str(y + height // 2), "click", "1")
            wait_until(lambda: not _find(desk, "en"), 10, 0.1, "hidden")
            assert desk.windows("--onlyvisible", "--name", "^Computer time ends in") == []
            assert english.logind.calls("c2", "Lock") == []
            wait_until(lambda: english.logind.calls("c2", "Lock"), 75, 0.2, "the lock")
            assert english.screen()["state"] == "blocked"
            # Locked: the window is gone altogether (not only hidden), and stays gone.
            wait_until(lambda: not _find(desk, "en", visible=False), 10, 0.1, "removed")
            assert tray.poll() is None
        finally:
            _stop(tray)


def test_a_tray_started_in_the_last_minute_counts_down_and_a_grant_closes_it_vi(
    vietnamese: Setup,
) -> None:
    wait_until(lambda: vietnamese.screen()["left_seconds"] <= 54, 10, 0.1, "the last minute")
    with xdesktop() as desk:
        tray = _tray(desk, vietnamese)
        try:
            _countdown(desk, tray, vietnamese, "vi")
            desk.screenshot(SHOTS / "screen-countdown-vi.png")
            vietnamese.grant(5)
            wait_until(lambda: not _find(desk, "vi", visible=False), 10, 0.1, "closed by a grant")
            assert vietnamese.screen()["left_seconds"] > 300
            assert vietnamese.logind.calls("c2", "Lock") == []
            desk.screenshot(SHOTS / "screen-countdown-vi-after-grant.png")
        finally:
            _stop(tray)
