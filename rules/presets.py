"""Built-in presets (Decree 147 and age groups) and the example `rules.toml` texts."""

from __future__ import annotations

import copy
import textwrap
from collections.abc import Mapping
from dataclasses import dataclass, field

from rules.toml_writer import toml_key, toml_string, toml_value

__all__ = [
    "EXAMPLE_YEAR",
    "PRESETS",
    "Preset",
    "example_toml",
    "get",
    "limits_for",
    "preset_names",
    "preset_toml",
]

# The year the example birth years are written for (the core never reads the clock).
EXAMPLE_YEAR = 2026

_WHO_2019 = (
    "WHO (2019), Guidelines on physical activity, sedentary behaviour and sleep for children "
    "under 5 years of age: no sedentary screen time under 2; for ages 2-4 no more than 1 hour "
    "a day, less is better"
)
_AAP_2016 = (
    "AAP (2016), Media and Young Minds (Pediatrics 138(5):e20162591): ages 2-5 at most 1 hour "
    "a day of high-quality programmes; no screens in the hour before bed"
)
_AAP_PLAN = (
    "AAP Family Media Plan (healthychildren.org/MediaUsePlan): consistent limits from age 6, "
    "screens off an hour before bedtime, media-free bedrooms and times"
)
_AASM = (
    "AASM consensus (Paruthi et al., J Clin Sleep Med 2016): sleep of 10-13 h at 3-5 years, "
    "9-12 h at 6-12 years, 8-10 h at 13-18 years"
)
_DECREE_147 = (
    "Decree 147/2024/NĐ-CP, Art. 39(1)(e) and 48(1)(e): players under 18 at most 60 minutes "
    "per game and 180 minutes in total a day (00:00-24:00)"
)
_DECREE_147_WARN = (
    "Decree 147/2024/NĐ-CP, Art. 39(1)(g): a health warning every 30 minutes of play"
)
_COPPA_13 = (
    "Social media terms of service and COPPA (US, 16 CFR 312): accounts from age 13"
)

_DEFAULT_SETTINGS: dict[str, object] = {"day_starts": "00:00", "warn_minutes": [10, 5, 1]}


@dataclass(frozen=True)
class Preset:
    """A built-in set of limits with the public guidance it follows."""

    name: str
    title: str
    description: str
    guidance: tuple[str, ...]
    ages: tuple[int, int]  # inclusive age range the preset is meant for
    example_age: int  # the age used for `birth_year` in the preset's example TOML
    settings: dict[str, object] = field(hash=False)  # hints for [settings]
    limits: dict[str, dict[str, object]] = field(hash=False)  # key -> raw limit table
    notes: dict[str, str] = field(default_factory=dict, hash=False)  # key -> why, for comments


