"""The dashboard in headless Chromium against a real agent serving on loopback.

The agent is the real runtime (`agent.compose.build`, ticking, uvicorn on a free loopback
port) with the dashboard's routes added; a copy of `sleep` named `fakegame` plays a game
under the current account. Screenshots of each page in both languages go to
artifacts/screenshots/ (and the English today and rules pages to docs/images/).
"""

from __future__ import annotations

import datetime as dt
import getpass
import os
import re
import shutil
import struct
import subprocess
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import keyring.core
import pytest
import requests

from agent.dashboard.language import translations
from agent.security.root_keyring import SECRETS_DIR_ENV
from playclock.compose import Runtime, build
from rules.timeutil import day_of
from tests.support.browser import PHONE, browser_unavailable, chromium, save_full_screenshot
from tests.support.hubserver import REPO_ROOT, free_port
from tests.support.waiting import wait_until

pytestmark = [
    pytest.mark.browser,
    pytest.mark.skipif(browser_unavailable() is not None, reason=str(browser_unavailable())),
]

PIN = "4321"
SHOTS = REPO_ROOT / "artifacts" / "screenshots"
DOCS_IMAGES = REPO_ROOT / "docs" / "images"


@dataclass
class Server:
    """A running agent with the dashboard."""

    runtime: Runtime
    url: str

    def status(self) -> dict[str, Any]:
        """GET /api/v1/status over real HTTP."""
        resp = requests.get(f"{self.url}/api/v1/status", timeout=10)
        resp.raise_for_status()
        body: dict[str, Any] = resp.json()
        return body

    def limit(self, child: str, key: str) -> dict[str, Any]:
        """One limit row of a child in the status document."""
        for kid in self.status()["children"]:
            if kid["name"] == child:
                for row in kid["limits"]:
                    if row["id"] == key:
                        return dict(row)
        raise AssertionError(f"no limit {key} for {child}")


def _rules(port: int, now: dt.datetime) -> str:
    # Games are allowed from two hours before now to three hours after (whenever tests run).
    window = f"{(now.hour - 2) % 24:02d}:00-{(now.hour + 3) % 24:02d}:00"
    return f"""version = 1
catalog = ["minecraft", "roblox"]

[settings]
poll_seconds = 1
listen = "127.0.0.1:{port}"
locale = "en"

[apps.fakegame]
title = "Fake game"
category = "games"
names = ["fakegame"]

[apps.mathapp]
title = "Math practice"
category = "education"
names = ["mathapp"]

[[child]]
name = "An"
accounts = ["{getpass.getuser()}"]
birth_year = 2014
always_allowed = ["mathapp"]

[child.limits.total]
daily = 120
weekend = 180

[child.limits.games]
daily = 60
allowed = ["{window}"]

[child.limits.fakegame]
daily = 40

[[child]]
name = "Bình"
accounts = ["binh-playclock-test"]
birth_year = 2011
preset = "vn-decree-147"
"""


def _seed(runtime: Runtime) -> None:
    """Two weeks of usage, so that today's view and the weekly report have something to show."""
    today = day_of(runtime.agent.clock.now(), 0)
    records: dict[tuple[dt.date, str, Any, str], float] = {}
    for back in range(14):
        day = today - dt.timedelta(days=back)
        an = 1500.0 + 137 * ((back * 7) % 11)
        binh = 2400.0 + 211 * ((back * 5) % 9)
        records[(day, "An", "total", "total")] = an + 900
        records[(day, "An", "category", "games")] = an
        records[(day, "An", "app", "fakegame")] = an * 0.6
        records[(day, "An", "app", "roblox")] = an * 0.4
        records[(day, "Bình", "total", "total")] = binh + 600
        records[(day, "Bình", "category", "games")] = binh
        records[(day, "Bình", "app", "minecraft")] = 3600.0 if back == 0 else min(binh, 3600.0)
    runtime.ledger.add_usage(records)
    runtime.ledger.flush()


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    """The agent with the dashboard, a PIN set, a pending request and a game running."""
    tmp = tmp_path_factory.mktemp("dashboard")
    secrets = tmp / "secrets"
    secrets.mkdir(mode=0o700)
    game = tmp / "fakegame"
    shutil.copy(shutil.which("sleep") or "/bin/sleep", game)
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("PYTHON_KEYRING_BACKEND", "agent.security.root_keyring.RootFileKeyring")
        mp.setenv(SECRETS_DIR_ENV, str(secrets))
        mp.setattr(keyring.core, "_keyring_backend", None)
        runtime, url = None, ""
        for attempt in range(3):
            port = free_port()
            rules = tmp / "rules.toml"
            rules.write_text(_rules(port, dt.datetime.now()), encoding="utf-8")
            runtime = build(rules, tmp / f"data-{attempt}")
            runtime.pins().set_pin(PIN)
            _seed(runtime)
            try:
                runtime.start()
            except OSError:
                runtime.stop()
                runtime = None
                continue
            url = f"http://127.0.0.1:{port}"
            break
        assert runtime is not None, "the agent did not start"
        proc = subprocess.Popen([str(game), "900"])
        try:
            runtime.agent.ask("An", 30, "Con làm xong bài tập rồi, cho con chơi thêm nhé?")
            srv = Server(runtime, url)
            wait_until(
                lambda: "fakegame" in srv.status()["children"][0]["running"],
                timeout=15,
                message="the agent sees the fake game",
            )
            yield srv
        finally:
            proc.kill()
            proc.wait(10)
            runtime.stop()


