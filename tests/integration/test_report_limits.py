"""Past days are judged by the limits the ledger recorded for them, in JSON, CSV and HTML."""

# The games limit was 60 minutes from Monday to Wednesday and 90 from Thursday; the roblox
# limit was added on Thursday. Today's rules (90 and 45) must not judge Monday to Wednesday.

from __future__ import annotations

import csv
import datetime as dt
import io
import json
import re
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from agent.ledger.sqlite import SqliteLedger
from agent.reports import build_report, render_csv, render_html, render_json
from agent.reports.model import Report
from rules.config import load_text

BERLIN = ZoneInfo("Europe/Berlin")
WEEK = (2026, 47)
DAYS = [dt.date(2026, 11, 16) + dt.timedelta(days=i) for i in range(7)]
MON, TUE, WED, THU = DAYS[:4]
M = 60
RULES = """
version = 1
[settings]
timezone = "Europe/Berlin"

[apps.minecraft]
title = "Minecraft"
category = "games"
names = ["minecraft"]

[apps.roblox]
title = "Roblox"
category = "games"
names = ["roblox"]

[categories.games]
title = "Games"

[[child]]
name = "An"
accounts = ["an"]

[child.limits.games]
daily = 90

[child.limits.roblox]
daily = 45

[child.limits.total]
daily = 120
"""
EARLY = {("An", "games"): ("category", 60 * M), ("An", "total"): ("total", 120 * M)}
LATE = EARLY | {("An", "games"): ("category", 90 * M), ("An", "roblox"): ("app", 45 * M)}


def ledger_at(path: Path, recorded: list[dt.date]) -> SqliteLedger:
    """70 minutes of Minecraft a day, 50 of Roblox on Tuesday, 5 bonus minutes on Monday."""
    ledger = SqliteLedger(path)
    for day in DAYS:
        roblox = 50 * M if day == TUE else 0
        records: dict[Any, float] = {
            (day, "An", "app", "minecraft"): 70 * M,
            (day, "An", "category", "games"): 70 * M + roblox,
            (day, "An", "total", "total"): 70 * M + roblox,
        }
        if roblox:
            records[(day, "An", "app", "roblox")] = roblox
        ledger.add_usage(records)
    ledger.flush()
    ledger.add_grant(MON, "An", "games", 5 * M)
    for day in recorded:
        ledger.record_limits(day, EARLY if day < THU else LATE)
    return ledger


def report_of(path: Path, recorded: list[dt.date]) -> Report:
    ledger = ledger_at(path, recorded)
    try:
        now = dt.datetime(2026, 11, 23, 6, tzinfo=BERLIN)
        return build_report(ledger, load_text(RULES), WEEK, None, BERLIN, now=now)
    finally:
        ledger.close()


def json_cells(report: Report, key: str) -> list[dict[str, Any]]:
    (child,) = json.loads(render_json(report))["children"]
    return next(r["days"] for r in child["usage"] if r["key"] == key)


def csv_limits(report: Report, kind: str, ident: str) -> list[int | None]:
    rows = csv.DictReader(io.StringIO(render_csv(report)))
    cells = [r for r in rows if r["record"] == "usage" and (r["kind"], r["id"]) == (kind, ident)]
    assert [r["day"] for r in cells] == [d.isoformat() for d in DAYS]
    return [int(r["limit_seconds"]) if r["limit_seconds"] else None for r in cells]


def html_allowed(report: Report, key: str) -> list[int | None]:
    page = render_html(report, "en")
    row = re.search(rf'<tr [^>]*data-key="{key}">(.*?)</tr>', page, re.S)
    assert row is not None
    cells = re.findall(r"<td data-day=\"[^\"]+\" data-seconds=\"\d+\"([^>]*)>", row.group(1))
    assert len(cells) == 7
    return [
        int(m.group(1)) if (m := re.search(r'data-allowed="(\d+)"', c)) else None for c in cells
    ]


def test_recorded_limits_judge_each_day(tmp_path: Path) -> None:
    """60 minutes Monday to Wednesday, 90 after; roblox unlimited until Thursday."""
    report = report_of(tmp_path / "ledger.sqlite", DAYS)
    games = json_cells(report, "category:games")
    assert [c["limit_seconds"] for c in games] == [60 * M] * 3 + [90 * M] * 4
    assert [c["bonus_seconds"] for c in games] == [5 * M] + [0] * 6  # bonus as before
    assert [c["allowed_seconds"] for c in games] == [65 * M, 60 * M, 60 * M] + [90 * M] * 4
    assert [c["over_seconds"] for c in games] == [5 * M, 60 * M, 10 * M, 0, 0, 0, 0]
    roblox = json_cells(report, "app:roblox")
    assert [c["limit_seconds"] for c in roblox] == [None] * 3 + [45 * M] * 4
    assert [c["limit_seconds"] for c in json_cells(report, "total:total")] == [120 * M] * 7
    assert [c["limit_seconds"] for c in json_cells(report, "app:minecraft")] == [None] * 7
    (child,) = json.loads(render_json(report))["children"]
    assert [d["limits_over"] for d in child["days"]] == [["category:games"]] * 3 + [[]] * 4

    assert csv_limits(report, "category", "games") == [60 * M] * 3 + [90 * M] * 4
    assert csv_limits(report, "app", "roblox") == [None] * 3 + [45 * M] * 4
    assert html_allowed(report, "category:games") == [65 * M, 60 * M, 60 * M] + [90 * M] * 4
    assert html_allowed(report, "app:roblox") == [None] * 3 + [45 * M] * 4


def test_days_without_recorded_limits_use_todays_rules(tmp_path: Path) -> None:
    """Days from before limits were recorded (here Monday and Tuesday) keep today's rules."""
    report = report_of(tmp_path / "ledger.sqlite", DAYS[2:])
    games = json_cells(report, "category:games")
    assert [c["limit_seconds"] for c in games] == [90 * M, 90 * M, 60 * M] + [90 * M] * 4
    roblox = json_cells(report, "app:roblox")
    assert [c["limit_seconds"] for c in roblox] == [45 * M, 45 * M, None] + [45 * M] * 4
    assert roblox[1]["over_seconds"] == 5 * M
    assert csv_limits(report, "category", "games") == [90 * M, 90 * M, 60 * M] + [90 * M] * 4
    assert html_allowed(report, "category:games") == [95 * M, 90 * M, 60 * M] + [90 * M] * 4


def test_a_ledger_without_recorded_limits_uses_todays_rules(tmp_path: Path) -> None:
    """Nothing recorded: every day is judged by today's rules, as before."""
    report = report_of(tmp_path / "ledger.sqlite", [])
    assert [c["limit_seconds"] for c in json_cells(report, "category:games")] == [90 * M] * 7
    assert [c["limit_seconds"] for c in json_cells(report, "app:roblox")] == [45 * M] * 7
    assert [c["allowed_seconds"] for c in json_cells(report, "category:games")] == [95 * M] + [
        90 * M
    ] * 6
    assert csv_limits(report, "app", "roblox") == [45 * M] * 7
    assert html_allowed(report, "total:total") == [120 * M] * 7
