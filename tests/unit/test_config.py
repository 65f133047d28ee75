"""Loading rules.toml: shipped files load; every broken file names each problem's line and path."""

from __future__ import annotations

import re
import textwrap

import pytest

from rules.config import ConfigError, load_text
from rules.model import TOTAL, LimitSpec, Window
from rules.presets import example_toml, preset_names, preset_toml
from tests.support.fakes import cfg

CHILD = 'version = 1\n[[child]]\nname = "An"\naccounts = ["an"]\n'  # lines 1-4
TOP_KEYS = "version, settings, catalog, apps, categories, child"
SETTINGS_KEYS = (
    "poll_seconds, day_starts, warn_minutes, grace_seconds, locale, listen, timezone, "
    "idle_minutes"
)
LIMIT_KEYS = (
    "daily, weekend, days, allowed, allowed_weekend, allowed_days, each, reminder_minutes"
)
APP_KEYS = "title, category, names, paths, cmdline"
CATEGORIES = "browsers, chat, creative, education, games, other, social, video"
WINDOW_MSG = (
    "expected a window as HH:MM-HH:MM (00:00 to 24:00, start and end different), got {!r}"
)
PRESETS = "vn-decree-147, age-under-6, age-6-11, age-12-15, age-16-17"


def errors(text: str, filename: str = "rules.toml") -> list[str]:
    """Every error line of a broken config (it must not load)."""
    with pytest.raises(ConfigError) as info:
        load_text(textwrap.dedent(text).lstrip("\n"), filename)
    lines = [str(issue) for issue in info.value.issues]
    assert str(info.value) == "\n".join(lines)
    return lines


def test_example_loads() -> None:
    """The shipped example loads, with its three children, presets and catalogue apps."""
    config = load_text(example_toml())
    assert [c.name for c in config.children] == ["An", "Bình", "Chi"]
    assert [c.preset for c in config.children] == ["vn-decree-147", "age-6-11", "age-16-17"]
    roblox = config.app("roblox")
    assert roblox is not None and roblox.from_catalog and roblox.category == "games"
    assert config.category("school") is not None
    chi = config.children[2]
    total = chi.effective_limits()[TOTAL]
    assert dict(total.allowed_days)["fri"] == (Window(6 * 60, 30),)


@pytest.mark.parametrize("name", preset_names())
def test_preset_toml_loads(name: str) -> None:
    """Every preset's printed TOML loads, and its child's limits equal the preset's own."""
    config = load_text(preset_toml(name), f"{name}.toml")
    (child,) = config.children
    assert child.preset == name
    assert {s.key for s in child.limits} == {s.key for s in child.preset_limits}
    assert sorted(child.limits, key=lambda s: s.key) == sorted(
        child.preset_limits, key=lambda s: s.key
    )