PRESETS: dict[str, Preset] = {
    "vn-decree-147": Preset(
        name="vn-decree-147",
        title="Viet Nam Decree 147/2024 game time",
        description=(
            "The game-time rule of Decree 147/2024/NĐ-CP for players under 18: each game at "
            "most 60 minutes a day, all games together at most 180 minutes a day, counted per "
            "calendar day from 00:00, with a health reminder every 30 minutes of play."
        ),
        guidance=(_DECREE_147, _DECREE_147_WARN),
        ages=(0, 17),
        example_age=12,
        settings=dict(_DEFAULT_SETTINGS),
        limits={"games": {"daily": 180, "each": 60, "reminder_minutes": 30}},
        notes={
            "games": "Decree 147/2024/NĐ-CP Art. 39(1)(e), 48(1)(e), 39(1)(g): 180 minutes of "
            "games a day in total, 60 minutes for each game, a reminder every 30 minutes.",
        },
    ),
    "age-under-6": Preset(
        name="age-under-6",
        title="Under 6",
        description=(
            "One hour of screen time a day at most, with half an hour of games, between 07:00 "
            "and 19:00 (an hour before a 20:00 bedtime), and no social media. For children "
            "under 2, WHO advises no screen time at all: set the total to 0."
        ),
        guidance=(_WHO_2019, _AAP_2016, _AASM, _COPPA_13, _DECREE_147),
        ages=(0, 5),
        example_age=4,
        settings=dict(_DEFAULT_SETTINGS),
        limits={
            "screen": {"daily": 60, "allowed": ["07:00-19:00"]},
            "total": {"daily": 60, "allowed": ["07:00-19:00"]},
            "games": {"daily": 30, "each": 30},
            "social": {"daily": 0},
        },
        notes={
            "screen": "WHO 2019 and AAP 2016 count all screen time: the whole computer, at "
            "most 1 hour a day, screens off an hour before bed (under 2: daily = 0).",
            "total": "WHO 2019 and AAP 2016: at most 1 hour a day for ages 2-5 (under 2: "
            "none, set daily = 0). Screens off an hour before a 20:00 bedtime; children of "
            "3-5 need 10-13 hours of sleep (AASM).",
            "games": "Half of the hour at most for games; Decree 147 allows at most 60 "
            "minutes per game and 180 in total.",
            "social": "Social media accounts start at 13 (platform terms, COPPA).",
        },
    ),
    "age-6-11": Preset(
        name="age-6-11",
        title="Ages 6 to 11",
        description=(
            "90 minutes of screen time on school days and 2 hours on Saturday and Sunday, of "
            "which 45 minutes of games (90 at weekends, 45 per game), from 07:00 to 20:00 "
            "(20:30 on Friday and Saturday nights), a reminder every 30 minutes of play, "
            "no social media."
        ),
        guidance=(_AAP_PLAN, _AASM, _DECREE_147, _DECREE_147_WARN, _COPPA_13),
        ages=(6, 11),
        example_age=9,
        settings=dict(_DEFAULT_SETTINGS),
        limits={
            "screen": {
                "daily": 90,
                "weekend": 120,
                "allowed": ["07:00-20:00"],
                "allowed_days": {"fri": ["07:00-20:30"], "sat": ["07:00-20:30"]},
            },
            "total": {
                "daily": 90,
                "weekend": 120,
                "allowed": ["07:00-20:00"],
                "allowed_days": {"fri": ["07:00-20:30"], "sat": ["07:00-20:30"]},
            },
            "games": {"daily": 45, "weekend": 90, "each": 45, "reminder_minutes": 30},
            "social": {"daily": 0},
        },
        notes={
            "screen": "AAP Family Media Plan: limits on all screen use (the whole computer, "
            "idle time left out), the same hours as the total; school work counts too, so "
            "grant time for it or raise the school-day budget.",
            "total": "AAP Family Media Plan: consistent limits, screens off an hour before "
            "bed. Children of 6-12 need 9-12 hours of sleep (AASM): bed about 21:00 on school "
            "nights, 21:30 on Friday and Saturday (drop fri if there is school on Saturday).",
            "games": "Within Decree 147 (at most 60 minutes per game, 180 in total a day), "
            "with its reminder every 30 minutes of play.",
            "social": "Social media accounts start at 13 (platform terms, COPPA).",
        },
    ),
    "age-12-15": Preset(
        name="age-12-15",
        title="Ages 12 to 15",
        description=(
            "2 hours of screen time on school days and 3 hours on Saturday and Sunday, of "
            "which 60 minutes of games (120 at weekends, 60 per game), from 06:30 to 21:30 "
            "(22:30 on Friday and Saturday nights), a reminder every 30 minutes of play."
        ),
        guidance=(_AAP_PLAN, _AASM, _DECREE_147, _DECREE_147_WARN),
        ages=(12, 15),
        example_age=13,
        settings=dict(_DEFAULT_SETTINGS),
        limits={
            "screen": {
                "daily": 120,
                "weekend": 180,
                "allowed": ["06:30-21:30"],
                "allowed_days": {"fri": ["06:30-22:30"], "sat": ["06:30-22:30"]},
            },
            "total": {
                "daily": 120,
                "weekend": 180,
                "allowed": ["06:30-21:30"],
                "allowed_days": {"fri": ["06:30-22:30"], "sat": ["06:30-22:30"]},
            },
            "games": {"daily": 60, "weekend": 120, "each": 60, "reminder_minutes": 30},
        },
        notes={
            "screen": "AAP Family Media Plan: limits on all screen use (the whole computer, "
            "idle time left out), the same hours as the total; school work counts too, so "
            "grant time for it or raise the school-day budget.",
            "total": "AAP Family Media Plan: consistent limits, screens off an hour before "
            "bed. 9-10 hours of sleep at this age (AASM): bed about 22:30 on school nights, "
            "23:30 on Friday and Saturday (drop fri if there is school on Saturday).",
            "games": "Decree 147: at most 60 minutes per game; 60 minutes of games on school "
            "days, 120 at weekends (the Decree's ceiling is 180); a reminder every 30 minutes.",
        },
    ),
    "age-16-17": Preset(
        name="age-16-17",
        title="Ages 16 and 17",
        description=(
            "3 hours of screen time on school days and 4 hours on Saturday and Sunday, of "
            "which 90 minutes of games (180 at weekends, 60 per game), from 06:00 to 22:00 "
            "(23:00 on Friday and Saturday nights), a reminder every 30 minutes of play."
        ),
        guidance=(_AAP_PLAN, _AASM, _DECREE_147, _DECREE_147_WARN),
        ages=(16, 17),
        example_age=16,
        settings=dict(_DEFAULT_SETTINGS),
        limits={
            "screen": {
                "daily": 180,
                "weekend": 240,
                "allowed": ["06:00-22:00"],
                "allowed_days": {"fri": ["06:00-23:00"], "sat": ["06:00-23:00"]},
            },
            "total": {
                "daily": 180,
                "weekend": 240,
                "allowed": ["06:00-22:00"],
                "allowed_days": {"fri": ["06:00-23:00"], "sat": ["06:00-23:00"]},
            },
            "games": {"daily": 90, "weekend": 180, "each": 60, "reminder_minutes": 30},
        },
        notes={
            "screen": "AAP Family Media Plan: limits on all screen use (the whole computer, "
            "idle time left out), the same hours as the total; school work counts too, so "
            "grant time for it or raise the school-day budget.",
            "total": "AAP Family Media Plan: consistent limits, screens off an hour before "
            "bed. Teenagers need 8-10 hours of sleep (AASM): bed about 23:00 on school "
            "nights, midnight on Friday and Saturday.",
            "games": "Decree 147 in full at weekends (60 minutes per game, 180 in total); "
            "90 minutes on school days; a reminder every 30 minutes.",
        },
    ),
}

