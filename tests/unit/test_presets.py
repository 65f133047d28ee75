"""Built-in presets: their numbers, their guidance and the TOML they print."""

from __future__ import annotations

import re
import tomllib
from pathlib import Path
from typing import Any

import pytest

from rules import presets
from rules.catalog import BUILTIN_CATEGORIES, CATALOG
from rules.presets import (
    EXAMPLE_YEAR,
    PRESETS,
    Preset,
    example_toml,
    get,
    limits_for,
    preset_names,
)

WINDOW = re.compile(r"^([01]\d|2[0-3]):[0-5]\d-(([01]\d|2[0-3]):[0-5]\d|24:00)$")
WEEKDAYS = {"mon", "tue", "wed", "thu", "fri", "sat", "sun"}
AGE_PRESETS = ["age-under-6", "age-6-11", "age-12-15", "age-16-17"]
DOCS = Path(__file__).resolve().parents[2] / "docs" / "presets.md"

TOP = {"version", "settings", "catalog", "apps", "categories", "child"}
SETTINGS = {"poll_seconds", "day_starts", "warn_minutes", "grace_seconds", "locale", "listen",
            "timezone"}
APP = {"title", "category", "names", "paths", "cmdline"}
CHILD = {"name", "accounts", "birth_year", "preset", "always_allowed", "limits"}
LIMIT = {"daily", "weekend", "days", "allowed", "allowed_weekend", "allowed_days", "each",
         "reminder_minutes"}


def check_limit(key: str, table: dict[str, Any], kinds: dict[str, str]) -> None:
    """A limit table holds only known keys with values of the right shape."""
    assert set(table) <= LIMIT, (key, set(table) - LIMIT)
    for name in ("daily", "weekend", "each"):
        if name in table:
            assert isinstance(table[name], int) and 0 <= table[name] <= 1440
    if "reminder_minutes" in table:
        assert isinstance(table["reminder_minutes"], int) and 5 <= table["reminder_minutes"] <= 240
    if "each" in table:
        assert kinds[key] == "category", f"'each' on non-category {key}"
    if "days" in table:
        assert set(table["days"]) <= WEEKDAYS
        assert all(isinstance(v, int) for v in table["days"].values())
    windows: list[str] = [*table.get("allowed", []), *table.get("allowed_weekend", [])]
    if "allowed_days" in table:
        assert set(table["allowed_days"]) <= WEEKDAYS
        for value in table["allowed_days"].values():
            windows.extend(value)
    for w in windows:
        assert WINDOW.match(w), w
        assert w[:5] != w[6:], w


def check_config(data: dict[str, Any]) -> None:
    """A parsed config uses only the keys of the format, and its references resolve."""
    assert data["version"] == 1
    assert set(data) <= TOP, set(data) - TOP
    assert set(data.get("settings", {})) <= SETTINGS
    catalog = data.get("catalog", [])
    assert all(c in CATALOG for c in catalog), catalog
    categories = set(BUILTIN_CATEGORIES) | set(data.get("categories", {}))
    for table in data.get("categories", {}).values():
        assert set(table) == {"title"}
    apps = set(catalog)
    for app_id, table in data.get("apps", {}).items():
        assert set(table) <= APP
        assert table.get("names") or table.get("paths") or table.get("cmdline")
        assert table.get("category", "games") in categories
        for rx in table.get("cmdline", []):
            re.compile(rx)
        apps.add(app_id)
    kinds = {**{a: "app" for a in apps}, **{c: "category" for c in categories}, "total": "total"}
    kinds["screen"] = "screen"
    for child in data["child"]:
        assert set(child) <= CHILD, set(child) - CHILD
        assert child["name"] and child["accounts"]
        if "preset" in child:
            assert child["preset"] in PRESETS
        assert all(a in apps for a in child.get("always_allowed", []))
        for key, table in child.get("limits", {}).items():
            assert key in kinds, key
            check_limit(key, table, kinds)


def _limits(name: str) -> dict[str, dict[str, Any]]:
    """A preset's limits, typed loosely for the tests."""
    out: dict[str, dict[str, Any]] = limits_for(name)
    return out


def test_names_and_lookup() -> None:
    assert preset_names() == ["vn-decree-147", *AGE_PRESETS]
    for name in preset_names():
        p = get(name)
        assert isinstance(p, Preset) and p.name == name
        assert p.title and p.description and p.guidance
        assert p.ages[0] <= p.example_age <= p.ages[1] <= 17
    with pytest.raises(KeyError, match=r"vn-decree-147.*age-16-17"):
        get("nope")


def test_limits_for_is_a_copy() -> None:
    first = limits_for("vn-decree-147")
    first["games"]["daily"] = 999
    assert limits_for("vn-decree-147")["games"]["daily"] == 180