BROKEN = [
    (
        "toml-syntax",
        "version = 1\n[settings\n",
        "rules.toml:2: toml: not valid TOML: Expected ']' at the end of a table declaration "
        "(at line 2, column 10)",
    ),
    (
        "toml-missing-value",
        "version = 1\n\n[settings]\npoll_seconds =\n",
        "rules.toml:4: toml: not valid TOML: Invalid value (at line 4, column 15)",
    ),
    (
        "missing-version",
        "[settings]\npoll_seconds = 1\n",
        "rules.toml:1: version: missing 'version = 1' at the top of the file",
    ),
    (
        "version-2",
        "# rules\nversion = 2\n",
        "rules.toml:2: version: expected 1 (the config version this PlayClock reads), got 2",
    ),
    (
        "version-string",
        'version = "1"\n',
        "rules.toml:1: version: expected 1 (the config version this PlayClock reads), got '1'",
    ),
    (
        "version-bool",
        "version = true\n",
        "rules.toml:1: version: expected 1 (the config version this PlayClock reads), got True",
    ),
    (
        "unknown-top-level-key",
        'version = 1\ncolour = "red"\n',
        f"rules.toml:2: colour: unknown key; expected one of: {TOP_KEYS}",
    ),
    (
        "unknown-top-level-table",
        "version = 1\n\n[limits]\ndaily = 5\n",
        f"rules.toml:3: limits: unknown key; expected one of: {TOP_KEYS}",
    ),
    (
        "settings-typo",
        "version = 1\n[settings]\npoll_seconds = 1\npol_seconds = 2\n",
        f"rules.toml:4: settings.pol_seconds: unknown key; expected one of: {SETTINGS_KEYS}",
    ),
    (
        "settings-not-a-table",
        'version = 1\nsettings = "fast"\n',
        "rules.toml:2: settings: expected a table, got a string",
    ),
    (
        "wrong-type",
        'version = 1\n[settings]\npoll_seconds = "fast"\n',
        "rules.toml:3: settings.poll_seconds: expected a number, got a string",
    ),
    (
        "poll-too-small",
        "version = 1\n[settings]\npoll_seconds = 0.1\n",
        "rules.toml:3: settings.poll_seconds: must be between 0.2 and 10, got 0.1",
    ),
    (
        "poll-too-big",
        "version = 1\n[settings]\npoll_seconds = 11\n",
        "rules.toml:3: settings.poll_seconds: must be between 0.2 and 10, got 11",
    ),
    (
        "grace-negative",
        "version = 1\n[settings]\ngrace_seconds = -1\n",
        "rules.toml:3: settings.grace_seconds: must be between 0 and 300, got -1",
    ),
    (
        "day-starts-25",
        'version = 1\n[settings]\nday_starts = "25:00"\n',
        "rules.toml:3: settings.day_starts: expected a time as HH:MM (00:00 to 23:59), "
        "got '25:00'",
    ),
    (
        "day-starts-7am",
        'version = 1\n[settings]\nday_starts = "7am"\n',
        "rules.toml:3: settings.day_starts: expected a time as HH:MM (00:00 to 23:59), "
        "got '7am'",
    ),
    (
        "day-starts-24",
        'version = 1\n[settings]\nday_starts = "24:00"\n',
        "rules.toml:3: settings.day_starts: expected a time as HH:MM (00:00 to 23:59), "
        "got '24:00'",
    ),
    (
        "warn-minutes-not-ints",
        'version = 1\n[settings]\nwarn_minutes = [10, "5", 1.5]\n',
        "rules.toml:3: settings.warn_minutes: expected a list of whole minutes between 1 and 240",
    ),
    (
        "warn-minutes-zero",
        "version = 1\n[settings]\nwarn_minutes = [0]\n",
        "rules.toml:3: settings.warn_minutes: expected a list of whole minutes between 1 and 240",
    ),
    (
        "locale-fr",
        'version = 1\n[settings]\nlocale = "fr"\n',
        "rules.toml:3: settings.locale: expected \"vi\", \"en\" or \"auto\", got 'fr'",
    ),
    (
        "listen-not-loopback",
        'version = 1\n[settings]\nlisten = "0.0.0.0:7377"\n',
        "rules.toml:3: settings.listen: expected a loopback address and port such as "
        "\"127.0.0.1:7377\", got '0.0.0.0:7377'",
    ),
    (
        "listen-bad-port",
        'version = 1\n[settings]\nlisten = "127.0.0.1:70000"\n',
        "rules.toml:3: settings.listen: expected a loopback address and port such as "
        "\"127.0.0.1:7377\", got '127.0.0.1:70000'",
    ),
    (
        "timezone-not-string",
        "version = 1\n[settings]\ntimezone = 7\n",
        "rules.toml:3: settings.timezone: expected a string, got a whole number",
    ),
    (
        "app-without-matchers",
        'version = 1\n\n[apps.tetris]\ntitle = "Tetris"\n',
        "rules.toml:3: apps.tetris: an app needs at least one of names, paths or cmdline",
    ),
    (
        "app-unknown-key",
        'version = 1\n[apps.tetris]\nnames = ["tetris"]\nexe = "tetris.exe"\n',
        f"rules.toml:4: apps.tetris.exe: unknown key; expected one of: {APP_KEYS}",
    ),
    (
        "app-unknown-category",
        'version = 1\n[apps.tetris]\nnames = ["tetris"]\ncategory = "toys"\n',
        f"rules.toml:4: apps.tetris.category: unknown category 'toys'; known: {CATEGORIES}",
    ),
    (
        "app-names-not-strings",
        "version = 1\n[apps.tetris]\nnames = [1]\n",
        "rules.toml:3: apps.tetris.names[0]: expected a string, got a whole number",
    ),
    (
        "app-bad-regex",
        "version = 1\n[apps.tetris]\nnames = ['tetris']\ncmdline = ['ok', '(']\n",
        "rules.toml:4: apps.tetris.cmdline[1]: invalid regular expression: missing ), "
        "unterminated subpattern at position 0",
    ),
    (
        "app-id-upper-case",
        'version = 1\n[apps.Tetris]\nnames = ["tetris"]\n',
        "rules.toml:2: apps.Tetris: an app id must be lower-case letters, digits, '-' or '_'",
    ),
    (
        "category-id-upper-case",
        'version = 1\n[categories.Toys]\ntitle = "Toys"\n',
        "rules.toml:2: categories.Toys: a category id must be lower-case letters, digits, "
        "'-' or '_'",
    ),
    (
        "category-unknown-key",
        'version = 1\n[categories.toys]\ntitle = "Toys"\ncolor = "red"\n',
        "rules.toml:4: categories.toys.color: unknown key; expected one of: title",
    ),
    (
        "app-and-category-same-id",
        'version = 1\n[categories.tetris]\n[apps.tetris]\nnames = ["t"]\n',
        "rules.toml:2: categories.tetris: 'tetris' is both an app and a category",
    ),
    (
        "screen-action-unknown",
        CHILD + 'screen_action = "shutdown"\n',
        "rules.toml:5: child[0].screen_action: expected one of: lock, logout, notify; "
        "got 'shutdown'",
    ),
    (
        "screen-action-not-a-string",
        CHILD + "screen_action = 1\n",
        "rules.toml:5: child[0].screen_action: expected a string, got a whole number",
    ),
    (
        "child-idle-minutes-too-small",
        CHILD + "idle_minutes = 0\n",
        "rules.toml:5: child[0].idle_minutes: must be between 0.1 and 120, got 0",
    ),
    (
        "settings-idle-minutes-too-big",
        "version = 1\n[settings]\nidle_minutes = 500\n",
        "rules.toml:3: settings.idle_minutes: must be between 0.1 and 120, got 500",
    ),
    (
        "screen-limit-bad-budget",
        CHILD + "[child.limits.screen]\ndaily = 2000\n",
        "rules.toml:6: child[0].limits.screen.daily: must be between 0 and 1440, got 2000",
    ),
    (
        "screen-limit-each",
        CHILD + "[child.limits.screen]\neach = 20\n",
        "rules.toml:6: child[0].limits.screen.each: 'each' is only for category limits "
        "(minutes for each app of the category)",
    ),
    (
        "app-named-screen",
        'version = 1\n[apps.screen]\nnames = ["screen"]\n',
        "rules.toml:2: apps.screen: 'screen' names the whole-computer limit; choose another id",
    ),
    (
        "catalog-unknown-id",
        'version = 1\ncatalog = ["roblox", "robloks"]\n',
        "rules.toml:2: catalog[1]: unknown catalogue app 'robloks'; 'playclock rules catalog' "
        "lists them",
    ),
    (
        "child-missing-name",
        'version = 1\n\n[[child]]\naccounts = ["an"]\n',
        "rules.toml:3: child[0]: missing 'name'",
    ),
    (
        "child-missing-accounts",
        'version = 1\n[[child]]\nname = "An"\n',
        "rules.toml:2: child[0]: missing 'accounts' (the OS accounts whose processes count for "
        "this child)",
    ),
    (
        "child-accounts-not-list",
        'version = 1\n[[child]]\nname = "An"\naccounts = "an"\n',
        "rules.toml:4: child[0].accounts: expected a list, got a string",
    ),
    (
        "child-as-table",
        'version = 1\n[child]\nname = "An"\n',
        "rules.toml:2: child: expected a list, got a table",
    ),
    (
        "child-unknown-key",
        CHILD + "age = 12\n",
        "rules.toml:5: child[0].age: unknown key; expected one of: name, accounts, birth_year, "
        "preset, always_allowed, limits, idle_minutes, screen_action",
    ),
    (
        "duplicate-account-case-insensitive",
        CHILD + '\n[[child]]\nname = "Bình"\naccounts = ["binh", "AN"]\n',
        "rules.toml:8: child[1].accounts: account 'AN' already belongs to child 'An'",
    ),
    (
        "duplicate-account-with-domain",
        CHILD + '[[child]]\nname = "Bình"\naccounts = ["PC\\\\an"]\n',
        "rules.toml:7: child[1].accounts: account 'PC\\\\an' already belongs to child 'An'",
    ),
    (
        "duplicate-child-name",
        CHILD + '[[child]]\nname = "an"\naccounts = ["an2"]\n',
        "rules.toml:6: child[1].name: duplicate child name 'an'",
    ),
    (
        "limit-unknown-app",
        CHILD + "[child.limits.minecarft]\ndaily = 5\n",
        "rules.toml:5: child[0].limits.minecarft: unknown app or category 'minecarft': define "
        "it under [apps] or [categories], or add it to catalog",
    ),
    (
        "limit-catalogue-app-not-listed",
        CHILD + "[child.limits.roblox]\ndaily = 5\n",
        "rules.toml:5: child[0].limits.roblox: unknown app or category 'roblox': define it "
        "under [apps] or [categories], or add it to catalog",
    ),
    (
        "limit-key-typo",
        CHILD + "[child.limits.total]\ndialy = 60\n",
        f"rules.toml:6: child[0].limits.total.dialy: unknown key; expected one of: {LIMIT_KEYS}",
    ),
    (
        "daily-negative",
        CHILD + "[child.limits.total]\ndaily = -5\n",
        "rules.toml:6: child[0].limits.total.daily: must be between 0 and 1440, got -5",
    ),
    (
        "daily-over-a-day",
        CHILD + "[child.limits.total]\ndaily = 1441\n",
        "rules.toml:6: child[0].limits.total.daily: must be between 0 and 1440, got 1441",
    ),
    (
        "daily-float",
        CHILD + "[child.limits.total]\ndaily = 60.5\n",
        "rules.toml:6: child[0].limits.total.daily: expected a whole number, got a number",
    ),
    (
        "daily-bool",
        CHILD + "[child.limits.games]\ndaily = true\n",
        "rules.toml:6: child[0].limits.games.daily: expected a whole number, got true or false",
    ),
    (
        "weekend-string",
        CHILD + '[child.limits.games]\nweekend = "120"\n',
        "rules.toml:6: child[0].limits.games.weekend: expected a whole number, got a string",
    ),
    (
        "days-unknown-weekday",
        CHILD + "[child.limits.total]\ndaily = 60\ndays = { fri = 90, fry = 90 }\n",
        "rules.toml:7: child[0].limits.total.days.fry: unknown weekday 'fry'; expected one of: "
        "mon, tue, wed, thu, fri, sat, sun",
    ),
    (
        "days-value-out-of-range",
        CHILD + "[child.limits.total]\ndays = { sat = 2000 }\n",
        "rules.toml:6: child[0].limits.total.days.sat: must be between 0 and 1440, got 2000",
    ),
    (
        "window-without-minutes",
        CHILD + '[child.limits.total]\nallowed = ["8-20"]\n',
        "rules.toml:6: child[0].limits.total.allowed[0]: " + WINDOW_MSG.format("8-20"),
    ),
    (
        "window-out-of-range",
        CHILD + '[child.limits.total]\nallowed = ["08:00-12:00", "25:00-26:00"]\n',
        "rules.toml:6: child[0].limits.total.allowed[1]: " + WINDOW_MSG.format("25:00-26:00"),
    ),
    (
        "window-empty",
        CHILD + '[child.limits.total]\nallowed = ["08:00-08:00"]\n',
        "rules.toml:6: child[0].limits.total.allowed[0]: " + WINDOW_MSG.format("08:00-08:00"),
    ),
    (
        "window-not-a-list",
        CHILD + '[child.limits.total]\nallowed = "08:00-20:00"\n',
        "rules.toml:6: child[0].limits.total.allowed: expected a list, got a string",
    ),
    (
        "allowed-days-bad-window",
        CHILD + '[child.limits.total]\nallowed_days = { sat = ["10-22"] }\n',
        "rules.toml:6: child[0].limits.total.allowed_days.sat[0]: " + WINDOW_MSG.format("10-22"),
    ),
    (
        "allowed-weekend-bad-window",
        CHILD + '[child.limits.total]\nallowed_weekend = ["noon-night"]\n',
        "rules.toml:6: child[0].limits.total.allowed_weekend[0]: "
        + WINDOW_MSG.format("noon-night"),
    ),
    (
        "each-on-app-limit",
        'version = 1\ncatalog = ["roblox"]\n[[child]]\nname = "An"\naccounts = ["an"]\n'
        "[child.limits.roblox]\ndaily = 60\neach = 30\n",
        "rules.toml:8: child[0].limits.roblox.each: 'each' is only for category limits "
        "(minutes for each app of the category)",
    ),
    (
        "each-on-total",
        CHILD + "[child.limits.total]\neach = 30\n",
        "rules.toml:6: child[0].limits.total.each: 'each' is only for category limits "
        "(minutes for each app of the category)",
    ),
    (
        "reminder-too-often",
        CHILD + "[child.limits.games]\nreminder_minutes = 2\n",
        "rules.toml:6: child[0].limits.games.reminder_minutes: must be between 5 and 240, got 2",
    ),
    (
        "always-allowed-unknown-app",
        CHILD + 'always_allowed = ["calculator"]\n',
        "rules.toml:5: child[0].always_allowed[0]: unknown app 'calculator'",
    ),
    (
        "unknown-preset",
        CHILD + 'preset = "strict"\n',
        f"rules.toml:5: child[0].preset: unknown preset 'strict'; known: {PRESETS}",
    ),
    (
        "birth-year-1800",
        CHILD + "birth_year = 1800\n",
        "rules.toml:5: child[0].birth_year: must be between 1990 and 2100, got 1800",
    ),
    (
        "limits-not-a-table",
        CHILD + "limits = 60\n",
        "rules.toml:5: child[0].limits: expected a table, got a whole number",
    ),
]


