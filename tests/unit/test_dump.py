"""Writing a Config back as TOML: it reloads to an equal Config."""

from __future__ import annotations

import dataclasses
import re
import textwrap

import pytest

from rules.config import load_text
from rules.model import LimitSpec, Window
from rules.presets import example_toml, preset_names, preset_toml
from rules.toml_writer import dump_config, limit_table


def normal(value: object) -> object:
    """A comparable form: dataclasses as (type, fields), regexes by pattern and flags."""
    if isinstance(value, re.Pattern):
        return ("re", value.pattern, value.flags)
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return (
            type(value).__name__,
            {f.name: normal(getattr(value, f.name)) for f in dataclasses.fields(value)},
        )
    if isinstance(value, tuple | list):
        return [normal(v) for v in value]
    if isinstance(value, frozenset | set):
        return sorted(normal(v) for v in value)  # type: ignore[type-var]
    if isinstance(value, dict):
        return {k: normal(v) for k, v in value.items()}
    return value


def test_normal_compares_regexes_by_pattern() -> None:
    """The normaliser sees equal patterns as equal and different ones as different."""
    assert normal(re.compile("a+", re.I)) == normal(re.compile("a+", re.I))
    assert normal(re.compile("a+", re.I)) != normal(re.compile("a+"))
    assert normal(Window(1, 2)) != normal(Window(2, 1))


OWN = r'''
version = 1
catalog = ["roblox", "minecraft", "discord"]

[settings]
poll_seconds = 0.5
day_starts = "04:30"
warn_minutes = [15, 5]
grace_seconds = 2.5
locale = "vi"
listen = "[::1]:8080"
timezone = "Asia/Ho_Chi_Minh"

[categories.games]
title = "Trò chơi"

[categories.school]
title = "Trường học"

[apps.crossfire]
title = "CrossFire (Đột Kích)"
category = "games"
names = ["crossfire", "CF.exe"]
paths = ['C:\Games\CrossFire\*', "*/cf/*"]
cmdline = ['--mode=\d+', "it's", 'say "hi"']

[apps.roblox]
title = "Roblox (own)"
names = ["roblox-own"]

[apps.teams]
title = "Teams"
category = "school"
cmdline = ['teams\\.exe']

[[child]]
name = "Bình"
accounts = ["binh", "PC\\Bình"]
birth_year = 2019
preset = "age-6-11"
always_allowed = ["teams", "crossfire"]

[child.limits.total]
daily = 90
weekend = 120
days = { fri = 100, sun = 0 }
allowed = ["22:00-02:00", "06:00-07:00"]
allowed_weekend = []
allowed_days = { sat = ["00:00-24:00"], sun = ["20:00-24:00", "07:00-09:00"] }

[child.limits.games]
daily = 45
each = 30
reminder_minutes = 30

[[child]]
name = "Chi \"CC\" Nguyễn"
accounts = []
'''


@pytest.mark.parametrize(
    "text",
    [example_toml(), *(preset_toml(n) for n in preset_names()), OWN, "version = 1\n"],
    ids=["example", *preset_names(), "own-apps-unicode-midnight", "minimal"],
)
def test_dump_reloads_to_equal_config(text: str) -> None:
    """load(dump(load(x))) == load(x), and dumping again gives the same text."""
    config = load_text(text)
    dumped = dump_config(config)
    again = load_text(dumped, "dumped.toml")
    assert normal(again) == normal(config)
    assert dump_config(again) == dumped


def test_dump_keeps_unicode_and_references() -> None:
    """Names stay readable, catalogue apps and presets stay references."""
    config = load_text(OWN)
    dumped = dump_config(config)
    assert 'name = "Bình"' in dumped and 'title = "Trò chơi"' in dumped
    assert 'catalog = ["roblox", "minecraft", "discord"]' in dumped
    assert "[apps.minecraft]" not in dumped and "[apps.roblox]" in dumped
    assert 'preset = "age-6-11"' in dumped
    assert dumped.count("[child.limits.") == 2  # the preset's other tables are not written out
    assert "[categories.browsers]" not in dumped  # built-in titles are not repeated
    assert '"22:00-02:00"' in dumped and '"00:00-24:00"' in dumped
    crossfire = load_text(dumped).app("crossfire")
    assert crossfire is not None
    assert [p.pattern for p in crossfire.cmdline] == [r"--mode=\d+", "it's", 'say "hi"']


def test_dump_header_is_commented() -> None:
    """A header becomes comment lines before the config."""
    dumped = dump_config(load_text("version = 1\n"), header="PlayClock rules\n\nby the agent")
    assert dumped.splitlines()[:4] == ["# PlayClock rules", "#", "# by the agent", "version = 1"]


@pytest.mark.parametrize(
    ("spec", "lines"),
    [
        (LimitSpec(key="total"), []),
        (LimitSpec(key="total", daily=0), ["daily = 0"]),
        (
            LimitSpec(key="games", daily=60, weekend=120, days=(("fri", 90),), each=30,
                      reminder_minutes=30),
            ["daily = 60", "weekend = 120", "each = 30", "reminder_minutes = 30",
             "days = { fri = 90 }"],
        ),
        (
            LimitSpec(key="total", allowed=(Window(1320, 120), Window(0, 0)), allowed_weekend=()),
            ['allowed = ["22:00-02:00", "00:00-24:00"]', "allowed_weekend = []"],
        ),
        (
            LimitSpec(key="total", allowed_days=(("sat", (Window(360, 30),)), ("sun", ()))),
            ['allowed_days = { sat = ["06:00-00:30"], sun = [] }'],
        ),
    ],
    ids=["empty", "zero", "budgets", "windows", "allowed-days"],
)
def test_limit_table(spec: LimitSpec, lines: list[str]) -> None:
    """A limit table writes only what is set; 24:00 stays 24:00."""
    assert limit_table(spec) == lines
    text = textwrap.dedent(
        f"""
        version = 1
        [[child]]
        name = "An"
        accounts = ["an"]
        [child.limits.{spec.key}]
        """
    ) + "\n".join(lines) + "\n"
    assert load_text(text).children[0].limits == (spec,)