# Catalogue apps listed in every preset's example: popular games and the main browsers.
_EXAMPLE_GAMES = (
    "roblox", "minecraft", "minecraft-bedrock", "fortnite", "league-of-legends",
    "valorant", "fc-online", "genshin-impact", "garena", "riot-client", "steam",
    "steam-games", "epic-games-launcher", "epic-games",
)
_EXAMPLE_BROWSERS = ("chrome", "edge", "firefox", "coccoc", "opera", "brave")

_FIELD_ORDER = (
    "daily", "weekend", "days", "each", "reminder_minutes", "allowed", "allowed_weekend",
    "allowed_days",
)
_COMMENT_COLUMN = 36


def preset_names() -> list[str]:
    """Names of the built-in presets."""
    return list(PRESETS)


def get(name: str) -> Preset:
    """The preset with this name; KeyError listing the known names when there is none."""
    try:
        return PRESETS[name]
    except KeyError:
        raise KeyError(f"unknown preset {name!r}; known: {', '.join(PRESETS)}") from None


def limits_for(name: str) -> dict[str, dict[str, object]]:
    """A fresh copy of a preset's raw limit tables, as `[child.limits.KEY]` would hold them."""
    return copy.deepcopy(get(name).limits)



def _comment(text: str, width: int = 92) -> list[str]:
    return ["# " + line for line in textwrap.wrap(text, width - 2)]


def _line(key: str, value: object, comment: str = "") -> str:
    text = f"{toml_key(key)} = {toml_value(value)}"
    if not comment:
        return text
    if len(text) >= _COMMENT_COLUMN - 1:
        return f"# {comment}\n{text}"
    return text.ljust(_COMMENT_COLUMN - 1) + " # " + comment


