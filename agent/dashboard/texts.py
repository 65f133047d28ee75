"""The dashboard's languages: picking one per request, and its translations (with a fallback)."""

from __future__ import annotations

import contextlib
import gettext
from collections.abc import Iterator
from functools import cache
from pathlib import Path

from agent import i18n
from agent.i18n import LANGUAGES, gettext_for

__all__ = [
    "LANG_COOKIE",
    "Translations",
    "_",
    "language",
    "language_names",
    "pick_language",
    "translations",
]

LANG_COOKIE = "playclock_lang"
VI_STRINGS = Path(__file__).with_name("vi_strings.txt")


@cache
def _fallback(lang: str) -> dict[str, str]:
    """The dashboard's own `English<TAB>Vietnamese` lines, until the .po catalog has them."""
    if lang != "vi" or not VI_STRINGS.is_file():
        return {}
    table: dict[str, str] = {}
    for line in VI_STRINGS.read_text(encoding="utf-8").splitlines():
        english, sep, vietnamese = line.partition("\t")
        if sep and english and vietnamese and not english.startswith("#"):
            table[english] = vietnamese
    return table


class Translations(gettext.NullTranslations):
    """The agent's catalog for a language, then the dashboard's own strings."""

    def __init__(self, lang: str) -> None:
        super().__init__()
        self.lang = lang
        self._catalog = gettext_for(lang)
        self._extra = _fallback(lang)

    def gettext(self, message: str) -> str:
        """Translate one message."""
        found = self._catalog.gettext(message)
        return self._extra.get(message, found) if found == message else found

    def ngettext(self, msgid1: str, msgid2: str, n: int) -> str:
        """Translate a message with a count."""
        found = self._catalog.ngettext(msgid1, msgid2, n)
        if found in (msgid1, msgid2):
            key = msgid1 if n == 1 else msgid2
            return self._extra.get(key, found)
        return found


@cache
def translations(lang: str) -> Translations:
    """The (cached) translations for a supported language."""
    return Translations(lang if lang in LANGUAGES else "en")


def _(message: str) -> str:
    """Translate into the current language (agent.i18n's `_`, plus the dashboard's strings)."""
    return translations(i18n.current()).gettext(message)


def pick_language(cookie: str | None, setting: str | None) -> str:
    """The cookie's language when valid, else the settings' (or the OS's when "auto")."""
    if cookie in LANGUAGES:
        return str(cookie)
    return i18n.resolve(setting or "auto")


def language_names() -> list[tuple[str, str]]:
    """Each language with its own name, for the switch (never translated)."""
    return [("vi", "Tiếng Việt"), ("en", "English")]


@contextlib.contextmanager
def language(lang: str) -> Iterator[Translations]:
    """Use `lang` for `agent.i18n._` and `agent.fmt` in this thread, then restore it."""
    with i18n.language(lang):
        yield translations(lang)
