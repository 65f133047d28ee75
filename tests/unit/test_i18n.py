"""The gettext catalogs: every source string translated, in Vietnamese, with the right terms.

This is the one check of the translations: the catalogs are their only source. When a test
here fails after adding or changing a string, run `.venv/bin/python tools/i18n.py` and
translate what is still empty in agent/i18n/locale/vi/LC_MESSAGES/playclock.po.
"""

from __future__ import annotations

import datetime as dt
import importlib.util
import re
from collections.abc import Iterator
from pathlib import Path
from types import ModuleType

import pytest
from babel.messages.catalog import Catalog, Message
from babel.messages.pofile import read_po

from agent import i18n
from agent.i18n import formatting as fmt

ROOT = Path(__file__).resolve().parents[2]
LOCALE = ROOT / "agent" / "i18n" / "locale"
HOW_TO_FIX = "run `.venv/bin/python tools/i18n.py`, then "

# Messages that are written the same way in Vietnamese: names, numbers, formats.
SAME_IN_BOTH = frozenset({"PlayClock", "OK", "PIN", "Video", "111", "{h}:{m:02d}"})

# Fields of str.format ({name}, {m:02d}, {value!r}) and of %-formatting (%(name)s, %d, %%).
FIELD = re.compile(r"\{[^{}]*\}|%\([^()]*\)[-#0 +]*\d*(?:\.\d+)?[a-zA-Z]|%[-#0 +]*\d*[sdif%]")

# docs: /work/shared/reference/vietnam.md, "Vietnamese words for the interface".
TERMS = {
    "Time left": "Thời gian còn lại",
    "Ask for more time": "Xin thêm thời gian",
    "Ask for more time…": "Xin thêm thời gian…",
    "Parent PIN": "Mã PIN phụ huynh",
    "Weekly report": "Báo cáo hằng tuần",
    "Blocked": "Bị chặn",
    "Bonus time": "Thời gian thưởng",
    "Games": "Trò chơi",
    "Daily limit": "Giới hạn hằng ngày",
    "Allowed hours": "Giờ được phép",
}
# Wherever the English term appears in a message, its Vietnamese term appears in the translation.
TERMS_INSIDE = {
    r"\bscreen time\b": "thời gian sử dụng",
    r"\btime left\b": "thời gian còn lại",
    r"\bdaily limits?\b": "giới hạn hằng ngày",
    r"\bapp limits\b": "giới hạn ứng dụng",
    r"\ballowed hours\b": "giờ được phép",
    r"\bbedtime\b": "giờ đi ngủ",
    r"\bparent PIN\b": "mã PIN phụ huynh",
    r"\bask for more time\b": "xin thêm thời gian",
    r"\bweekly report\b": "báo cáo hằng tuần",
    r"\bblocked\b": "bị chặn",
    r"\bbonus time\b": "thời gian thưởng",
    r"\bgames\b": "trò chơi",
}
HEALTH_EN = "Playing more than 180 minutes a day harms your health"
HEALTH_VI = "Chơi quá 180 phút một ngày sẽ ảnh hưởng xấu đến sức khỏe"


