"""The HTML report in headless Chromium: both languages, a desktop and a phone, and A4 print."""

# Screenshots go to artifacts/screenshots/report-{en,vi}.png (and -phone, -full, .pdf); the
# English one also to docs/images/report-en.png for the README.

from __future__ import annotations

import base64
import os
import re
import shutil
import struct
from collections.abc import Iterator
from pathlib import Path

import pytest

from agent.i18n.formatting import duration
from agent.reports import build_report, render_html
from agent.reports.labels import language
from agent.reports.model import Report
from tests.integration.test_report_data import BERLIN, NEXT_MON, at, config, write_dataset
from tests.support.browser import (
    DESKTOP,
    PHONE,
    chromium,
    page_size,
    require_browser,
    save_full_screenshot,
    save_screenshot,
)

pytestmark = pytest.mark.browser

ROOT = Path(__file__).resolve().parents[2]
SHOTS = ROOT / "artifacts" / "screenshots"
README_IMAGE = ROOT / "docs" / "images" / "report-en.png"


@pytest.fixture(scope="module")
def report(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Report]:
    ledger = write_dataset(tmp_path_factory.mktemp("browser") / "ledger.sqlite")
    yield build_report(ledger, config(), (2026, 43), None, BERLIN, now=at(NEXT_MON, 6))
    ledger.close()


def png_size(path: Path) -> tuple[int, int]:
    """Width and height from a PNG's header."""
    head = path.read_bytes()[:24]
    assert head[:8] == b"\x89PNG\r\n\x1a\n", path
    width, height = struct.unpack(">II", head[16:24])
    return int(width), int(height)


def pages(tmp: Path, report: Report) -> dict[str, Path]:
    out = {}
    for lang in ("en", "vi"):
        out[lang] = tmp / f"report-{lang}.html"
        out[lang].write_text(render_html(report, lang), encoding="utf-8")
    return out


def test_report_renders_in_chromium_with_screenshots(
    report: Report, tmp_path: Path
) -> None:
    """Both languages render: title, An's week total in the DOM, non-trivial screenshots, A4 PDF."""
    require_browser()
    from selenium.webdriver.common.print_page_options import PrintOptions

    files = pages(tmp_path, report)
    an_week = report.children[0].total.week
    with chromium(DESKTOP) as driver:
        for lang, path in files.items():
            driver.get(path.as_uri())
            assert "2026-W43" in driver.title
            with language(lang):
                title = "Weekly report" if lang == "en" else "Báo cáo hằng tuần"
                expected = duration(an_week)
            assert driver.title.startswith(title)
            cell = driver.find_element("css selector", '#child-1 tr[data-key="total:total"] td.wk')
            assert cell.get_attribute("data-week-seconds") == str(an_week)
            assert cell.text == expected
            assert driver.execute_script("return document.documentElement.lang") == lang
            # Two charts for An and Bình; only the comparison for Chi, who played last week only.
            assert driver.execute_script("return document.querySelectorAll('svg').length") == 5
            shot = SHOTS / f"report-{lang}.png"
            assert save_screenshot(driver, shot) > 40_000
            assert png_size(shot) == DESKTOP
            full = SHOTS / f"report-{lang}-full.png"
            assert save_full_screenshot(driver, full) > 150_000
            assert png_size(full)[1] == page_size(driver)[1] > 3000
            a4 = PrintOptions()
            a4.page_width, a4.page_height = 21.0, 29.7  # cm
            pdf = base64.b64decode(driver.print_page(a4))
            (SHOTS / f"report-{lang}.pdf").write_bytes(pdf)
            assert pdf.startswith(b"%PDF")
            # A4, a new page for each child and for the computer: at least four pages.
            assert len(re.findall(rb"/Type\s*/Page(?![s\w])", pdf)) >= 4
    assert png_size(SHOTS / "report-en.png") == DESKTOP
    if os.environ.get("PLAYCLOCK_UPDATE_DOCS_IMAGES"):  # refresh the README's picture
        README_IMAGE.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(SHOTS / "report-en.png", README_IMAGE)


def test_report_fits_a_phone(report: Report, tmp_path: Path) -> None:
    """On a 390 px wide phone nothing but the tables' own scroll boxes is wider than the screen."""
    require_browser()
    files = pages(tmp_path, report)
    with chromium(PHONE, mobile=True) as driver:
        for lang, path in files.items():
            driver.get(path.as_uri())
            assert driver.execute_script("return window.innerWidth") == PHONE[0]
            assert page_size(driver)[0] <= PHONE[0]
            widths = driver.execute_script(
                "return [...document.querySelectorAll('svg')]"
                ".map(s => Math.round(s.getBoundingClientRect().right))"
            )
            assert widths and max(widths) <= PHONE[0]
            shot = SHOTS / f"report-{lang}-phone.png"
            assert save_screenshot(driver, shot) > 20_000
            assert png_size(shot) == PHONE
