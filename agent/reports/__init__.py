"""Weekly reports: what was played, against the limits and last week (HTML, CSV, JSON, text)."""

from __future__ import annotations

from agent.reports.archive import write_weekly
from agent.reports.build import UnknownChild, build_report
from agent.reports.iso_weeks import format_week, last_complete_week, parse_week
from agent.reports.model import ChildReport, Report
from agent.reports.render_html import render_html
from agent.reports.render_tabular import render_csv, render_json, to_json
from agent.reports.render_text import render_text

__all__ = [
    "ChildReport",
    "Report",
    "UnknownChild",
    "build_report",
    "format_week",
    "last_complete_week",
    "parse_week",
    "render_csv",
    "render_html",
    "render_json",
    "render_text",
    "to_json",
    "write_weekly",
]
