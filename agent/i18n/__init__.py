"""Translations: gettext catalogs (Vietnamese, English) compiled in memory by Babel."""

from __future__ import annotations

import contextlib
import gettext
import io
import locale as _locale
import os
import threading
from collections.abc import Iterator
from functools import cache
from pathlib import Path

from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po

__all__ = [
    "DOMAIN",
    "LANGUAGES",
    "LOCALE_DIR",
    "_",
    "current",
    "gettext_for",
    "ngettext",
    "resolve",
    "set_language",
]

DOMAIN = "playclock"
LANGUAGES = ("vi", "en")
LOCALE_DIR = Path(__file__).with_name("locale")

_state = threading.local()
_default = ["en"]


@cache
def gettext_for(lang: str) -> gettext.NullTranslations:
    """The catalog for a language, compiled from its .po file (English falls back to the source)."""
    po = LOCALE_DIR / lang / "LC_MESSAGES" / f"{DOMAIN}.po"
    if not po.is_file():
        return gettext.NullTranslations()
    with po.open("rb") as fh:
        catalog = read_po(fh, locale=lang)
    buf = io.BytesIO()
    write_mo(buf, catalog)
    buf.seek(0)
    return gettext.GNUTranslations(buf)


def resolve(setting: str | None) -> str:
    """A supported language from a setting ("vi", "en", "auto") or the OS locale."""
    if setting and setting != "auto":
        lang = setting.split("_")[0].split("-")[0].lower()
        return lang if lang in LANGUAGES else "en"
    for var in ("LANGUAGE", "LC_ALL", "LC_MESSAGES", "LANG"):
        value = os.environ.get(var, "")
        if value and value not in ("C", "POSIX") and not value.startswith("C."):
            lang = value.split(":")[0].split("_")[0].split(".")[0].lower()
            return lang if lang in LANGUAGES else "en"
    code = _locale.getlocale()[0] or ""
    return "vi" if code.lower().startswith("vi") else "en"


def set_language(lang: str, *, thread_only: bool = False) -> None:
    """Use this language for `_` from now on (for this thread only, when asked)."""
    if thread_only:
        _state.lang = lang
    else:
        _default[0] = lang


@contextlib.contextmanager
def language(lang: str) -> Iterator[None]:
    """Translate into `lang` in this thread for the duration of the block, then restore."""
    before: str | None = getattr(_state, "lang", None)
    _state.lang = lang
    try:
        yield
    finally:
        _state.lang = before


def current() -> str:
    """The language `_` translates into now."""
    return getattr(_state, "lang", None) or _default[0]


def _(message: str) -> str:
    """Translate a message into the current language."""
    return gettext_for(current()).gettext(message)


def ngettext(singular: str, plural: str, n: int) -> str:
    """Translate a message with a count into the current language."""
    return gettext_for(current()).ngettext(singular, plural, n)