@pytest.mark.parametrize(("text", "expected"), [c[1:] for c in BROKEN], ids=[c[0] for c in BROKEN])
def test_broken_config_reports_exact_line(text: str, expected: str) -> None:
    """Each kind of mistake gives one `FILE:LINE: field.path: message` line."""
    assert errors(text) == [expected]


def test_broken_cases_are_distinct() -> None:
    """The table covers at least 25 distinct kinds of broken config."""
    assert len({c[0] for c in BROKEN}) == len(BROKEN) >= 25
    assert len({c[1] for c in BROKEN}) == len(BROKEN)


def test_all_errors_reported_at_once_sorted_by_line() -> None:
    """Five mistakes give five lines, in file order, even when found out of order."""
    text = """
        version = 1

        [[child]]
        name = "An"
        accounts = ["an"]
        birth_year = 1800

        [child.limits.total]
        dialy = 60

        [settings]
        poll_seconds = 11
        locale = "fr"

        [apps.tetris]
        title = "Tetris"
    """
    assert errors(text, "family.toml") == [
        "family.toml:6: child[0].birth_year: must be between 1990 and 2100, got 1800",
        f"family.toml:9: child[0].limits.total.dialy: unknown key; expected one of: {LIMIT_KEYS}",
        "family.toml:12: settings.poll_seconds: must be between 0.2 and 10, got 11",
        "family.toml:13: settings.locale: expected \"vi\", \"en\" or \"auto\", got 'fr'",
        "family.toml:15: apps.tetris: an app needs at least one of names, paths or cmdline",
    ]