def _limit_comment(key: str, field_name: str, table: Mapping[str, object]) -> str:
    value = table[field_name]
    has_weekend = "weekend" in table
    if field_name == "daily":
        if value == 0:
            return "0 = not allowed at all"
        return "minutes on school days (Mon-Fri)" if has_weekend else "minutes every day"
    if field_name == "weekend":
        return "minutes on Saturday and Sunday"
    if field_name == "days":
        return "minutes on these weekdays; wins over weekend/daily"
    if field_name == "each":
        what = "each game" if key == "games" else "each app of the category"
        return f"{what} at most {value} minutes a day"
    if field_name == "reminder_minutes":
        return f"a health reminder after every {value} minutes of use"
    if field_name == "allowed":
        return "allowed hours; outside them these apps close" if key == "total" \
            else "allowed hours"
    if field_name == "allowed_weekend":
        return "allowed hours on Saturday and Sunday"
    if field_name == "allowed_days":
        return "allowed hours on these days; wins over allowed"
    return ""


def _limit_tables(
    limits: Mapping[str, Mapping[str, object]], notes: Mapping[str, str]
) -> list[str]:
    lines: list[str] = []
    for key, table in limits.items():
        lines.append("")
        if key in notes:
            lines.extend(_comment(notes[key]))
        lines.append(f"[child.limits.{toml_key(key)}]")
        ordered = [f for f in _FIELD_ORDER if f in table]
        ordered += [f for f in table if f not in _FIELD_ORDER]
        for name in ordered:
            lines.append(_line(name, table[name], _limit_comment(key, name, table)))
    return lines


def _catalog_lines() -> list[str]:
    def chunk(ids: tuple[str, ...]) -> list[str]:
        out: list[str] = []
        row = "   "
        for item in ids:
            cell = f" {toml_string(item)},"
            if len(row) + len(cell) > 88:
                out.append(row)
                row = "   "
            row += cell
        return [*out, row]

    return [
        "# Apps from PlayClock's built-in catalogue (`playclock rules catalog` lists them all).",
        "# Only listed apps count: add the ones your child uses, remove the rest.",
        "catalog = [",
        "    # games and game launchers",
        *chunk(_EXAMPLE_GAMES),
        '    # web browsers, so that "total" and bedtime also cover the web',
        *chunk(_EXAMPLE_BROWSERS),
        "]",
    ]


def _settings_lines(hints: Mapping[str, object]) -> list[str]:
    values: dict[str, object] = {
        "poll_seconds": 1,
        "day_starts": "00:00",
        "warn_minutes": [10, 5, 1],
        "grace_seconds": 10,
        "locale": "auto",
        "timezone": "auto",
        "listen": "127.0.0.1:7377",
    }
    values.update(hints)
    comments = {
        "poll_seconds": "how often processes are sampled (0.2 to 10)",
        "day_starts": "daily budgets reset at local midnight",
        "warn_minutes": "warnings before a limit runs out",
        "grace_seconds": "between the polite close and the forced kill",
        "locale": '"vi", "en" or "auto" (from the OS)',
        "timezone": '"auto" or an IANA name, e.g. "Asia/Ho_Chi_Minh"',
        "listen": "local API and dashboard; loopback only",
    }
    return ["[settings]"] + [_line(k, v, comments.get(k, "")) for k, v in values.items()]


def preset_toml(name: str) -> str:
    """A complete, commented `rules.toml` using the preset, for a parent to copy and edit."""
    preset = get(name)
    birth_year = EXAMPLE_YEAR - preset.example_age
    lines: list[str] = [
        f"# PlayClock rules.toml: preset {preset.name!r} ({preset.title})",
        "#",
        *_comment(preset.description),
        "#",
        "# Follows:",
        *(
            line
            for g in preset.guidance
            for line in textwrap.wrap(g, 90, initial_indent="#   - ", subsequent_indent="#     ")
        ),
        "#",
        "# Check your edits with: playclock rules check rules.toml",
        "",
        "version = 1",
        "",
        *_catalog_lines(),
        "",
        *_settings_lines(preset.settings),
        "",
        "[[child]]",
        _line("name", "An"),
        _line("accounts", ["an"], "OS accounts whose processes count for this child"),
        _line("birth_year", birth_year, f"{preset.example_age} years old in {EXAMPLE_YEAR}"),
        _line("preset", preset.name, "the built-in limits below apply"),
        _line("always_allowed", [], "app ids that never count and are never closed"),
        "",
        "# The preset's limits, written out so you can change them. A table here replaces",
        "# the preset's table with the same key; delete a table to fall back to the preset.",
        '# Keys: an app id, a category id (games, browsers, video, social, chat, creative,',
        '# education, other) or "total" (any tracked app). Minutes count per day from day_starts.',
        *_limit_tables(preset.limits, preset.notes),
    ]
    return "\n".join(lines) + "\n"


