"""Update the gettext catalogs: extract the strings, merge them into vi and en.

    .venv/bin/python tools/i18n.py

The catalogs in agent/i18n/locale/ are the one source of every translation.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from babel.messages.catalog import Catalog, Message
from babel.messages.extract import DEFAULT_KEYWORDS, extract_from_dir
from babel.messages.frontend import parse_mapping_cfg
from babel.messages.pofile import read_po, write_po

ROOT = Path(__file__).resolve().parents[1]
LOCALES = ROOT / "agent" / "i18n" / "locale"
MAPPING = ROOT / "babel.cfg"
SOURCES = ("playclock", "rules", "agent", "tray", "sync", "installer")
# `_`, `ngettext` (agent.i18n, agent.dashboard.language, Jinja2 templates), `N_` (rules/config.py)
KEYWORDS = {**DEFAULT_KEYWORDS, "_": None, "N_": None, "ngettext": (1, 2)}
COMMENT_TAGS = ("TRANSLATORS:",)
LANGS = ("vi", "en")


def extract_catalog() -> Catalog:
    """Every translatable string in the sources (Python and Jinja2 templates), in memory."""
    with MAPPING.open(encoding="utf-8") as fh:
        method_map, options_map = parse_mapping_cfg(fh, filename=str(MAPPING))
    catalog = Catalog(project="PlayClock", version="0.1.0", fuzzy=False)
    for source in SOURCES:
        found = extract_from_dir(
            ROOT / source,
            method_map,
            options_map,
            keywords=KEYWORDS,
            comment_tags=COMMENT_TAGS,
            strip_comment_tags=True,
        )
        for filename, lineno, message, comments, context in found:
            catalog.add(
                message,
                None,
                [(f"{source}/{filename}", lineno)],
                auto_comments=comments,
                context=context,
            )
    return catalog


def extract() -> Catalog:
    """Extract the strings and write the template (agent/i18n/locale/playclock.pot)."""
    template = extract_catalog()
    with (LOCALES / "playclock.pot").open("wb") as fh:
        write_po(fh, template, width=0, no_location=True, sort_output=True)
    return template


def _forms(value: str | tuple[str, ...] | list[str] | None) -> tuple[str, ...]:
    if value is None:
        return ("",)
    return (value,) if isinstance(value, str) else tuple(value)


def is_translated(message: Message) -> bool:
    """Whether every form of the message has a translation (a fuzzy one would not be used)."""
    return all(_forms(message.string)) and not message.fuzzy



def update(template: Catalog, lang: str) -> tuple[int, int]:
    """Merge the template into one language's catalog; returns (messages, untranslated)."""
    path = LOCALES / lang / "LC_MESSAGES" / "playclock.po"
    if path.exists():
        with path.open("rb") as fh:
            catalog = read_po(fh, locale=lang)
    else:
        catalog = Catalog(locale=lang, project="PlayClock", version="0.1.0", fuzzy=False)
    catalog.update(template, no_fuzzy_matching=True)
    catalog.fuzzy = False
    missing = 0
    for message in catalog:
        if not message.id:
            continue
        plural = not isinstance(message.id, str)
        if lang == "en":
            # English is the source: msgstr = msgid (singular, plural; nplurals=2).
            message.string = tuple(message.id) if plural else message.id
        if plural and len(_forms(message.string)) != catalog.num_plurals:
            forms = _forms(message.string)
            message.string = tuple(
                forms[i] if i < len(forms) else forms[-1] for i in range(catalog.num_plurals)
            )
        missing += not is_translated(message)
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("wb") as fh:
        write_po(
            fh,
            catalog,
            width=0,
            no_location=True,
            omit_header=False,
            sort_output=True,
            ignore_obsolete=True,
        )
    return len(catalog), missing


def main() -> int:
    """Extract and update both catalogs."""
    argparse.ArgumentParser(description=__doc__).parse_args()
    template = extract()
    for lang in LANGS:
        total, missing = update(template, lang)
        print(f"{lang}: {total} messages, {missing} untranslated")
    return 0


if __name__ == "__main__":
    sys.exit(main())
