"""Headless Debian Chromium for tests, through Selenium 4: pages, sizes and screenshots.

from tests.support.browser import browser_unavailable, chromium, DESKTOP, PHONE

reason = browser_unavailable()        # None, or why to skip
with chromium(DESKTOP) as driver:     # a fresh profile, no network extras
    driver.get(path.as_uri())
    png = save_screenshot(driver, "artifacts/screenshots/page.png")
"""

from __future__ import annotations

import contextlib
import shutil
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from selenium.webdriver.remote.webdriver import WebDriver

__all__ = [
    "CHROMEDRIVER",
    "CHROMIUM",
    "DESKTOP",
    "PHONE",
    "browser_unavailable",
    "chromium",
    "page_size",
    "require_browser",
    "save_full_screenshot",
    "save_screenshot",
]

CHROMIUM = Path("/usr/bin/chromium")
CHROMEDRIVER = Path("/usr/bin/chromedriver")
DESKTOP = (1200, 1600)
PHONE = (390, 844)
ARGS = (
    "--headless=new",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-dev-shm-usage",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--no-default-browser-check",
    "--hide-scrollbars",
    "--force-device-scale-factor=1",
)


def browser_unavailable() -> str | None:
    """Why a headless Chromium cannot run here, or None when it can."""
    for tool in (CHROMIUM, CHROMEDRIVER):
        if not tool.is_file():
            return f"{tool} is missing (Debian: apt-get install chromium chromium-driver)"
    try:
        import selenium.webdriver  # noqa: F401
    except ImportError:
        return "selenium is not installed (pip install -e '.[test]')"
    return None


def require_browser() -> None:
    """Skip the calling test, with the reason, when Chromium cannot run."""
    import pytest

    reason = browser_unavailable()
    if reason:
        pytest.skip(reason)


@contextlib.contextmanager
def chromium(
    size: tuple[int, int] = DESKTOP, *, mobile: bool = False, lang: str | None = None
) -> Iterator[WebDriver]:
    """A headless Chromium with a throwaway profile, its window (or phone screen) at `size`."""
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    profile = tempfile.mkdtemp(prefix="playclock-chromium-")
    options = webdriver.ChromeOptions()
    options.binary_location = str(CHROMIUM)
    for arg in (*ARGS, f"--user-data-dir={profile}", f"--window-size={size[0]},{size[1]}"):
        options.add_argument(arg)
    if lang:
        options.add_argument(f"--lang={lang}")
    if mobile:
        metrics = {"width": size[0], "height": size[1], "pixelRatio": 1.0}
        options.add_experimental_option("mobileEmulation", {"deviceMetrics": metrics})
    driver = webdriver.Chrome(service=Service(str(CHROMEDRIVER)), options=options)
    try:
        driver.set_page_load_timeout(30)
        if not mobile:
            # The window includes browser chrome even headless; size the viewport exactly.
            inner = driver.execute_script("return [window.innerWidth, window.innerHeight]")
            driver.set_window_size(2 * size[0] - inner[0], 2 * size[1] - inner[1])
        yield driver
    finally:
        driver.quit()
        shutil.rmtree(profile, ignore_errors=True)


def page_size(driver: WebDriver) -> tuple[int, int]:
    """The document's full scroll width and height in CSS pixels."""
    w, h = driver.execute_script(
        "const e = document.documentElement;"
        "return [Math.max(e.scrollWidth, document.body.scrollWidth),"
        " Math.max(e.scrollHeight, document.body.scrollHeight)];"
    )
    return int(w), int(h)


def save_screenshot(driver: WebDriver, path: str | Path) -> int:
    """The visible viewport as a PNG file (parents created); returns its size in bytes."""
    target = Path(path)
    target.parent.mkdir(parents=True, exist_ok=True)
    target.write_bytes(driver.get_screenshot_as_png())
    return target.stat().st_size


def save_full_screenshot(driver: WebDriver, path: str | Path) -> int:
    """The whole page, beyond the viewport, as a PNG file; returns its size in bytes."""
    import base64

    width, height = page_size(driver)
    shot = driver.execute_cdp_cmd(
        "Page.captureScreenshot",
        {
            "format": "png",
            "captureBeyondViewport": True,
            "clip": {"x": 0, "y": 0, "width": width, "height": height, "scale": 1},
        },
    )
    target = Path(path)
    target.parent.mkdir(parents=True, exist_ok=True)
    target.write_bytes(base64.b64decode(shot["data"]))
    return target.stat().st_size
