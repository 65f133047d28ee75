"""A non-root run with no Secret Service: every parent entry point says what to do (item 1).

Before: `playclock pin set` failed, `playclock grant` printed "Internal Server Error" and the
dashboard's /login answered 500. Now the CLI, the API, the dashboard (in Chromium) and the
tray all give the one message that names the fix, and never a 500 or a traceback.

The account is made non-root by patching os.geteuid in this process: the root-only file
store's keyring priority then refuses, as it does for a real standard account.
"""

from __future__ import annotations

import getpass
import io
import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import keyring.core
import pytest
import requests

from agent.api_client import AgentClient
from playclock.compose import Runtime, build
from tests.support.agentproc import playclock_argv
from tests.support.browser import browser_unavailable, chromium, save_full_screenshot
from tests.support.hubserver import free_port
from tests.support.waiting import wait_until
from tests.unit.test_tray_actions import FakeUi
from tray.actions import Actions

ROOT = Path(__file__).resolve().parents[2]
SHOTS = ROOT / "artifacts" / "screenshots"
PIN = "1234"
FIX = "run PlayClock as root"

pytestmark = pytest.mark.skipif(not sys.platform.startswith("linux"), reason="Linux keyrings")


@pytest.fixture
def no_keyring(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    """A standard account in a session without a Secret Service, nothing configured."""
    for name in ("PYTHON_KEYRING_BACKEND", "DBUS_SESSION_BUS_ADDRESS", "PLAYCLOCK_SECRETS_DIR"):
        monkeypatch.delenv(name, raising=False)
    runtime_dir = tmp_path / "run"
    runtime_dir.mkdir()
    monkeypatch.setenv("XDG_RUNTIME_DIR", str(runtime_dir))  # no session bus socket there
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path / "config"))  # no keyringrc.cfg
    monkeypatch.setattr(os, "geteuid", lambda: 1000)
    monkeypatch.setattr(keyring.core, "_keyring_backend", None)


def one_clear_line(text: str) -> str:
    lines = [line for line in text.splitlines() if line.strip()]
    assert len(lines) == 1, text
    assert "Traceback" not in text and "Internal Server Error" not in text, text
    assert FIX in lines[0] and "sudo playclock" in lines[0], text
    return lines[0]


def test_pin_set_on_the_command_line(
    no_keyring: None, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: Any
) -> None:
    from playclock.cli import main

    monkeypatch.setattr(sys, "stdin", io.StringIO(f"{PIN}\n"))
    monkeypatch.setenv("PLAYCLOCK_LANG", "en")
    assert main(["--data-dir", str(tmp_path / "data"), "pin", "set"]) == 1
    out, err = capsys.readouterr()
    assert out == ""
    assert one_clear_line(err).startswith(
        "playclock: PlayClock has no safe place for the parent PIN"
    )
    assert not (tmp_path / "data").exists()  # nothing was written


RULES = """version = 1
[settings]
listen = "127.0.0.1:{port}"
locale = "en"

[[child]]
name = "An"
accounts = ["{user}"]

[child.limits.total]
daily = 60
"""


@pytest.fixture
def agent(no_keyring: None, tmp_path: Path) -> Iterator[tuple[Runtime, str]]:
    """The real agent, serving its API and dashboard, in this non-root, keyring-less process."""
    for attempt in range(3):
        port = free_port()
        rules = tmp_path / "rules.toml"
        rules.write_text(RULES.format(port=port, user=getpass.getuser()), encoding="utf-8")
        runtime = build(rules, tmp_path / f"data-{attempt}")
        try:
            runtime.start()
        except OSError:
            runtime.stop()
            continue
        try:
            yield runtime, f"http://127.0.0.1:{port}"
        finally:
            runtime.stop()
        return
    raise RuntimeError("the agent did not start")


def test_api_answers_503_with_the_fix_never_500(agent: tuple[Runtime, str]) -> None:
    _runtime, url = agent
    api = f"{url}/api/v1"
    login = requests.post(f"{api}/session", json={"pin": PIN}, timeout=10)
    assert login.status_code == 503
    one_clear_line(login.json()["detail"])
    grant = requests.post(
        f"{api}/grants",
        json={"child": "An", "target": "total", "minutes": 15},
        headers={"X-PlayClock-Pin": PIN},
        timeout=10,
    )
    assert grant.status_code == 503, grant.text
    one_clear_line(grant.json()["detail"])


def test_grant_on_the_command_line(agent: tuple[Runtime, str], tmp_path: Path) -> None:
    """`playclock grant` (a real process: it only talks to the agent) prints the agent's word."""
    runtime, _url = agent
    env = {k: v for k, v in os.environ.items() if not k.startswith("PLAYCLOCK_")}
    env["PLAYCLOCK_LANG"] = "en"
    rules = tmp_path / "rules.toml"
    done = subprocess.run(
        [*playclock_argv(), "--config", str(rules), "grant", "total", "15"],
        input=f"{PIN}\n",
        capture_output=True,
        text=True,
        env=env,
        timeout=60,
    )
    assert done.returncode == 1
    assert one_clear_line(done.stderr).startswith("playclock: PlayClock has no safe place")
    assert runtime.agent.status()["children"][0]["limits"][0]["bonus_seconds"] == 0


def test_tray_shows_the_message(agent: tuple[Runtime, str]) -> None:
    _runtime, url = agent
    ui = FakeUi(pins=[PIN])
    Actions(AgentClient(url), ui, lambda: "An", url + "/").run("grant:15")
    assert len(ui.messages) == 1
    one_clear_line(ui.messages[0][1])


@pytest.mark.browser
@pytest.mark.skipif(bool(browser_unavailable()), reason=str(browser_unavailable()))
def test_dashboard_login_in_chromium(agent: tuple[Runtime, str]) -> None:
    from selenium.webdriver.common.by import By
    from selenium.webdriver.common.keys import Keys

    _runtime, url = agent
    assert requests.get(f"{url}/login", timeout=10).status_code == 200
    with chromium((1280, 900)) as driver:
        driver.get(f"{url}/login")
        body = driver.find_element(By.TAG_NAME, "body").text
        assert FIX in body, body
        driver.find_element(By.ID, "pin").send_keys(PIN, Keys.ENTER)

        def answered() -> str:
            found = driver.find_elements(By.CSS_SELECTOR, ".flash-error")
            return " ".join(e.text for e in found)

        flash = wait_until(answered, 10, 0.1, message="the login answered")
        one_clear_line(flash)
        assert "Internal Server Error" not in driver.page_source
        SHOTS.mkdir(parents=True, exist_ok=True)
        save_full_screenshot(driver, SHOTS / "dashboard-login-no-keyring.png")