def test_lines_of_second_child_and_nested_tables() -> None:
    """Array-of-tables indexes and nested limit tables resolve to their own lines."""
    text = """
        version = 1
        catalog = ["roblox"]

        [[child]]
        name = "An"
        accounts = ["an"]

        [child.limits.games]
        daily = 60

        [child.limits.roblox]
        daily = 30

        [[child]]
        name = "Bình"
        accounts = ["binh"]
        always_allowed = ["roblox", "tetris"]

        [child.limits.games]
        daily = 60
        weekend = 2000

        [child.limits.roblox]
        daily = 30
        days = { fry = 10 }

        [[child]]
        accounts = ["chi"]

        [child.limits.total]
        dialy = 1
    """
    assert errors(text) == [
        "rules.toml:17: child[1].always_allowed[1]: unknown app 'tetris'",
        "rules.toml:21: child[1].limits.games.weekend: must be between 0 and 1440, got 2000",
        "rules.toml:25: child[1].limits.roblox.days.fry: unknown weekday 'fry'; expected one "
        "of: mon, tue, wed, thu, fri, sat, sun",
        "rules.toml:27: child[2]: missing 'name'",
        f"rules.toml:31: child[2].limits.total.dialy: unknown key; expected one of: {LIMIT_KEYS}",
    ]


