"""Every limit that covers an app counts, for the family to see (issue 14, item 8).

Minetest has 2 minutes a day and a 5-minute grant, 4 minutes used: 3 minutes of its own.
The total (3 minutes) is used up. Before, the icon was a green "3", the tooltip "3 min left
(Minetest)", the dashboard "OK, 3 min left" and `playclock status` the same. Now everything
says blocked because of the total, and the parent who granted is told so.
"""

from __future__ import annotations

import subprocess
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from agent.i18n import language
from tests.support.agentproc import AgentProcess, free_port, today, unique_game_name
from tests.support.browser import browser_unavailable, chromium, save_full_screenshot
from tests.support.waiting import wait_until
from tray.model import build_view

ROOT = Path(__file__).resolve().parents[2]
SHOTS = ROOT / "artifacts" / "screenshots"
PIN = "2580"

RULES = """\
version = 1

[settings]
poll_seconds = 0.5
listen = "127.0.0.1:{port}"
locale = "en"

[apps.minetest]
title = "Minetest"
category = "games"
names = ["{game}"]

[[child]]
name = "An"
accounts = ["{user}"]

[child.limits.minetest]
daily = 2

[child.limits.total]
daily = 3
"""


@pytest.fixture
def agent(tmp_path: Path) -> Iterator[AgentProcess]:
    import getpass

    from agent.ledger.sqlite import SqliteLedger

    text = RULES.format(port=free_port(), game=unique_game_name(), user=getpass.getuser())
    proc = AgentProcess.create(tmp_path, text=text)
    proc.port = int(text.split("127.0.0.1:")[1].split('"')[0])
    secrets = tmp_path / "secrets"
    secrets.mkdir(mode=0o700)
    proc.env = {"PLAYCLOCK_SECRETS_DIR": str(secrets)}
    day = today()
    ledger = SqliteLedger(proc.data_dir / "ledger.sqlite")
    try:  # 4 minutes of Minetest earlier today: the total's 3 are used up
        ledger.add_usage(
            {
                (day, "An", "app", "minetest"): 240.0,
                (day, "An", "category", "games"): 240.0,
                (day, "An", "total", "total"): 240.0,
            }
        )
    finally:
        ledger.close()
    assert run(proc, "pin", "set", stdin=f"{PIN}\n").returncode == 0
    proc.start()
    try:
        yield proc
    finally:
        proc.terminate()


def run(agent: AgentProcess, *args: str, stdin: str = "") -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        agent.argv(*args),
        env=agent.environment(),
        input=stdin,
        capture_output=True,
        text=True,
        timeout=60,
    )


def row(doc: dict[str, Any], ident: str) -> dict[str, Any]:
    return next(r for r in doc["children"][0]["limits"] if r["id"] == ident)


def test_a_blocked_total_blocks_everything_and_the_grant_says_so(agent: AgentProcess) -> None:
    granted = run(agent, "grant", "minetest", "5", stdin=f"{PIN}\n")
    assert granted.returncode == 0, granted.stderr
    lines = granted.stdout.strip().splitlines()
    assert lines[0] == "An: 5 min added to Minetest for today."
    assert lines[1].startswith("Note: Total screen time is blocked until ")
    assert lines[1].endswith(", so Minetest stays blocked until then.")

    doc = agent.api_status()
    mine = row(doc, "minetest")
    assert (mine["state"], mine["left_seconds"]) != ("blocked", 0)  # its own 3 minutes
    assert mine["left_seconds"] == 180
    assert (mine["effective_state"], mine["limited_by"]) == ("blocked", "total")

    # The tray: a blocked icon (not a green "3"), and the real state in the tooltip and menu.
    with language("en"):
        view = build_view(doc, child="An")
        assert view.state == "blocked" and view.badge == ""
        assert view.tooltip.startswith("An: Total screen time blocked until ")
        labels = [e.label for e in view.menu]
        assert any(
            label.startswith("Minetest — blocked until ") and label.endswith(" (Total screen time)")
            for label in labels
        ), labels

    # `playclock status`: the Minetest row is blocked because of the total.
    status = run(agent, "status")
    line = next(x for x in status.stdout.splitlines() if x.strip().startswith("Minetest"))
    assert "blocked until" in line and line.endswith("(Total screen time)"), status.stdout
    assert "3 min left" not in status.stdout


@pytest.mark.browser
@pytest.mark.skipif(bool(browser_unavailable()), reason=str(browser_unavailable()))
def test_dashboard_shows_the_app_blocked_because_of_the_total(agent: AgentProcess) -> None:
    from selenium.webdriver.common.by import By

    assert run(agent, "grant", "minetest", "5", stdin=f"{PIN}\n").returncode == 0
    url = f"http://127.0.0.1:{agent.port}"
    with chromium((1280, 900)) as driver:
        driver.get(f"{url}/")

        def minetest() -> Any:
            for item in driver.find_elements(By.CSS_SELECTOR, "li.limit"):
                if item.find_element(By.CSS_SELECTOR, ".limit-title").text == "Minetest":
                    return item
            return None

        item = wait_until(minetest, 10, 0.1, message="the Minetest row")
        assert "state-blocked" in (item.get_attribute("class") or "")
        assert "Blocked" in item.text and "Because of Total screen time." in item.text
        assert "3 min" not in item.text
        SHOTS.mkdir(parents=True, exist_ok=True)
        save_full_screenshot(driver, SHOTS / "dashboard-blocked-by-total.png")