@pytest.fixture
def browser() -> Iterator[Any]:
    """A fresh headless Chromium (no cookies), desktop-sized."""
    with chromium((1280, 900)) as driver:
        yield driver


def _text(driver: Any, css: str) -> str:
    from selenium.common.exceptions import StaleElementReferenceException
    from selenium.webdriver.common.by import By

    try:
        found = driver.find_elements(By.CSS_SELECTOR, css)
        return " ".join(str(e.text) for e in found)
    except StaleElementReferenceException:  # the page was replaced meanwhile: look again
        return ""


def _login(driver: Any, url: str, pin: str = PIN) -> None:
    """Log in with the keyboard only: the PIN field has focus; type and press Enter."""
    from selenium.webdriver.common.keys import Keys

    driver.get(f"{url}/login")
    active = driver.switch_to.active_element
    assert active.get_attribute("id") == "pin", "the PIN field should have the focus"
    active.send_keys(pin, Keys.ENTER)
    wait_until(
        lambda: (
            driver.current_url.split("?")[0].rstrip("/") != f"{url}/login"
            or _text(driver, ".flash-error")
        ),
        timeout=10,
        message="the login answered",
    )


def _unlabelled(driver: Any) -> list[str]:
    """Form controls without an accessible name (label, wrapping label or aria-label)."""
    result: list[str] = driver.execute_script(
        """
        const bad = [];
        for (const el of document.querySelectorAll('input, select, textarea')) {
          if (el.type === 'hidden') continue;
          const named = (el.labels && el.labels.length) || el.getAttribute('aria-label')
            || el.getAttribute('aria-labelledby');
          if (!named) bad.push(el.outerHTML.slice(0, 120));
        }
        return bad;
        """
    )
    return result


def _shot(driver: Any, name: str) -> Path:
    """The whole page as artifacts/screenshots/dashboard-NAME.png."""
    path = SHOTS / f"dashboard-{name}.png"
    assert save_full_screenshot(driver, path) > 1000
    return path


def _fits_width(driver: Any) -> bool:
    """Whether the page fits the window's width (nothing to scroll sideways)."""
    return bool(
        driver.execute_script(
            "return document.documentElement.scrollWidth <= window.innerWidth + 1"
        )
    )


def _png_size(path: Path) -> tuple[int, int]:
    head = path.read_bytes()[:24]
    assert head[:8] == b"\x89PNG\r\n\x1a\n", f"{path} is not a PNG"
    width, height = struct.unpack(">II", head[16:24])
    return int(width), int(height)


def test_wrong_pin_is_refused(server: Server, browser: Any) -> None:
    browser.get(f"{server.url}/rules")
    assert "/login" in browser.current_url, "a parent page sends others to the PIN form"
    _login(browser, server.url, pin="0000")
    error = wait_until(lambda: _text(browser, ".flash-error"), timeout=10)
    assert re.search(r"Wrong PIN\. Wrong tries in a row: \d+\.", error), error
    assert browser.get_cookie("playclock_session") is None
    browser.get(f"{server.url}/rules")
    assert "/login" in browser.current_url


