"""The Monday job: last week's report, written beside the ledger as HTML and JSON."""

from __future__ import annotations

import datetime as dt
import os
import tempfile
from pathlib import Path

from agent.i18n import resolve
from agent.ledger.store import Ledger
from agent.reports.build import build_report
from agent.reports.iso_weeks import format_week, last_complete_week
from agent.reports.render_html import render_html
from agent.reports.render_tabular import render_json
from rules.model import Config

__all__ = ["REPORTS_DIR", "write_weekly"]

REPORTS_DIR = "reports"


def _write(path: Path, text: str) -> None:
    """Replace a file in one step, so a reader never sees half of it."""
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as fh:
            fh.write(text)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def write_weekly(
    ledger: Ledger,
    config: Config,
    data_dir: Path,
    today: dt.date,
    tz: dt.tzinfo,
    lang: str | None = None,
) -> list[Path]:
    """Write `<data>/reports/YYYY-Www.html` and `.json` for the week before `today`."""
    week = last_complete_week(today)
    report = build_report(ledger, config, week, None, tz)
    folder = Path(data_dir) / REPORTS_DIR
    folder.mkdir(parents=True, exist_ok=True)
    stem = format_week(week)
    html, js = folder / f"{stem}.html", folder / f"{stem}.json"
    _write(html, render_html(report, lang or resolve(config.settings.locale)))
    _write(js, render_json(report))
    return [html, js]