_EXAMPLE = """\
# PlayClock example rules.toml: three children, built-in presets, catalogue apps,
# apps of your own and an always-allowed school app.
# Check your edits with: playclock rules check rules.toml

version = 1

# Apps from the built-in catalogue (`playclock rules catalog` lists them all).
# A table [apps.ID] below with the same id replaces the catalogue's app.
catalog = [
    # games and game launchers
    "roblox", "minecraft", "minecraft-bedrock", "fortnite", "league-of-legends",
    "fc-online", "garena", "riot-client", "steam", "steam-games",
    # web browsers and chat
    "chrome", "edge", "coccoc", "discord",
]

[settings]
poll_seconds = 1            # how often processes are sampled (0.2 to 10)
day_starts = "00:00"        # local time at which daily budgets reset
warn_minutes = [10, 5, 1]   # warnings before a limit runs out
grace_seconds = 10          # between the polite close and the forced kill
locale = "auto"             # "vi", "en" or "auto" (from the OS)
timezone = "auto"           # or an IANA name such as "Asia/Ho_Chi_Minh"
listen = "127.0.0.1:7377"   # local API and dashboard; loopback only

# Apps of your own: process names (case-insensitive, ".exe" optional), and
# optionally globs on the program's path and regexes on its command line.
[apps.calculator]
title = "Calculator"
category = "education"
names = ["CalculatorApp", "Calculator", "gnome-calculator", "kcalc"]

[apps.teams]
title = "Microsoft Teams"
category = "school"
names = ["ms-teams", "MSTeams", "Teams", "teams-for-linux"]
paths = ["*/Microsoft Teams.app/*"]

[apps.crossfire]
title = "CrossFire (Đột Kích)"
category = "games"
names = ["crossfire"]

# Built-in categories: games, browsers, video, social, chat, creative, education,
# other. Add your own, or retitle a built-in one.
[categories.school]
title = "School"

# An, 12: Decree 147's game limits, plus the family's own.
[[child]]
name = "An"
accounts = ["an"]              # OS accounts whose processes count for this child
birth_year = 2014
preset = "vn-decree-147"       # games: 180 min in total, 60 per game, reminder every 30
always_allowed = ["calculator", "teams"]  # never count, never closed

# A table here replaces the preset's table with the same key, so it repeats
# the Decree's "each" and "reminder_minutes".
[child.limits.games]
daily = 60                     # minutes on school days
weekend = 120                  # Saturday and Sunday
days = { fri = 90 }            # per weekday; wins over weekend/daily
each = 60                      # each game at most 60 minutes a day (Decree 147)
reminder_minutes = 30          # health reminder every 30 minutes of play
allowed = ["08:00-20:30"]

[child.limits.roblox]          # one app
daily = 45

[child.limits.social]
daily = 0                      # not allowed at all

[child.limits.total]           # any tracked app
daily = 150
weekend = 210
allowed = ["06:30-21:30"]
allowed_days = { fri = ["06:30-22:30"], sat = ["06:30-22:30"] }

# Bình, 7: the preset for ages 6 to 11 (90 min a day, 120 at weekends, 45 of
# games, screens off at 20:00), with less Roblox.
[[child]]
name = "Bình"
accounts = ["binh"]
birth_year = 2019
preset = "age-6-11"
always_allowed = ["calculator", "teams"]

[child.limits.roblox]
daily = 30
weekend = 45

# Chi, 16: the preset for ages 16 and 17, up until 00:30 on Friday and Saturday
# nights. A window whose end is before its start crosses midnight.
[[child]]
name = "Chi"
accounts = ["chi"]
birth_year = 2010
preset = "age-16-17"
always_allowed = ["calculator", "teams"]

[child.limits.total]
daily = 180
weekend = 240
allowed = ["06:00-22:00"]
allowed_days = { fri = ["06:00-00:30"], sat = ["06:00-00:30"] }
"""


def example_toml() -> str:
    """The example `rules.toml` shipped with PlayClock."""
    return _EXAMPLE
