"""Translations: gettext catalogs (Vietnamese, English), the .po files compiled in memory.

The .po files are the one source; `compile_po` turns one into a catalog with the standard
library alone, so the agent and the tray do not load Babel and its locale data for it
(issue 15). Babel still extracts and updates the catalogs (tools/i18n.py).
"""

from __future__ import annotations

import ast
import contextlib
import gettext
import io
import locale as _locale
import os
import struct
import threading
from collections.abc import Iterator
from functools import cache
from pathlib import Path

__all__ = [
    "DOMAIN",
    "LANGUAGES",
    "LOCALE_DIR",
    "_",
    "compile_po",
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
    text = po.read_text(encoding="utf-8")
    return gettext.GNUTranslations(io.BytesIO(compile_po(text, keep_same=False)))


def _po_entries(text: str) -> Iterator[dict[str, str]]:
    """Each entry of a .po file: {"msgctxt"?, "msgid", "msgid_plural"?, "msgstr" or
    "msgstr[N]", "#,": its flags}; obsolete (#~) entries and other comments are left out."""
    entry: dict[str, str] = {}
    flags = ""
    key: str | None = None
    for raw in text.splitlines():
        line = raw.strip()
        if not line or line.startswith("#~"):
            continue
        if line.startswith("#"):
            if line.startswith("#,"):
                flags += "," + line[2:]
            continue
        if line.startswith('"'):
            if key is not None:
                entry[key] += ast.literal_eval(line)
            continue
        key, _sep, value = line.partition(" ")
        if key in ("msgctxt", "msgid") and any(k.startswith("msgstr") for k in entry):
            yield entry
            entry = {}
        if not entry:
            entry["#,"], flags = flags, ""
        entry[key] = ast.literal_eval(value.strip())
    if "msgid" in entry:
        yield entry


def compile_po(text: str, *, keep_same: bool = True) -> bytes:
    """A .po file's text as a .mo file's bytes (fuzzy and untranslated messages left out;
    without `keep_same`, also those translated as themselves, as English's mostly are)."""
    messages: dict[bytes, bytes] = {}
    for entry in _po_entries(text):
        fuzzy = "fuzzy" in entry.get("#,", "")
        msgid = entry["msgid"]
        if fuzzy and msgid:
            continue
        if "msgid_plural" in entry:
            forms = [v for k, v in sorted(entry.items()) if k.startswith("msgstr[")]
            if not any(forms):
                continue
            both = (msgid, entry["msgid_plural"])
            strings = [f or both[min(i, 1)] for i, f in enumerate(forms)]
            key, value = "\0".join(both), "\0".join(strings)
        else:
            key, value = msgid, entry.get("msgstr", "")
            # A message missing from the catalog is shown as it is: the same words.
            if not value or (value == msgid and not keep_same):
                continue
        if "msgctxt" in entry:
            key = entry["msgctxt"] + "\x04" + key
        messages[key.encode("utf-8")] = value.encode("utf-8")
    keys = sorted(messages)
    ids = b"".join(k + b"\0" for k in keys)
    strs = b"".join(messages[k] + b"\0" for k in keys)
    start = 7 * 4 + 16 * len(keys)
    offsets: list[int] = []
    pos = 0
    for k in keys:
        offsets += [len(k), start + pos]
        pos += len(k) + 1
    start += len(ids)
    pos = 0
    for k in keys:
        offsets += [len(messages[k]), start + pos]
        pos += len(messages[k]) + 1
    header = struct.pack("Iiiiiii", 0x950412DE, 0, len(keys), 7 * 4, 7 * 4 + 8 * len(keys), 0, 0)
    return header + struct.pack(f"{len(offsets)}i", *offsets) + ids + strs


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
