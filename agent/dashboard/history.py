"""Looking back: the event log of a day and the weekly report of any week."""

from __future__ import annotations

import datetime as dt
import logging
import re
from typing import Any

from starlette.responses import HTMLResponse, Response

from agent.dashboard.event_lines import log_lines
from agent.dashboard.language import _
from agent.dashboard.web import CSP, Call, Routes, Web, iso_day

__all__ = ["routes"]

log = logging.getLogger("playclock.dashboard")

_WEEK = re.compile(r"^(\d{4})-W(\d{2})$")
_BODY = re.compile(r"<body[^>]*>", re.I)
# The report is a page of its own with its CSS inline (and inline styles on bars).
REPORT_CSP = CSP.replace("style-src 'self'", "style-src 'self' 'unsafe-inline'")


def parse_week(text: str | None, default: dt.date) -> tuple[int, int]:
    """(ISO year, week) from "YYYY-Www"; the week of `default` when missing or invalid."""
    m = _WEEK.match(text or "")
    if m:
        try:
            dt.date.fromisocalendar(int(m.group(1)), int(m.group(2)), 1)
            return int(m.group(1)), int(m.group(2))
        except ValueError:
            pass
    year, week, _day = default.isocalendar()
    return year, week


def week_text(week: tuple[int, int]) -> str:
    """ "2026-W48"."""
    return f"{week[0]}-W{week[1]:02d}"


def _shift(week: tuple[int, int], weeks: int) -> tuple[int, int]:
    monday = dt.date.fromisocalendar(week[0], week[1], 1) + dt.timedelta(weeks=weeks)
    year, number, _day = monday.isocalendar()
    return year, number


def with_bar(html: str, bar: str) -> str:
    """The report's own page with the dashboard's week bar at the top of its body."""
    match = _BODY.search(html)
    if match is None:
        return bar + html
    return html[: match.end()] + bar + html[match.end() :]


routes = Routes()  # /log and /report (parents only).


@routes.page("/log", parent=True)
def event_log(web: Web, call: Call) -> Response:
    agent = web.ctx.agent
    today = agent.state.day
    day = iso_day(call.request.query_params.get("day"), today)
    tz = agent.clock.tz
    start = dt.datetime.combine(day, dt.time(), tz) - dt.timedelta(hours=12)
    events = [
        e
        for e in agent.ledger.events(start, start + dt.timedelta(hours=48), limit=5000)
        if e.day == day
    ]
    child = call.request.query_params.get("child", "")
    lines = log_lines(events, agent.config, tz)
    if child:
        lines = [line for line in lines if line.child.casefold() == child.casefold()]
    return web.render(
        call,
        "log.html",
        day=day,
        today=today,
        prev=day - dt.timedelta(days=1),
        next=day + dt.timedelta(days=1) if day < today else None,
        lines=lines,
        child=child,
        children=[c.name for c in agent.config.children],
    )


@routes.page("/report", parent=True)
def report(web: Web, call: Call) -> Response:
    agent = web.ctx.agent
    today = agent.state.day
    week = parse_week(call.request.query_params.get("week"), today)
    child = call.request.query_params.get("child") or None
    monday = dt.date.fromisocalendar(week[0], week[1], 1)
    values: dict[str, Any] = {
        "week": week_text(week),
        "monday": monday,
        "sunday": monday + dt.timedelta(days=6),
        "prev": week_text(_shift(week, -1)),
        "next": week_text(_shift(week, 1)) if week < parse_week(None, today) else None,
        "child": child or "",
        "children": [c.name for c in agent.config.children],
    }
    # Imported here: the agent loads the reports (and their templates) on the first report.
    from agent.reports.build import UnknownChild, build_report
    from agent.reports.render_html import render_html

    try:
        built = build_report(agent.ledger, agent.config, week, child, agent.clock.tz)
        html = render_html(built, call.lang)
    except Exception as exc:  # a broken report must not take the dashboard down
        if not isinstance(exc, UnknownChild):
            log.exception("weekly report failed")
        problem = _("The weekly report could not be made. The agent's log has details.")
    else:
        bar = web.fragment(call, "report_bar.html", **values)
        response = HTMLResponse(with_bar(html, bar))
        response.headers["Content-Security-Policy"] = REPORT_CSP
        return response
    return web.render(call, "report.html", code=200, problem=problem, **values)
