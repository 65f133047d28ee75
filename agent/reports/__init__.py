"""Weekly reports: what was played, against the limits and last week (HTML, CSV, JSON, text)."""

from __future__ import annotations

from agent.reports.build import UnknownChild, build_report
from agent.reports.html import render_html
from agent.reports.model import ChildReport, Report
from agent.reports.tabular import render_csv, render_json, to_json
from agent.reports.text import render_text
from agent.reports.weekly import write_weekly
from agent.reports.weeks import format_week, last_complete_week, parse_week

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
