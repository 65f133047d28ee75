"""Update the gettext catalogs: extract strings, merge into vi/en, fold in translation lists.

    .venv/bin/python tools/i18n.py [--merge FILE.txt ...]

Translation lists are lines `English<TAB>Vietnamese`; they fill empty Vietnamese entries.
"""

from __future__ import annotations

import argparse
import subprocess
import sys
from pathlib import Path

from babel.messages.catalog import Catalog
from babel.messages.pofile import read_po, write_po

ROOT = Path(__file__).resolve().parents[1]
LOCALES = ROOT / "agent" / "locale"
SOURCES = ["rules", "agent", "tray", "sync", "installer"]


def extract() -> Catalog:
    """Every translatable string in the sources (Python and Jinja2 templates)."""
    pot = LOCALES / "playclock.pot"
    subprocess.run(
        [sys.executable, "-m", "babel.messages.frontend", "extract", "-F", str(ROOT / "babel.cfg"),
         "-k", "_", "-k", "N_", "-k", "ngettext:1,2", "--no-location", "--sort-output",
         "--project", "PlayClock", "--version", "0.1.0", "-o", str(pot), *SOURCES],
        cwd=ROOT, check=True, capture_output=True,
    )
    with pot.open("rb") as fh:
        return read_po(fh)


def update(template: Catalog, lang: str, extra: dict[str, str]) -> tuple[int, int]:
    """Merge the template into one language's catalog; returns (messages, untranslated)."""
    path = LOCALES / lang / "LC_MESSAGES" / "playclock.po"
    if path.exists():
        with path.open("rb") as fh:
            catalog = read_po(fh, locale=lang)
    else:
        catalog = Catalog(locale=lang, project="PlayClock", version="0.1.0")
    catalog.update(template, no_fuzzy_matching=True)
    missing = 0
    for message in catalog:
        if not message.id:
            continue
        key = message.id if isinstance(message.id, str) else message.id[0]
        if lang == "en" and not message.string:
            message.string = message.id if isinstance(message.id, str) else tuple(message.id)
        elif lang == "vi" and not message.string and key in extra:
            message.string = extra[key] if isinstance(message.id, str) else (extra[key],)
        text = message.string if isinstance(message.string, str) else "".join(message.string)
        missing += not text
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("wb") as fh:
        write_po(fh, catalog, width=0, omit_header=False, sort_output=True,
                 ignore_obsolete=True)
    return len(catalog), missing


def main() -> int:
    """Extract and update both catalogs."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--merge", nargs="*", default=[], help="English<TAB>Vietnamese lists")
    args = parser.parse_args()
    extra: dict[str, str] = {}
    for name in args.merge:
        for line in Path(name).read_text(encoding="utf-8").splitlines():
            if "\t" in line and not line.startswith("#"):
                en, vi = line.split("\t", 1)
                extra[en.replace("\\n", "\n")] = vi.replace("\\n", "\n")
    template = extract()
    for lang in ("vi", "en"):
        total, missing = update(template, lang, extra)
        print(f"{lang}: {total} messages, {missing} untranslated")
    return 0


if __name__ == "__main__":
    sys.exit(main())
