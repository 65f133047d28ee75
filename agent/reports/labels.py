"""The report's words in the current language: headings, kinds, statuses and event sentences."""

from __future__ import annotations

import datetime as dt

from agent.i18n import _, language, ngettext
from agent.i18n.formatting import duration
from agent.i18n.titles import category_title
from agent.ledger.store import EventKind
from agent.reports.model import ClockJump, DayStatus, GapCause, Happening

__all__ = [
    "category_title",
    "change_text",
    "event_kind_label",
    "gap_cause",
    "happening_text",
    "jump_text",
    "language",
    "screen_title",
    "status_label",
    "total_title",
    "weekday_abbr",
]


def screen_title() -> str:
    """The name of the "screen" row: the whole computer, not only tracked apps."""
    return _("Computer time")


def total_title() -> str:
    """The name of the "total" row."""
    return _("Total")


def weekday_abbr(day: dt.date) -> str:
    """ "Mon" … "Sun" ("T2" … "CN")."""
    names = (_("Mon"), _("Tue"), _("Wed"), _("Thu"), _("Fri"), _("Sat"), _("Sun"))
    return names[day.weekday()]


def status_label(status: DayStatus) -> str:
    """A day's status in words."""
    return {
        "within": _("Within limits"),
        "over": _("Over a limit"),
        "paused": _("Limits paused"),
        "no_limits": _("No limits"),
        "ahead": _("Still to come"),
    }[status]


def event_kind_label(kind: str) -> str:
    """The name of a row of the event counts."""
    return {
        "warning": _("Warnings before time ran out"),
        "reminder": _("Health reminders"),
        "close": _("Apps closed"),
        "kill": _("Apps force-closed"),
        "screen_lock": _("Computer locked (computer time used up)"),
        "screen_logout": _("Signed out (computer time used up)"),
        "grant": _("Bonus time granted"),
        "pause": _("Limits paused"),
        "resume": _("Limits resumed"),
        "request": _("Requests for more time"),
        "request_answered": _("Requests answered"),
    }.get(kind, kind)


def gap_cause(cause: GapCause) -> str:
    """Why the agent was not counting, as far as the log tells."""
    return {
        "stopped": _("PlayClock was stopped or the computer was shut down"),
        "unexpected": _("PlayClock ended without stopping (power cut, crash, or it was killed)"),
        "asleep": _("The computer was asleep"),
    }[cause]


def jump_text(jump: ClockJump) -> str:
    """ "The system clock was moved forward by 2 h 00 min"."""
    if jump.seconds >= 0:
        return _("The system clock was moved forward by {d}").format(d=duration(jump.seconds))
    return _("The system clock was moved back by {d}").format(d=duration(-jump.seconds))


def change_text(change: int, previous: int, percent: int | None) -> str:
    """ "1 h 05 min more than last week (+12%)", "Same as last week", …"""
    if change == 0:
        return _("Same as last week")
    if previous == 0:
        return _("{d} more; none last week").format(d=duration(change))
    pct = f" ({percent:+d}%)" if percent is not None else ""
    if change > 0:
        return _("{d} more than last week").format(d=duration(change)) + pct
    return _("{d} less than last week").format(d=duration(-change)) + pct


def _close_text(h: Happening, title: str) -> str:
    if h.reason == "window":
        return _("{app} closed: outside its allowed hours").format(app=title)
    return _("{app} closed: its time was used up").format(app=title)


def happening_text(h: Happening, title: str) -> str:
    """One moment of the timeline as a sentence; `title` names its target."""
    minutes = h.minutes or 0
    if h.kind == EventKind.CLOSE:
        return _close_text(h, title)
    if h.kind == EventKind.GRANT:
        text = ngettext(
            "Bonus time: {n} minute for {target}", "Bonus time: {n} minutes for {target}", minutes
        )
        return text.format(n=minutes, target=title)
    if h.kind == EventKind.PAUSE:
        return _("Limits paused for the rest of the day")
    if h.kind == EventKind.RESUME:
        return _("Limits resumed")
    if h.kind == EventKind.REQUEST:
        text = ngettext("Asked for {n} more minute", "Asked for {n} more minutes", minutes)
        text = text.format(n=minutes)
        return f"{text}: “{h.message}”" if h.message else text
    if h.kind == EventKind.REQUEST_ANSWERED:
        if h.approved and h.minutes is None:
            return _("Request approved")
        if h.approved:
            return ngettext(
                "Request approved: {n} minute", "Request approved: {n} minutes", minutes
            ).format(n=minutes)
        return _("Request declined")
    return event_kind_label(h.kind)


def headings() -> dict[str, str]:
    """Headings, captions, column names and fixed sentences of the report."""
    return {
        "children": _("Children"),
        "summary": _("Summary"),
        "per_day": _("Time per day"),
        "chart_title": _("Time per day by category"),
        "usage": _("Apps and categories, day by day"),
        "usage_caption": _(
            "Time used each day, and below it the time allowed that day (limit plus bonus). "
            "▲ marks a limit exceeded."
        ),
        "app_col": _("App or category"),
        "week": _("Week"),
        "last_week": _("Last week"),
        "this_week": _("This week"),
        "change": _("Change"),
        "limits": _("Limits, day by day"),
        "limits_caption": _(
            "Each day against the limits (a limit counts as exceeded by a minute or more)."
        ),
        "day": _("Day"),
        "status": _("Status"),
        "used": _("Used"),
        "allowed": _("Allowed"),
        "left": _("Left"),
        "bonus": _("Bonus time"),
        "exceeded": _("Limits exceeded"),
        "over": _("over"),
        "top_apps": _("Most used apps"),
        "compare": _("Compared with last week"),
        "compare_caption": _("Time this week and last week, in total and by category"),
        "events": _("Warnings, closes and bonus time"),
        "events_caption": _("What PlayClock did and what was asked, day by day"),
        "no_events": _("No warnings, closes, bonus time or requests this week."),
        "timeline": _("What happened"),
        "what": _("What"),
        "computer": _("This computer"),
        "computer_intro": _(
            "Times when PlayClock was not counting, and changes to the clock. Breaks are normal "
            "when the computer is off or asleep; an unexpected end or a moved clock can mean "
            "that someone tried to get around the limits."
        ),
        "offline_caption": _("Time each day during which PlayClock was not counting"),
        "not_counted": _("Not counted"),
        "gaps_caption": _("Breaks in counting"),
        "from": _("From"),
        "to": _("To"),
        "length": _("Length"),
        "cause": _("Cause"),
        "no_gaps": _("PlayClock counted without a break all week."),
        "jumps": _("Clock changes"),
        "no_jumps": _("Nobody moved the system clock."),
        "no_usage": _("No screen time was recorded this week or last week."),
        "no_apps": _("No apps were used this week."),
        "total_limit": _("Total limit"),
        "privacy": _("This report was made on this computer and is not sent anywhere."),
        "helpline": _("Need help? Call 111 — Tổng đài quốc gia bảo vệ trẻ em (free, 24/7)"),
    }