def test_lines_with_comments_strings_and_dotted_keys() -> None:
    """Headers with comments, multi-line strings and dotted keys do not shift line numbers."""
    text = '''
        version = 1
        # [settings] in a comment is not a header
        [apps.tetris]   # an app of our own
        title = """
        [settings]
        poll_seconds = 99
        """
        names = ["tetris"]

        [settings]
        locale = "vi"
        warn_minutes = [5, 300]
    '''
    assert errors(text) == [
        "rules.toml:12: settings.warn_minutes: expected a list of whole minutes between 1 and 240"
    ]
    dotted = 'version = 1\nsettings.locale = "vi"\nsettings.pol_seconds = 1\n'
    assert errors(dotted) == [
        f"rules.toml:3: settings.pol_seconds: unknown key; expected one of: {SETTINGS_KEYS}"
    ]


def test_issue_message_is_translatable() -> None:
    """Messages are templates: a translator sees the template, arguments are filled in after."""
    with pytest.raises(ConfigError) as info:
        load_text('version = 1\n[settings]\nlocale = "fr"\n', "r.toml")
    (issue,) = info.value.issues
    assert (issue.file, issue.line, issue.path) == ("r.toml", 3, "settings.locale")
    vi = {
        'expected "vi", "en" or "auto", got {value!r}': 'cần "vi", "en" hoặc "auto", có {value!r}'
    }
    assert issue.format(lambda t: vi.get(t, t)) == (
        "r.toml:3: settings.locale: cần \"vi\", \"en\" hoặc \"auto\", có 'fr'"
    )


