"""The parents' web app in headless Chromium against the real hub and a real `playclock` agent.

A parent signs up at a phone's size (390×844) and at desktop width, in Vietnamese and English,
pairs a real agent (`playclock sync pair URL CODE`) over loopback, the child asks for time
through the agent's API, the parent approves in the web app, and after one sync the agent's
status shows the bonus; a grant and a limit change go the same way. Screenshots go to
artifacts/screenshots/hub-*.png (and, with PLAYCLOCK_UPDATE_DOCS_IMAGES=1, docs/images/).
"""

from __future__ import annotations

import os
import shutil
import subprocess
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import requests

from sync.hub.setup import InitRequest, init_hub
from tests.support.agentproc import playclock_argv
from tests.support.apiserver import AgentProcess, agent_env, running_agent_process
from tests.support.browser import (
    DESKTOP,
    PHONE,
    browser_unavailable,
    chromium,
    page_size,
    save_full_screenshot,
)
from tests.support.hubserver import REPO_ROOT, HubServer
from tests.support.waiting import wait_until

pytestmark = [
    pytest.mark.browser,
    pytest.mark.skipif(browser_unavailable() is not None, reason=str(browser_unavailable())),
]

SHOTS = REPO_ROOT / "artifacts" / "screenshots"
DOCS_IMAGES = REPO_ROOT / "docs" / "images"
PASSWORD = "mật khẩu 12345"

TEXT = {
    "vi": {"welcome": "Chào mừng", "asks": "An xin 20 phút", "approved": "Đã đồng ý",
           "granted": "Đã gửi", "today": "Hôm nay", "not_shared": "(không chia sẻ lời nhắn)"},
    "en": {"welcome": "Welcome", "asks": "An asks for 20 minutes", "approved": "Approved",
           "granted": "Sent", "today": "Today", "not_shared": "(message not shared)"},
}
# The child's words, with markup that must show as text and never run.
WORDS = "Con làm bài xong rồi ạ <script>document.title='hacked'</script><b>!</b>"


@pytest.fixture(scope="module")
def hub(tmp_path_factory: pytest.TempPathFactory) -> Iterator[HubServer]:
    home = tmp_path_factory.mktemp("hub")
    made = init_hub(InitRequest(data_dir=home))  # VAPID keys and hub.toml, as `hub init` does
    with HubServer(made.db_url, extra_args=("--config", str(made.config_path))) as server:
        yield server


def _sync_once(agent_url: str) -> dict[str, Any]:
    """One real sync run of the agent (its API allows one per 10 s: wait for a fresh one)."""
    def fresh() -> dict[str, Any] | None:
        body: dict[str, Any] = requests.post(f"{agent_url}/api/v1/sync/now", timeout=60).json()
        return None if body.get("throttled") else body

    report = wait_until(fresh, timeout=30, interval=0.5, message="a sync run")
    assert report["ok"], report
    return report


def _limit(agent_url: str, key: str) -> dict[str, Any]:
    status = requests.get(f"{agent_url}/api/v1/status", timeout=10).json()
    child = next(c for c in status["children"] if c["name"] == "An")
    row: dict[str, Any] = next(r for r in child["limits"] if r["id"] == key)
    return row


