"""Building reports from an in-memory ledger: limits, bonus, pauses, events, gaps and edge cases."""

from __future__ import annotations

import datetime as dt
from typing import Any
from zoneinfo import ZoneInfo

import pytest

from agent.i18n import current
from agent.ledger.memory import MemoryLedger
from agent.ledger.store import Event
from agent.reports import UnknownChild, build_report, to_json
from agent.reports.labels import language
from agent.reports.model import DayUsage, percent_change
from rules.config import load_text

HCM = ZoneInfo("Asia/Ho_Chi_Minh")
MON = dt.date(2026, 11, 23)  # 2026-W48
WEEK = (2026, 48)
RULES = """
version = 1
[settings]
timezone = "Asia/Ho_Chi_Minh"

[apps.minecraft]
title = "Minecraft"
category = "games"
names = ["minecraft"]

[apps.paint]
title = "Paint"
names = ["paint"]

[[child]]
name = "An"
accounts = ["an"]

[child.limits.games]
daily = 60
weekend = 120

[child.limits.total]
daily = 90

[[child]]
name = "Bảo"
accounts = ["bao"]
"""


def day(i: int) -> dt.date:
    return MON + dt.timedelta(days=i)


def at(i: int, hh: int, mm: int = 0) -> dt.datetime:
    return dt.datetime.combine(day(i), dt.time(hh, mm), HCM)


def use(ledger: MemoryLedger, i: int, child: str, **apps: int) -> None:
    cats = {"minecraft": "games"}
    records: dict[Any, float] = {}
    for app, seconds in apps.items():
        records[(day(i), child, "app", app)] = seconds
        if app in cats:
            key = (day(i), child, "category", cats[app])
            records[key] = records.get(key, 0) + seconds
    records[(day(i), child, "total", "total")] = sum(apps.values())
    ledger.add_usage(records)


def build(ledger: MemoryLedger, child: str | None = None) -> dict[str, Any]:
    return to_json(build_report(ledger, load_text(RULES), WEEK, child, HCM))


def child(doc: dict[str, Any], name: str) -> dict[str, Any]:
    return next(c for c in doc["children"] if c["name"] == name)


def row(doc: dict[str, Any], name: str, key: str) -> dict[str, Any]:
    return next(r for r in child(doc, name)["usage"] if r["key"] == key)


def test_an_empty_ledger_gives_zero_rows_with_limits() -> None:
    """No usage: only the total row, with the limits of each day, and all days within."""
    doc = build(MemoryLedger())
    an = child(doc, "An")
    assert [r["key"] for r in an["usage"]] == ["total:total"]
    assert [d["allowed_seconds"] for d in an["days"]] == [5400] * 7
    assert {d["status"] for d in an["days"]} == {"within"}
    bao = child(doc, "Bảo")
    assert {d["status"] for d in bao["days"]} == {"no_limits"}
    assert bao["days"][0]["allowed_seconds"] is None and bao["days"][0]["left_seconds"] is None


def test_a_report_made_mid_week_counts_only_the_days_so_far() -> None:
    """The family test: on a Wednesday the report said "7 days within limits" for a week with
    four days still to come; those days are `ahead`, and the average is over the days so far."""
    ledger = MemoryLedger()
    use(ledger, 0, "An", minecraft=30 * 60)
    use(ledger, 2, "An", minecraft=60 * 60)
    doc = to_json(build_report(ledger, load_text(RULES), WEEK, "An", HCM, now=at(2, 20)))
    an = child(doc, "An")
    assert [d["status"] for d in an["days"]] == ["within"] * 3 + ["ahead"] * 4
    assert (an["days_within"], an["days_over"]) == (3, 0)
    assert an["daily_average_seconds"] == 30 * 60  # 90 minutes over 3 days


