"""The dashboard's languages: picking one per request, and its translations."""

from __future__ import annotations

import contextlib
import gettext
from collections.abc import Iterator

from agent import i18n
from agent.i18n import LANGUAGES, _, gettext_for

__all__ = ["LANG_COOKIE", "_", "language", "language_names", "pick_language", "translations"]

LANG_COOKIE = "playclock_lang"


def translations(lang: str) -> gettext.NullTranslations:
    """The catalog for a supported language (English for any other)."""
    return gettext_for(lang if lang in LANGUAGES else "en")


def pick_language(cookie: str | None, setting: str | None) -> str:
    """The cookie's language when valid, else the settings' (or the OS's when "auto")."""
    if cookie in LANGUAGES:
        return str(cookie)
    return i18n.resolve(setting or "auto")


def language_names() -> list[tuple[str, str]]:
    """Each language with its own name, for the switch (never translated)."""
    return [("vi", "Tiếng Việt"), ("en", "English")]


@contextlib.contextmanager
def language(lang: str) -> Iterator[gettext.NullTranslations]:
    """Use `lang` for `agent.i18n._` and `agent.i18n.formatting` in this thread, then restore it."""
    with i18n.language(lang):
        yield translations(lang)
