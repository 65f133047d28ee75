"""The report as one self-contained HTML page: inline CSS and SVG, nothing fetched."""

from __future__ import annotations

from functools import cache
from pathlib import Path

import jinja2

from agent.reports.labels import language
from agent.reports.model import Report
from agent.reports.view import report_view

__all__ = ["TEMPLATES", "environment", "render_html"]

TEMPLATES = Path(__file__).with_name("templates")


@cache
def environment() -> jinja2.Environment:
    """The report's Jinja environment (autoescaped, templates beside this module)."""
    return jinja2.Environment(
        loader=jinja2.FileSystemLoader(TEMPLATES),
        autoescape=True,
        undefined=jinja2.StrictUndefined,
        trim_blocks=False,
        lstrip_blocks=False,
    )


def render_html(report: Report, lang: str) -> str:
    """The report as an HTML page in "vi" or "en"."""
    with language(lang):
        view = report_view(report, lang)
        return (
            environment().get_template("report.html").render(v=view, t=view.text, week=report.label)
        )