def test_weekend_limits_bonus_for_all_and_negative_grants() -> None:
    """Weekend budgets; "*" bonus adds to every limit; a negative grant lowers, never below 0."""
    ledger = MemoryLedger()
    use(ledger, 5, "An", minecraft=110 * 60)
    ledger.add_grant(day(5), "An", "*", 600)
    ledger.add_grant(day(6), "An", "games", -200 * 60)
    games = row(build(ledger), "An", "category:games")["days"]
    assert games[0]["limit_seconds"] == 3600 and games[5]["limit_seconds"] == 7200
    assert games[5]["bonus_seconds"] == 600 and games[5]["allowed_seconds"] == 7800
    assert games[6]["bonus_seconds"] == -12000 and games[6]["allowed_seconds"] == 0
    total = row(build(ledger), "An", "total:total")["days"]
    assert total[5]["allowed_seconds"] == 5400 + 600
    assert total[5]["over_seconds"] == 110 * 60 - 6000


def test_over_needs_a_full_minute_and_paused_days_are_not_over() -> None:
    """59 s over is within; 60 s is over; a paused day is "paused" whatever was used."""
    ledger = MemoryLedger()
    use(ledger, 0, "An", minecraft=3600 + 59)
    use(ledger, 1, "An", minecraft=3600 + 60)
    use(ledger, 2, "An", minecraft=5 * 3600)
    ledger.set_paused(day(2), "An", True)
    days = child(build(ledger), "An")["days"]
    assert [d["status"] for d in days[:3]] == ["within", "over", "paused"]
    assert days[1]["limits_over"] == ["category:games"]
    assert days[2]["limits_over"] == [] and days[2]["paused"] is True
    assert row(build(ledger), "An", "category:games")["days"][2]["over_seconds"] == 4 * 3600


def test_apps_no_longer_in_the_rules_still_count() -> None:
    """Usage of an app the rules no longer name: its id as title, no category, no limit."""
    ledger = MemoryLedger()
    use(ledger, 0, "An", oldgame=1200, paint=300)
    doc = build(ledger)
    old = row(doc, "An", "app:oldgame")
    assert old["title"] == "oldgame" and old["category"] is None
    assert old["week_seconds"] == 1200 and old["days"][0]["limit_seconds"] is None
    assert [a["id"] for a in child(doc, "An")["top_apps"]] == ["oldgame", "paint"]
    assert [a["share_percent"] for a in child(doc, "An")["top_apps"]] == [80, 20]


def test_fractional_seconds_are_rounded() -> None:
    """Ledger seconds are floats from ticks; the report shows whole seconds."""
    ledger = MemoryLedger()
    for _ in range(10):
        use(ledger, 0, "An", minecraft=1.26)  # type: ignore[arg-type]
    assert row(build(ledger), "An", "app:minecraft")["days"][0]["used_seconds"] == 13


def test_more_than_a_page_of_events_is_all_counted() -> None:
    """Events are read page by page: 2500 warnings are 2500."""
    ledger = MemoryLedger()
    for n in range(2500):
        ledger.add_event(
            Event(
                "warning", at(1, 8) + dt.timedelta(seconds=n), day(1), "An", "games", {"minutes": 1}
            )
        )
    an = child(build(ledger), "An")
    assert an["events"]["warning"] == 2500 and an["days"][1]["events"]["warning"] == 2500


def test_events_without_a_day_use_their_time() -> None:
    """An event with no recorded day falls on the local budget day of its time."""
    ledger = MemoryLedger()
    late = dt.datetime(2026, 11, 23, 17, 30, tzinfo=dt.UTC)  # 00:30 on Tuesday in Hanoi
    ledger.add_event(Event("grant", late, None, "An", "games", {"minutes": 10}, "parent"))
    an = child(build(ledger), "An")
    assert an["days"][1]["events"]["grant"] == 1 and an["days"][0]["events"]["grant"] == 0
    assert an["timeline"][0]["ts"] == "2026-11-24T00:30:00+07:00"