def _pair(agent: AgentProcess, tmp_path: Path, url: str, code: str, *extra: str) -> None:
    done = subprocess.run(
        [*playclock_argv(), "--config", str(agent.rules), "--data-dir",
         str(agent.data_dir), "sync", "pair", url, code, "--parent-name", "Mẹ",
         "--child-consent", "An", *extra],
        cwd=REPO_ROOT, env=agent_env(tmp_path), capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stdout + done.stderr


def _shot(driver: Any, name: str) -> None:
    save_full_screenshot(driver, SHOTS / f"hub-{name}.png")
    width, _height = page_size(driver)
    viewport = driver.execute_script("return window.innerWidth")
    assert width <= viewport, f"{name}: the page is wider ({width}) than the screen ({viewport})"


def _click(driver: Any, element_id: str) -> None:
    from selenium.webdriver.common.by import By

    old = driver.find_element(By.TAG_NAME, "html")
    driver.find_element(By.ID, element_id).click()
    wait_until(lambda: _stale(old), timeout=20, message=f"the page after #{element_id}")
    wait_until(lambda: driver.execute_script("return document.readyState") == "complete",
               timeout=20, message=f"the page after #{element_id} loaded")


def _stale(element: Any) -> bool:
    from selenium.common.exceptions import WebDriverException

    try:
        element.is_enabled()
    except WebDriverException:  # stale, or "node does not belong to the document" mid-load
        return True
    return False


def _type(driver: Any, element_id: str, text: str) -> None:
    from selenium.webdriver.common.by import By

    field = driver.find_element(By.ID, element_id)
    field.clear()
    field.send_keys(text)


@pytest.mark.parametrize(("size", "lang"), [(PHONE, "vi"), (DESKTOP, "en"), (PHONE, "en"),
                                             (DESKTOP, "vi")],
                         ids=["phone-vi", "desktop-en", "phone-en", "desktop-vi"])
def test_parent_pairs_a_real_agent_and_approves_grants_and_limits_from_the_web_app(
        hub: HubServer, tmp_path: Path, size: tuple[int, int], lang: str) -> None:
    from selenium.webdriver.common.by import By

    kind = "phone" if size == PHONE else "desktop"
    words = TEXT[lang]
    with running_agent_process(tmp_path) as (agent, agent_url), \
            chromium(size, mobile=size == PHONE, lang=lang) as driver:
        driver.get(f"{hub.url}/lang/{lang}?next=/signup")
        _shot(driver, f"signup-{kind}-{lang}")
        _type(driver, "family_name", "Gia đình Nguyễn")
        _type(driver, "parent_name", "Mẹ")
        _type(driver, "email", f"me-{uuid.uuid4().hex[:8]}@example.test")
        _type(driver, "password", PASSWORD)
        _click(driver, "signup")
        assert words["welcome"] in driver.find_element(By.ID, "flash").text
        _click(driver, "pair")
        code = driver.find_element(By.ID, "pair-code").text
        command = driver.find_element(By.ID, "pair-command").get_attribute("value")
        assert command == f"playclock sync pair {hub.url} {code}"
        assert driver.find_element(By.CSS_SELECTOR, "figure.qr svg").size["width"] >= 150
        _shot(driver, f"pair-{kind}-{lang}")

        # The real agent pairs with the code shown, as a parent would type it; in two of the
        # four runs the parent and An also agree to share An's words (with markup in them at
        # desktop width; plain on the phone, whose screenshot the README shows).
        words_shared = (kind, lang) in (("phone", "vi"), ("desktop", "en"))
        message = WORDS if kind == "desktop" else "Con làm bài xong rồi ạ"
        _pair(agent, tmp_path, hub.url, code,
              *(("--share-messages", "An", "--child-shares-messages", "An")
                if words_shared else ()))
        before = _limit(agent_url, "games")

        # The child asks through the agent's API; one sync takes it to the hub.
        asked = requests.post(f"{agent_url}/api/v1/requests", timeout=10, json={
            "child": "An", "minutes": 20, "message": message})
        assert asked.status_code in (200, 201), asked.text
        _sync_once(agent_url)  # (the agent's own 5-minute run may be the one that sent it)
        driver.get(f"{hub.url}/today")
        assert driver.find_element(By.CSS_SELECTOR, ".badge").text == "1"
        limits = driver.find_element(By.CSS_SELECTOR, "table.limits").text
        assert "games" in limits  # each limit's time left, from the agent's status
        _shot(driver, f"today-{kind}-{lang}")
        driver.get(f"{hub.url}/requests")
        card = driver.find_element(By.CSS_SELECTOR, "section.request")
        assert words["asks"] in card.text
        if words_shared:  # shown as the child typed it: text, not markup
            quote = card.find_element(By.CSS_SELECTOR, "blockquote.message")
            assert quote.text == message
            assert quote.find_elements(By.CSS_SELECTOR, "script, b") == []
            assert driver.title != "hacked"
        else:
            assert words["not_shared"] in card.text and "Con làm bài" not in driver.page_source
        _shot(driver, f"requests-{kind}-{lang}")
        minutes = card.find_element(By.CSS_SELECTOR, "input.minutes")
        minutes.clear()
        minutes.send_keys("15")
        approve = card.find_element(By.CSS_SELECTOR, "button[value=approve]")
        _click(driver, str(approve.get_attribute("id")))
        assert words["approved"] in driver.find_element(By.ID, "flash").text

        # Within one sync the agent applies it: 15 bonus minutes on every limit.
        _sync_once(agent_url)
        after = _limit(agent_url, "games")
        assert after["bonus_seconds"] - before["bonus_seconds"] == 15 * 60

        # A grant and a daily limit change from the Adjust page, each within one sync.
        driver.get(f"{hub.url}/adjust?child=An")
        _type(driver, "grant-target", "games")
        _type(driver, "grant-minutes", "30")
        _click(driver, "grant")
        assert words["granted"] in driver.find_element(By.ID, "flash").text
        _sync_once(agent_url)
        granted = _limit(agent_url, "games")
        assert granted["bonus_seconds"] - after["bonus_seconds"] == 30 * 60
        _type(driver, "limit-key", "games")
        _type(driver, "limit-minutes", "45")
        _click(driver, "set-limit")
        _shot(driver, f"adjust-{kind}-{lang}")
        _sync_once(agent_url)
        assert _limit(agent_url, "games")["limit_seconds"] == 45 * 60

        # The other pages render at this size without sideways scrolling.
        for page in ("today", "report", "devices", "consents", "parents"):
            driver.get(f"{hub.url}/{page}")
            assert "Traceback" not in driver.page_source
            _shot(driver, f"{page}-{kind}-{lang}")
        assert driver.find_element(By.TAG_NAME, "html").get_attribute("lang") == lang
        # The manifest makes it installable.
        manifest = requests.get(f"{hub.url}/manifest.webmanifest", timeout=10).json()
        assert manifest["display"] == "standalone"
    if os.environ.get("PLAYCLOCK_UPDATE_DOCS_IMAGES") and lang == "vi" and kind == "phone":
        DOCS_IMAGES.mkdir(parents=True, exist_ok=True)
        for page in ("requests", "today"):
            shutil.copy(SHOTS / f"hub-{page}-{kind}-{lang}.png", DOCS_IMAGES / f"hub-{page}.png")