def _tool() -> ModuleType:
    """tools/i18n.py, the catalog updater (it is not a package)."""
    spec = importlib.util.spec_from_file_location("playclock_i18n_tool", ROOT / "tools" / "i18n.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def _read(lang: str) -> Catalog:
    with (LOCALE / lang / "LC_MESSAGES" / "playclock.po").open("rb") as fh:
        return read_po(fh, locale=lang)


def _key(message: Message) -> tuple[str | None, str | tuple[str, ...]]:
    ident = message.id if isinstance(message.id, str) else tuple(message.id)
    return message.context, ident


def _forms(value: str | tuple[str, ...] | list[str] | None) -> tuple[str, ...]:
    if value is None:
        return ("",)
    return (value,) if isinstance(value, str) else tuple(value)


def _messages(catalog: Catalog) -> Iterator[Message]:
    return (m for m in catalog if m.id)


def _show(message: Message) -> str:
    return repr(_forms(message.id)[0])


def _fields(text: str) -> set[str]:
    return set(FIELD.findall(text))


@pytest.fixture(scope="module")
def extracted() -> Catalog:
    """What the sources mark for translation now (in memory; the real catalogs are untouched)."""
    return _tool().extract_catalog()


@pytest.fixture(scope="module")
def vi() -> Catalog:
    return _read("vi")


@pytest.fixture(scope="module")
def en() -> Catalog:
    return _read("en")


@pytest.fixture
def vietnamese() -> Iterator[None]:
    before = i18n._default[0]
    thread = getattr(i18n._state, "lang", None)
    i18n.set_language("vi")
    i18n._state.lang = None
    try:
        yield
    finally:
        i18n.set_language(before)
        i18n._state.lang = thread


# -- (a) nothing in the sources is missing from the catalogs -----------------------------


def test_extraction_finds_python_templates_and_config_messages(extracted: Catalog) -> None:
    files = {path for m in _messages(extracted) for path, _line in m.locations}
    assert any(p.startswith("agent/dashboard/templates/") for p in files)
    assert any(p.startswith("agent/reports/") for p in files)
    assert "rules/config.py" in files  # N_()
    assert extracted.get("{n} warning") is not None  # ngettext


@pytest.mark.parametrize("lang", ["vi", "en"])
def test_every_source_string_is_in_the_catalog(extracted: Catalog, lang: str) -> None:
    have = {_key(m) for m in _messages(_read(lang))}
    missing = [m for m in _messages(extracted) if _key(m) not in have]
    listing = "\n".join(
        f"  {_show(m)}  ({', '.join(f'{p}:{n}' for p, n in m.locations[:2])})" for m in missing
    )
    assert not missing, (
        f"{len(missing)} source strings are not in "
        f"agent/i18n/locale/{lang}/LC_MESSAGES/playclock.po; "
        f"{HOW_TO_FIX}translate them:\n{listing}"
    )


# -- (b) no English in the Vietnamese interface --------------------------------------------


def test_every_vietnamese_message_is_translated(vi: Catalog) -> None:
    empty = [_show(m) for m in _messages(vi) if not all(_forms(m.string))]
    fuzzy = [_show(m) for m in _messages(vi) if m.fuzzy]
    assert not empty, f"{len(empty)} messages have no Vietnamese; {HOW_TO_FIX}translate:\n" + (
        "\n".join(empty)
    )
    assert not fuzzy, "fuzzy translations are not used at run time; check and unmark:\n" + (
        "\n".join(fuzzy)
    )


def test_no_english_left_in_vietnamese(vi: Catalog) -> None:
    same = [
        _show(m)
        for m in _messages(vi)
        if _forms(m.id)[0] not in SAME_IN_BOTH
        and any(
            s.strip().casefold() in {i.strip().casefold() for i in _forms(m.id)}
            for s in _forms(m.string)
        )
    ]
    assert not same, (
        "these Vietnamese translations are still the English text (translate them, or add them "
        "to SAME_IN_BOTH in tests/unit/test_i18n.py if Vietnamese writes them the same):\n"
        + "\n".join(same)
    )


def test_english_catalog_is_the_source_text(en: Catalog) -> None:
    wrong = [_show(m) for m in _messages(en) if _forms(m.string) != _forms(m.id)]
    assert not wrong, f"en msgstr must equal msgid; {HOW_TO_FIX}check:\n" + "\n".join(wrong)


# -- (c) placeholders, numbers, and strings rendered by Jinja2 ------------------------------


@pytest.mark.parametrize("lang", ["vi", "en"])
def test_placeholders_match(lang: str) -> None:
    bad = []
    for m in _messages(_read(lang)):
        ids = _forms(m.id)
        for n, text in enumerate(_forms(m.string)):
            # Vietnamese has one form, used for every count: it follows the plural msgid.
            source = ids[min(n, len(ids) - 1)] if lang == "en" else ids[-1]
            if _fields(text) != _fields(source):
                bad.append(f"  {source!r}: {sorted(_fields(source))} ≠ {sorted(_fields(text))}")
    assert not bad, "placeholders differ between msgid and msgstr:\n" + "\n".join(bad)


def test_numbers_are_kept(vi: Catalog) -> None:
    bad = []
    for m in _messages(vi):
        source = _forms(m.id)[-1]
        digits = set(re.findall(r"\d+", FIELD.sub("", source)))
        for text in _forms(m.string):
            if not digits <= set(re.findall(r"\d+", FIELD.sub("", text))):
                bad.append(f"  {source!r} → {text!r}")
    assert not bad, "numbers (111, 180, 24/7, limits) went missing in translation:\n" + "\n".join(
        bad
    )


def test_template_strings_survive_jinja_percent_formatting(extracted: Catalog, vi: Catalog) -> None:
    """newstyle gettext always applies `%` to template strings: a lone % would break the page."""

    class Anything(dict[str, str]):
        def __missing__(self, key: str) -> str:
            return "x"

    bad = []
    for m in _messages(extracted):
        if not any(path.endswith(".html") for path, _line in m.locations):
            continue
        found = vi.get(_forms(m.id)[0], m.context)
        for text in _forms(found.string) if found is not None else ():
            try:
                text % Anything()
            except (TypeError, ValueError, KeyError) as exc:
                bad.append(f"  {text!r}: {exc}")
    assert not bad, "write % as %% in template strings:\n" + "\n".join(bad)


# -- (d) headers ----------------------------------------------------------------------------


def test_vietnamese_header() -> None:
    text = (LOCALE / "vi" / "LC_MESSAGES" / "playclock.po").read_text(encoding="utf-8")
    assert '"Language: vi\\n"' in text
    assert '"Plural-Forms: nplurals=1; plural=0;\\n"' in text
    assert "charset=utf-8" in text.lower()
    assert '#, fuzzy\nmsgid ""\n' not in text  # a fuzzy header


def test_english_header(en: Catalog) -> None:
    assert en.locale_identifier == "en"
    assert en.plural_forms == "nplurals=2; plural=(n != 1);"


# -- (e) the reference terms ------------------------------------------------------------------


@pytest.mark.parametrize(("english", "vietnamese"), sorted(TERMS.items()))
def test_reference_terms(vi: Catalog, english: str, vietnamese: str) -> None:
    assert vi.get(english) is not None, f"{english!r} is no longer a message; update TERMS"
    got = i18n.gettext_for("vi").gettext(english)
    assert got.casefold() == vietnamese.casefold()


def test_terms_are_used_consistently(vi: Catalog) -> None:
    bad = []
    for m in _messages(vi):
        source = _forms(m.id)[-1]
        for pattern, term in TERMS_INSIDE.items():
            if re.search(pattern, source, re.IGNORECASE):
                bad += [
                    f"  {source!r} → {text!r} (needs {term!r})"
                    for text in _forms(m.string)
                    if term.casefold() not in text.casefold()
                ]
    assert not bad, "use the terms of vietnam.md:\n" + "\n".join(bad)


def test_health_warning_is_the_decree_text(vi: Catalog) -> None:
    from tray.notify import REMINDER_EN, REMINDER_VI

    assert REMINDER_EN == HEALTH_EN
    assert REMINDER_VI == HEALTH_VI
    found = vi.get(HEALTH_EN)
    if found is not None:  # the tray shows its own constant; a catalog entry must agree
        assert found.string == HEALTH_VI


def test_helpline_name_is_kept(vi: Catalog) -> None:
    name = "Tổng đài quốc gia bảo vệ trẻ em"
    bad = [_show(m) for m in _messages(vi) if name in _forms(m.id)[0] and name not in m.string]
    assert not bad


# -- (f) rendering -----------------------------------------------------------------------------


@pytest.mark.usefixtures("vietnamese")
def test_vietnamese_durations_and_dates() -> None:
    assert fmt.duration(3900) == "1 giờ 05 phút"
    assert fmt.duration(600) == "10 phút"
    assert fmt.date_short(dt.date(2026, 11, 23)) == "23/11/2026"
    assert fmt.weekday(dt.date(2026, 11, 23)) == "Thứ Hai"
    assert fmt.weekday(dt.date(2026, 11, 29)) == "Chủ Nhật"
    assert i18n.ngettext("{n} warning", "{n} warnings", 3).format(n=3) == "3 cảnh báo"


def test_english_durations() -> None:
    before = i18n._default[0]
    i18n.set_language("en")
    try:
        assert fmt.duration(3900) == "1 h 05 min"
    finally:
        i18n.set_language(before)


# -- the updater's translation lists ------------------------------------------------------------
