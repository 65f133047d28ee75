"""The web app's languages and how it writes durations, dates and times for people."""

from __future__ import annotations

import gettext
from datetime import date, datetime

from babel.dates import format_date, format_time

from agent.i18n import LANGUAGES, gettext_for

__all__ = [
    "LANG_COOKIE",
    "Texts",
    "language_names",
    "pick_language",
]

LANG_COOKIE = "playclock_lang"
_VI_WEEKDAYS = ("Thứ Hai", "Thứ Ba", "Thứ Tư", "Thứ Năm", "Thứ Sáu", "Thứ Bảy", "Chủ Nhật")


def pick_language(cookie: str | None, accept: str | None) -> str:
    """The cookie's language, else the first supported one the browser accepts, else Vietnamese."""
    if cookie in LANGUAGES:
        return str(cookie)
    for part in (accept or "").split(","):
        code = part.split(";")[0].strip().split("-")[0].lower()
        if code in LANGUAGES:
            return code
    return "vi"


def language_names() -> list[tuple[str, str]]:
    """Each language in its own name, for the switch."""
    return [("vi", "Tiếng Việt"), ("en", "English")]


class Texts:
    """Translation and formatting in one language (what templates call as filters)."""

    def __init__(self, lang: str) -> None:
        self.lang = lang if lang in LANGUAGES else "en"
        self.catalog: gettext.NullTranslations = gettext_for(self.lang)

    def _(self, message: str) -> str:
        """Translate a message."""
        return self.catalog.gettext(message)

    def duration(self, seconds: float | None) -> str:
        """ "1 h 05 min" / "1 giờ 05 phút"."""
        if seconds is None:
            return "—"
        minutes = int(max(0.0, seconds) // 60)
        hours, mins = divmod(minutes, 60)
        if hours:
            return self._("{h} h {m:02d} min").format(h=hours, m=mins)
        return self._("{m} min").format(m=mins)

    def date_short(self, day: date) -> str:
        """dd/mm/yyyy in Vietnamese, "5 Jan 2026" in English."""
        if self.lang == "vi":
            return day.strftime("%d/%m/%Y")
        return format_date(day, "d MMM yyyy", locale="en")

    def weekday(self, day: date) -> str:
        """ "Thứ Hai" or "Monday"."""
        if self.lang == "vi":
            return _VI_WEEKDAYS[day.weekday()]
        return format_date(day, "EEEE", locale="en")

    def weekday_short(self, day: date) -> str:
        """ "T2" … "CN" or "Mon" … "Sun"."""
        if self.lang == "vi":
            return ("T2", "T3", "T4", "T5", "T6", "T7", "CN")[day.weekday()]
        return format_date(day, "EEE", locale="en")

    def moment(self, when: datetime | None, now: datetime) -> str:
        """How long ago, for "last seen": "just now", "12 min ago", "3 h ago", or a date."""
        if when is None:
            return self._("never")
        seconds = (now - when).total_seconds()
        if seconds < 90:
            return self._("just now")
        if seconds < 3600:
            return self._("{n} min ago").format(n=int(seconds // 60))
        if seconds < 86_400:
            return self._("{n} h ago").format(n=int(seconds // 3600))
        return self.date_short(when.date())

    def time_short(self, when: datetime) -> str:
        """24-hour HH:MM (UTC, as the hub keeps it)."""
        return format_time(when, "HH:mm", locale=self.lang)
