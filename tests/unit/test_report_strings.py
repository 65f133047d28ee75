"""Every string the report shows goes through gettext and has a Vietnamese translation."""

from __future__ import annotations

import re
from pathlib import Path

from babel.messages.extract import extract_from_dir
from babel.messages.pofile import read_po

ROOT = Path(__file__).resolve().parents[2]
PACKAGE = ROOT / "agent" / "reports"
VI = PACKAGE / "vi_strings.txt"
KEYWORDS = {"_": None, "N_": None, "ngettext": (1, 2)}


def extracted() -> set[str]:
    """Message ids (singular) that pybabel would extract from agent/reports."""
    out: set[str] = set()
    for _file, _line, message, _comments, _context in extract_from_dir(
        str(PACKAGE), method_map=[("**.py", "python")], keywords=KEYWORDS
    ):
        out.add(message[0] if isinstance(message, tuple) else message)
    return out


def test_every_report_string_has_a_vietnamese_translation() -> None:
    """vi_strings.txt (PO format) covers every extracted message, with non-empty msgstr."""
    with VI.open("rb") as fh:
        catalog = read_po(fh, locale="vi")
    translated = {(m.id[0] if isinstance(m.id, tuple) else m.id): m.string for m in catalog if m.id}
    ids = extracted()
    assert len(ids) > 80
    missing = sorted(ids - set(translated))
    assert not missing, missing
    for msgid in ids:
        text = translated[msgid]
        forms = tuple(text) if isinstance(text, (tuple, list)) else (str(text or ""),)
        assert all(forms), msgid
        # The same placeholders on both sides.
        want = sorted(re.findall(r"\{[^}]*\}", msgid))
        assert all(sorted(re.findall(r"\{[^}]*\}", f)) == want for f in forms), msgid


def test_templates_hold_no_words_of_their_own() -> None:
    """Templates take every word from the view, except the product's name."""
    for template in (PACKAGE / "templates").glob("*.html"):
        text = template.read_text(encoding="utf-8")
        text = re.sub(r"\{\{.*?\}\}|\{%.*?%\}|<[^>]*>|&[a-z]+;", " ", text, flags=re.S)
        words = [w for w in re.findall(r"[A-Za-zÀ-ỹ]{2,}", text) if w != "PlayClock"]
        assert words == [], (template.name, words[:10])


def test_the_vietnamese_terms_of_the_programme_are_used() -> None:
    """The interface words from the Vietnam reference."""
    text = VI.read_text(encoding="utf-8")
    for term in (
        "Báo cáo hằng tuần",
        "Thời gian thưởng",
        "Thời gian sử dụng",
        "Trò chơi",
        "Tổng đài quốc gia bảo vệ trẻ em",
        "miễn phí",
    ):
        assert term in text, term