def test_settings_values_are_read() -> None:
    """Settings parse to their model types; warn_minutes is deduplicated and sorted down."""
    config = cfg(
        """
        [settings]
        poll_seconds = 2
        day_starts = "04:30"
        warn_minutes = [1, 15, 5, 15]
        grace_seconds = 0
        locale = "vi"
        listen = "localhost:8000"
        timezone = "Asia/Ho_Chi_Minh"
        """
    )
    s = config.settings
    assert (s.poll_seconds, s.day_starts, s.warn_minutes) == (2.0, 270, (15, 5, 1))
    assert isinstance(s.poll_seconds, float)
    assert (s.grace_seconds, s.locale, s.listen, s.timezone) == (
        0.0, "vi", "localhost:8000", "Asia/Ho_Chi_Minh"
    )


def test_limits_apps_and_presets_are_read() -> None:
    """Limit tables, own apps and a child's table replacing the preset's table for its key."""
    config = cfg(
        r"""
        catalog = ["roblox", "minecraft", "roblox"]

        [apps.tetris]
        category = "games"
        paths = ['C:\Games\Tetris\*']
        cmdline = ['tetris\.jar']

        [apps.roblox]
        title = "My Roblox"
        names = ["roblox-custom"]

        [[child]]
        name = "An"
        accounts = ["an", "PC\\an2"]
        preset = "vn-decree-147"
        birth_year = 2014

        [child.limits.total]
        daily = 120
        weekend = 180
        days = { fri = 150 }
        allowed = ["08:00-20:00", "22:00-24:00"]
        allowed_weekend = []
        allowed_days = { sat = ["09:00-23:00"] }
        """
    )
    assert config.catalog == ("roblox", "minecraft")
    assert [a.id for a in config.apps] == ["roblox", "minecraft", "tetris"]
    roblox, tetris = config.app("roblox"), config.app("tetris")
    assert roblox is not None and not roblox.from_catalog and roblox.names == ("roblox-custom",)
    assert tetris is not None and tetris.title == "tetris" and tetris.paths == (
        "C:\\Games\\Tetris\\*",
    )
    assert [p.pattern for p in tetris.cmdline] == [r"tetris\.jar"]
    assert all(p.flags & re.IGNORECASE for p in tetris.cmdline)
    (child,) = config.children
    assert child.accounts == ("an", "PC\\an2") and child.birth_year == 2014
    assert child.limits == (
        LimitSpec(
            key="total",
            daily=120,
            weekend=180,
            days=(("fri", 150),),
            allowed=(Window(480, 1200), Window(1320, 0)),
            allowed_weekend=(),
            allowed_days=(("sat", (Window(540, 1380),)),),
        ),
    )
    assert child.preset_limits == (LimitSpec(key="games", daily=180, each=60, reminder_minutes=30),)
    assert set(child.effective_limits()) == {"games", "total"}


