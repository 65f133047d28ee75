"""Headless Chromium (Debian's `chromium` and `chromedriver`) driven by Selenium, for page tests.

reason = chromium_unavailable()              # None, or why to skip
with chromium(width=1280, height=900) as driver:
    driver.get("http://127.0.0.1:7377/")
    save_full_page(driver, Path("artifacts/screenshots/today.png"))
"""

from __future__ import annotations

import base64
import contextlib
import os
import shutil
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

__all__ = [
    "CHROMEDRIVER",
    "CHROMIUM",
    "chromium",
    "chromium_unavailable",
    "no_horizontal_scroll",
    "save_full_page",
]

CHROMIUM = os.environ.get("PLAYCLOCK_CHROMIUM", "/usr/bin/chromium")
CHROMEDRIVER = os.environ.get("PLAYCLOCK_CHROMEDRIVER", "/usr/bin/chromedriver")


def chromium_unavailable() -> str | None:
    """Why headless Chromium cannot run here, or None when it can."""
    try:
        import selenium  # noqa: F401
    except ImportError:
        return "selenium is not installed"
    for path in (CHROMIUM, CHROMEDRIVER):
        if not (Path(path).is_file() or shutil.which(path)):
            return f"{path} is missing (Debian: apt-get install chromium chromium-driver)"
    return None


@contextlib.contextmanager
def chromium(
    width: int = 1280, height: int = 900, lang: str = "en-US", *, phone: bool = False
) -> Iterator[Any]:
    """A headless Chromium WebDriver with a private profile, quit afterwards.

    `phone=True` emulates a touch phone's viewport of width x height (headless windows
    cannot be narrower than 500 px).
    """
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    profile = tempfile.mkdtemp(prefix="playclock-chromium-")
    options = webdriver.ChromeOptions()
    options.binary_location = CHROMIUM
    for arg in (
        "--headless=new",
        "--no-sandbox",  # tests run as root in containers
        "--disable-dev-shm-usage",
        "--disable-gpu",
        "--no-first-run",
        "--no-default-browser-check",
        "--disable-extensions",
        "--disable-background-networking",
        "--disable-sync",
        "--hide-scrollbars",
        "--force-device-scale-factor=1",
        "--proxy-server=direct://",
        "--proxy-bypass-list=*",
        f"--window-size={max(width, 500)},{height}",
        f"--lang={lang}",
        f"--user-data-dir={profile}",
    ):
        options.add_argument(arg)
    service = Service(executable_path=CHROMEDRIVER)
    driver = webdriver.Chrome(service=service, options=options)
    try:
        driver.set_page_load_timeout(30)
        if phone:
            driver.execute_cdp_cmd(
                "Emulation.setDeviceMetricsOverride",
                {"width": width, "height": height, "deviceScaleFactor": 1, "mobile": True},
            )
        yield driver
    finally:
        driver.quit()
        shutil.rmtree(profile, ignore_errors=True)


def save_full_page(driver: Any, path: Path) -> Path:
    """A PNG of the whole page (beyond the window's height), written to `path`."""
    metrics = driver.execute_cdp_cmd("Page.getLayoutMetrics", {})
    size = metrics.get("cssContentSize") or metrics["contentSize"]
    width = driver.execute_script("return document.documentElement.clientWidth")
    clip = {"x": 0, "y": 0, "width": width, "height": size["height"], "scale": 1}
    shot = driver.execute_cdp_cmd(
        "Page.captureScreenshot",
        {"format": "png", "captureBeyondViewport": True, "clip": clip},
    )
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(base64.b64decode(shot["data"]))
    return path


def no_horizontal_scroll(driver: Any) -> bool:
    """Whether the page fits the window's width (nothing to scroll sideways)."""
    return bool(
        driver.execute_script(
            "return document.documentElement.scrollWidth <= window.innerWidth + 1"
        )
    )