def test_malformed_event_details_do_not_break_the_report() -> None:
    """Odd details (strings, missing fields) are shown as far as they go."""
    ledger = MemoryLedger()
    ledger.add_event(Event("grant", at(0, 9), day(0), "An", "games", {"minutes": "lots"}))
    ledger.add_event(Event("kill", at(0, 9, 1), day(0), None, None, {"pid": "x"}))
    ledger.add_event(Event("gap", at(0, 10), day(0), None, None, {"from": "yesterday"}))
    ledger.add_event(Event("clock_jump", at(0, 11), day(0), None, None, {}))
    doc = build(ledger)
    assert child(doc, "An")["timeline"][0]["minutes"] is None
    assert doc["computer"]["clock_jumps"][0]["seconds"] == 0
    assert doc["computer"]["gaps"] == []  # no length known: nothing to show


def test_unknown_child_and_case_insensitive_names() -> None:
    """A child is found in any case; an unknown name raises UnknownChild."""
    ledger = MemoryLedger()
    assert [c["name"] for c in build(ledger, "bẢo")["children"]] == ["Bảo"]
    with pytest.raises(UnknownChild):
        build(ledger, "Chi")


def test_percent_and_day_usage_arithmetic() -> None:
    """Percent change, allowed and over."""
    assert percent_change(150, 100) == 50 and percent_change(0, 100) == -100
    assert percent_change(10, 0) is None
    cell = DayUsage(MON, used=4000, limit=3600, bonus=300)
    assert (cell.allowed, cell.over, cell.is_over) == (3900, 100, True)
    assert DayUsage(MON, used=10).allowed is None and DayUsage(MON, used=10).over == 0


def test_language_block_restores_the_threads_choice() -> None:
    """language() translates inside the block and leaves the thread as it was."""
    before = current()
    with language("vi"):
        assert current() == "vi"
        with language("en"):
            assert current() == "en"
        assert current() == "vi"
    assert current() == before


def test_the_day_table_shows_each_grant_with_its_limit() -> None:
    """Issue 14, item 14: a Minecraft grant was shown as "bonus" next to the total's allowance."""
    from agent.reports.view import report_view

    ledger = MemoryLedger()
    use(ledger, 0, "An", minecraft=30 * 60)
    ledger.add_grant(day(0), "An", "minecraft", 300)
    ledger.add_grant(day(1), "An", "*", 900)
    report = build_report(ledger, load_text(RULES), WEEK, "An", HCM)
    with language("en"):
        view = report_view(report, "en")
    (an,) = view.children
    assert an.days[0].allowed_text == "1 h 30 min"  # the total's, without the app's grant
    assert an.days[0].bonus_text == "5 min (Minecraft)"
    assert an.days[1].bonus_text == "15 min (every limit)"
    assert an.days[2].bonus_text == ""


def test_computer_time_per_day_against_its_limit() -> None:
    """`screen` usage shows as its own first row, judged by the screen limit of each day."""
    rules = RULES.replace(
        "[child.limits.total]\ndaily = 90",
        "[child.limits.total]\ndaily = 90\n[child.limits.screen]\ndaily = 120\nweekend = 180",
    )
    ledger = MemoryLedger()
    use(ledger, 0, "An", minecraft=600)
    ledger.add_usage({(day(0), "An", "screen", "screen"): 7300.0})  # over 120 min
    ledger.add_usage({(day(5), "An", "screen", "screen"): 3600.0})  # Saturday
    doc = to_json(build_report(ledger, load_text(rules), WEEK, "An", HCM))
    rows = child(doc, "An")["usage"]
    assert [r["key"] for r in rows][:2] == ["screen:screen", "total:total"]
    screen = rows[0]
    assert screen["title"] == "Computer time"
    assert [d["used_seconds"] for d in screen["days"]][:6] == [7300, 0, 0, 0, 0, 3600]
    assert screen["days"][0]["limit_seconds"] == 7200 and screen["days"][0]["over_seconds"] == 100
    assert screen["days"][5]["limit_seconds"] == 10800 and screen["days"][5]["over_seconds"] == 0