def test_child_table_replaces_preset_table() -> None:
    """A child's own limit table for a preset key replaces the preset's table entirely."""
    config = cfg(
        """
        [[child]]
        name = "An"
        accounts = ["an"]
        preset = "vn-decree-147"
        [child.limits.games]
        daily = 30
        """
    )
    games = config.children[0].effective_limits()["games"]
    assert games == LimitSpec(key="games", daily=30)


def test_minimal_config_has_defaults() -> None:
    """`version = 1` alone is a valid, empty config with default settings."""
    config = load_text("version = 1\n")
    assert config.children == () and config.catalog == ()
    assert config.settings.poll_seconds == 1.0 and config.settings.warn_minutes == (10, 5, 1)
    assert {c.id for c in config.categories} >= {"games", "browsers", "social"}


def test_screen_limit_idle_minutes_and_screen_action_are_read() -> None:
    config = load_text(
        "version = 1\n[settings]\nidle_minutes = 5\n"
        + CHILD[len("version = 1\n") :]
        + 'idle_minutes = 0.5\nscreen_action = "logout"\n'
        + '[child.limits.screen]\ndaily = 120\nallowed = ["07:00-21:00"]\n'
    )
    (child,) = config.children
    assert config.settings.idle_minutes == 5
    assert (child.idle_minutes, child.screen_action) == (0.5, "logout")
    (spec,) = child.limits
    assert (spec.key, spec.daily, str(spec.allowed[0])) == ("screen", 120, "07:00-21:00")


def test_screen_defaults() -> None:
    config = load_text(CHILD)
    assert config.settings.idle_minutes == 3
    assert (config.children[0].idle_minutes, config.children[0].screen_action) == (None, "lock")
