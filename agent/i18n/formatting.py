"""Formatting for people: durations, dates and times in the current language."""

from __future__ import annotations

import datetime as dt

from babel.dates import format_date, format_time

from agent.i18n import _, current

__all__ = [
    "date_long",
    "date_short",
    "duration",
    "left_minutes",
    "time_left",
    "time_short",
    "weekday",
]


def duration(seconds: float | None) -> str:
    """ "1 h 05 min" / "1 giờ 05 phút"; "—" for no value."""
    if seconds is None:
        return "—"
    minutes = int(max(0.0, seconds) // 60)
    hours, mins = divmod(minutes, 60)
    if hours:
        return _("{h} h {m:02d} min").format(h=hours, m=mins)
    return _("{m} min").format(m=mins)


def left_minutes(seconds: float) -> int:
    """Whole minutes of time left, rounded up: 59 s left is 1 minute, not 0."""
    return max(0, -int(-max(0.0, seconds) // 60))


def time_left(seconds: float | None) -> str:
    """Time left for people: rounded up ("1 min" for 59 s), "less than a minute" under one.

    Time used rounds down (`duration`): neither promises a minute that is not there.
    """
    if seconds is None:
        return "—"
    if 0 < seconds < 60:
        return _("less than a minute")
    return duration(left_minutes(seconds) * 60)


def date_short(day: dt.date) -> str:
    """dd/mm/yyyy in Vietnamese, the locale's short form in English."""
    return (
        day.strftime("%d/%m/%Y")
        if current() == "vi"
        else format_date(day, "d MMM yyyy", locale="en")
    )


def weekday(day: dt.date) -> str:
    """ "Thứ Hai" … "Chủ Nhật", or "Monday" … "Sunday"."""
    if current() == "vi":
        names = ("Thứ Hai", "Thứ Ba", "Thứ Tư", "Thứ Năm", "Thứ Sáu", "Thứ Bảy", "Chủ Nhật")
        return names[day.weekday()]
    return format_date(day, "EEEE", locale="en")


def date_long(day: dt.date) -> str:
    """ "Thứ Hai, 23/11/2026" or "Monday, 23 Nov 2026"."""
    return f"{weekday(day)}, {date_short(day)}"


def time_short(moment: dt.datetime) -> str:
    """24-hour "HH:MM" in both languages."""
    return format_time(moment, "HH:mm", locale="vi" if current() == "vi" else "en")