def test_vn_decree_147_is_the_decree() -> None:
    assert limits_for("vn-decree-147") == {
        "games": {"daily": 180, "each": 60, "reminder_minutes": 30},
    }
    p = get("vn-decree-147")
    assert p.settings["day_starts"] == "00:00"
    assert any("147/2024" in g and "39" in g for g in p.guidance)


@pytest.mark.parametrize("name", preset_names())
def test_never_more_games_than_decree_147(name: str) -> None:
    games = _limits(name)["games"]
    assert games["each"] <= 60
    budgets = [games[k] for k in ("daily", "weekend") if k in games]
    budgets += list(games.get("days", {}).values())
    assert budgets and all(0 <= b <= 180 for b in budgets)
    assert games.get("reminder_minutes", 30) <= 30 or games["daily"] <= 30
    assert get(name).settings.get("day_starts", "00:00") == "00:00"


@pytest.mark.parametrize("name", AGE_PRESETS)
def test_age_presets_limit_the_whole_computer_like_their_total(name: str) -> None:
    # WHO and AAP speak of all screen time: the age presets limit the whole session too.
    limits = _limits(name)
    assert limits["screen"] == limits["total"]
    check_limit("screen", limits["screen"], {"screen": "screen"})


def test_decree_147_stays_game_only() -> None:
    assert set(_limits("vn-decree-147")) == {"games"}


@pytest.mark.parametrize("name", AGE_PRESETS)
def test_age_presets_have_bedtimes_and_sane_numbers(name: str) -> None:
    limits = _limits(name)
    total, games = limits["total"], limits["games"]
    assert total["allowed"], "a bedtime window"
    check_limit("total", total, {"total": "total"})
    check_limit("games", games, {"games": "category"})
    assert games["daily"] <= total["daily"]
    assert games.get("weekend", games["daily"]) <= total.get("weekend", total["daily"])
    for w in total["allowed"]:
        start, end = w.split("-")
        assert start >= "06:00" and end <= "22:00", "ends before a school-night bedtime"


def test_under_6_follows_who() -> None:
    total = _limits("age-under-6")["total"]
    assert total["daily"] <= 60 and "weekend" not in total
    assert any("WHO" in g for g in get("age-under-6").guidance)


def test_limits_grow_with_age() -> None:
    totals = [_limits(n)["total"]["daily"] for n in AGE_PRESETS]
    games = [_limits(n)["games"]["daily"] for n in AGE_PRESETS]
    ends = [max(w.split("-")[1] for w in _limits(n)["total"]["allowed"]) for n in AGE_PRESETS]
    assert totals == sorted(totals) and games == sorted(games) and ends == sorted(ends)


@pytest.mark.parametrize("name", preset_names())
def test_preset_toml_parses_and_matches_preset(name: str) -> None:
    text = presets.preset_toml(name)
    data = tomllib.loads(text)
    check_config(data)
    assert len(data["child"]) == 1
    child = data["child"][0]
    assert child["name"] == "An" and child["accounts"] == ["an"] and child["preset"] == name
    lo, hi = get(name).ages
    assert lo <= EXAMPLE_YEAR - child["birth_year"] <= hi
    assert child["limits"] == _limits(name)
    assert data["catalog"] and all(c in CATALOG for c in data["catalog"])
    assert "#" in text and text.endswith("\n")


def test_example_toml() -> None:
    data = tomllib.loads(example_toml())
    check_config(data)
    children = {c["name"]: c for c in data["child"]}
    assert children["An"]["preset"] == "vn-decree-147"
    assert EXAMPLE_YEAR - children["An"]["birth_year"] == 12
    assert children["Bình"]["preset"] == "age-6-11"
    assert EXAMPLE_YEAR - children["Bình"]["birth_year"] == 7
    assert "calculator" in children["Bình"]["always_allowed"]
    # An replaces the preset's games table, so it must keep the Decree's numbers.
    games = children["An"]["limits"]["games"]
    assert games["each"] <= 60 and games["reminder_minutes"] == 30
    assert max(games["daily"], games["weekend"], *games["days"].values()) <= 180
    # Somewhere a window crosses midnight.
    windows = [
        w for c in data["child"] for t in c.get("limits", {}).values()
        for ws in [t.get("allowed", []), *t.get("allowed_days", {}).values()] for w in ws
    ]
    assert any(w.split("-")[1] < w.split("-")[0] for w in windows)


def test_docs_list_every_preset() -> None:
    text = DOCS.read_text(encoding="utf-8")
    for name in preset_names():
        assert f"`{name}`" in text
    for cite in ("WHO", "Media and Young Minds", "Family Media Plan", "147/2024/NĐ-CP"):
        assert cite in text