def test_parent_changes_a_limit_and_the_status_follows(server: Server, browser: Any) -> None:
    from selenium.webdriver.common.by import By

    before = server.limit("An", "total")
    assert before["limit_seconds"] == 120 * 60 or before["limit_seconds"] == 180 * 60
    _login(browser, server.url)
    assert browser.current_url.endswith("/parent"), browser.current_url
    browser.get(f"{server.url}/rules")
    daily = browser.find_element(By.ID, "lim-0-total-d")
    weekend = browser.find_element(By.ID, "lim-0-total-w")
    daily.clear()
    daily.send_keys("95")
    weekend.clear()
    weekend.send_keys("95")
    browser.find_element(By.CSS_SELECTOR, "#lim-0-total button[value=save]").click()
    flash = wait_until(lambda: _text(browser, ".flash-ok"), timeout=10)
    assert "Limit saved for An" in flash

    row = wait_until(
        lambda: (r := server.limit("An", "total"))["limit_seconds"] == 95 * 60 and r,
        timeout=10,
        message="the API's status shows the new limit",
    )
    assert "daily = 95" in (server.runtime.agent.source.path or Path()).read_text()
    budget = row["limit_seconds"] + row["bonus_seconds"]
    hours, minutes = divmod(budget // 60, 60)
    shown = f"{hours} h {minutes:02d} min" if hours else f"{minutes} min"
    browser.get(f"{server.url}/")
    card = browser.find_element(By.CSS_SELECTOR, "section.child")
    assert "An" in card.text
    assert "Total screen time: " in card.get_attribute("innerHTML")
    progress = card.find_element(By.CSS_SELECTOR, "progress[aria-label^='Total screen time']")
    assert progress.get_attribute("max") == str(budget)
    assert shown in progress.get_attribute("aria-label")


def test_grant_and_request_from_the_parent_page(server: Server, browser: Any) -> None:
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support.ui import Select

    before = server.limit("Bình", "games")["bonus_seconds"]
    _login(browser, server.url)
    cards = browser.find_elements(By.CSS_SELECTOR, "section.child")
    binh = next(c for c in cards if c.text.startswith("Bình"))
    Select(binh.find_element(By.CSS_SELECTOR, "select[name=target]")).select_by_value("games")
    binh.find_element(By.CSS_SELECTOR, "button[name=minutes][value='15']").click()
    assert "Bình got 15 minutes" in wait_until(lambda: _text(browser, ".flash-ok"), timeout=10)
    assert server.limit("Bình", "games")["bonus_seconds"] == before + 15 * 60

    pending = server.runtime.ledger.requests("pending")
    assert pending, "the fixture's request is waiting"
    assert "Con làm xong bài tập" in _text(browser, "#requests")


def test_today_view_refreshes_itself(server: Server, browser: Any) -> None:
    from selenium.webdriver.common.by import By

    browser.get(f"{server.url}/")
    box = browser.find_element(By.ID, "today")
    assert box.get_attribute("data-refreshed") is None
    before = server.limit("Bình", "games")["bonus_seconds"]
    resp = requests.post(
        f"{server.url}/api/v1/grants",
        json={"child": "Bình", "target": "games", "minutes": 5},
        headers={"X-PlayClock-PIN": PIN},
        timeout=10,
    )
    assert resp.status_code == 200, resp.text
    bonus = before + 5 * 60
    hours, minutes = divmod(bonus // 60, 60)
    text = f"{hours} h {minutes:02d} min bonus" if hours else f"incl. {minutes} min bonus"
    wait_until(
        lambda: text in browser.find_element(By.ID, "today").text,
        timeout=30,
        message=f"the today view shows {text!r} without a reload",
    )
    assert browser.find_element(By.ID, "today").get_attribute("data-refreshed")


PAGES = [
    ("today", "/", "Screen time today"),
    ("about", "/about", "About PlayClock on this computer"),
    ("login", "/login", "Parent login"),
    ("parent", "/parent", "Parent controls"),
    ("rules", "/rules", "Rules"),
    ("log", "/log", "Event log"),
]


@pytest.mark.parametrize("lang", ["en", "vi"])
def test_screenshots_of_each_page(server: Server, browser: Any, lang: str) -> None:
    from selenium.webdriver.common.by import By

    words = translations(lang)
    browser.get(f"{server.url}/about")
    browser.find_element(By.CSS_SELECTOR, f".langs a[hreflang={lang}]").click()
    wait_until(lambda: browser.find_element(By.TAG_NAME, "html").get_attribute("lang") == lang)
    assert browser.current_url.endswith("/about"), "the switch goes back to the same page"
    for name, path, heading in PAGES:
        if name == "parent":
            _login(browser, server.url)
        browser.get(f"{server.url}{path}")
        assert browser.find_element(By.TAG_NAME, "html").get_attribute("lang") == lang
        h1 = browser.find_element(By.TAG_NAME, "h1").text
        assert h1.startswith(words.gettext(heading)), (name, h1)
        assert _unlabelled(browser) == [], name
        assert words.gettext(
            "This computer is monitored by PlayClock; a parent set it up; "
            "usage stays on this computer unless sync is on."
        ) in _text(browser, ".monitor")
        shot = _shot(browser, f"{name}-{lang}")
        assert _png_size(shot)[0] >= 1200
    browser.get(f"{server.url}/report")
    assert browser.find_element(By.TAG_NAME, "html").get_attribute("lang") == lang
    assert browser.find_elements(By.CSS_SELECTOR, "nav.pc-bar a[rel=prev]")
    assert words.gettext("Previous week") in _text(browser, "nav.pc-bar")
    shot = _shot(browser, f"report-{lang}")
    assert _png_size(shot)[1] > 900, "the report has content below the bar"
    if lang == "en" and os.environ.get("PLAYCLOCK_UPDATE_DOCS_IMAGES"):
        DOCS_IMAGES.mkdir(parents=True, exist_ok=True)
        for name in ("today", "rules"):
            shutil.copy(SHOTS / f"dashboard-{name}-en.png", DOCS_IMAGES / f"dashboard-{name}.png")


def test_phone_sized_window(server: Server) -> None:
    with chromium(PHONE, mobile=True) as phone:
        phone.get(f"{server.url}/")
        assert _fits_width(phone), "the today page fits a phone's width"
        _shot(phone, "today-phone-en")
        _login(phone, server.url)
        for name in ("parent", "rules"):
            phone.get(f"{server.url}/{name}")
            assert _fits_width(phone), f"/{name} fits a phone's width"
            _shot(phone, f"{name}-phone-en")
    assert _png_size(SHOTS / "dashboard-rules-phone-en.png")[0] == 390
