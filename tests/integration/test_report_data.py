"""The weekly report from a real SQLite ledger: two weeks, a DST change and gaps, every number."""

# The data set (also used by the browser test) is written through the agent's ledger API;
# the expected numbers are worked out here from the same inputs and hand-written limits,
# not by the report's code.

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any, cast
from zoneinfo import ZoneInfo

import pytest

from agent.ledger.sqlite import SqliteLedger
from agent.ledger.store import Event, UsageRecord
from agent.reports import build_report, render_json, to_json
from agent.reports.model import Report
from rules.config import load_text
from rules.model import Config, LimitKind
from rules.presets import example_toml
from rules.timeutil import day_of

BERLIN = ZoneInfo("Europe/Berlin")
W42 = [dt.date(2026, 10, 12) + dt.timedelta(days=i) for i in range(7)]
W43 = [dt.date(2026, 10, 19) + dt.timedelta(days=i) for i in range(7)]  # Sunday has 25 hours
MON, TUE, WED, THU, FRI, SAT, SUN = W43
NEXT_MON = dt.date(2026, 10, 26)
CATEGORY = {
    "minecraft": "games",
    "roblox": "games",
    "fortnite": "games",
    "chrome": "browsers",
    "coccoc": "browsers",
}
TITLES = {
    "minecraft": "Minecraft: Java Edition",
    "roblox": "Roblox",
    "fortnite": "Fortnite",
    "chrome": "Google Chrome",
    "coccoc": "Cốc Cốc",
    "games": "Games",
    "browsers": "Web browsers",
    "total": "Total",
}
M = 60

# Seconds per app, per child and day. `OVERLAP` is time two apps of different categories ran
# together: the total counts it once.
USE: dict[str, dict[dt.date, dict[str, int]]] = {
    "An": {
        MON: {"minecraft": 50 * M + 17, "roblox": 30 * M, "chrome": 20 * M},  # games over
        TUE: {"minecraft": 40 * M + 5},
        WED: {"minecraft": 70 * M, "roblox": 10 * M},  # minecraft over; games kept by bonus
        THU: {"roblox": 46 * M},  # one minute over: exactly the tolerance
        FRI: {"minecraft": 60 * M, "chrome": 100 * M},  # kept by the request's bonus
        SAT: {"minecraft": 100 * M, "chrome": 30 * M},  # minecraft over
        SUN: {"fortnite": 30 * M, "minecraft": 70 * M, "chrome": 125 * M},  # total over
        W42[0]: {"minecraft": 40 * M},
        W42[2]: {"roblox": 20 * M, "chrome": 15 * M},
        W42[5]: {"minecraft": 90 * M},
        NEXT_MON: {"minecraft": 500 * M},  # the week after: never counted
        dt.date(2026, 10, 11): {"minecraft": 500 * M},  # the week before last
    },
    "Bình": {
        MON: {"roblox": 35 * M, "coccoc": 40 * M + 30},  # roblox over
        THU: {"roblox": 80 * M, "coccoc": 60 * M},  # far over, but paused that day
        SAT: {"coccoc": 100 * M},
        W42[1]: {"roblox": 25 * M},
        W42[6]: {"coccoc": 200 * M},
    },
    "Chi": {W42[3]: {"chrome": 45 * M}},  # nothing this week
}
OVERLAP = {("An", SUN): 10 * M}
GRANTS = [(WED, "An", "games", 30 * M), (FRI, "An", "*", 20 * M), (SUN, "An", "minecraft", 15 * M)]
PAUSED = [(THU, "Bình")]


def at(day: dt.date, hh: int, mm: int = 0, ss: int = 0, fold: int = 0) -> dt.datetime:
    """A Berlin wall time (fold=1: the second 02:xx of the night clocks go back)."""
    return dt.datetime(day.year, day.month, day.day, hh, mm, ss, tzinfo=BERLIN, fold=fold)


def events() -> list[Event]:
    """The event log: this week's, and some before and after it that must not count."""

    def ev(
        kind: str,
        when: dt.datetime,
        child: str | None = None,
        target: str | None = None,
        actor: str = "agent",
        **detail: Any,
    ) -> Event:
        return Event(kind, when, day_of(when, 0), child, target, detail, actor)

    def stopped(start: dt.datetime, end: dt.datetime, seconds: int) -> Event:
        """The gap the agent logs when it starts again after a stop (as the agent words it)."""
        detail = {"from": start.isoformat(), "to": end.isoformat(), "seconds": seconds}
        return Event("gap", end, day_of(end, 0), None, None, detail)

    stop = at(SAT, 23)
    back = at(SUN, 4)
    return [
        ev("agent_stop", at(W42[6], 22)),
        stopped(at(W42[6], 22), at(MON, 7), 9 * 3600),
        ev("agent_start", at(MON, 7)),
        ev("close", at(W42[2], 18), "An", "roblox", reason="budget", pids=[7]),
        ev("warning", at(MON, 16), "An", "games", minutes=10, title="Games", left_seconds=600),
        ev(
            "close",
            at(MON, 16, 40),
            "An",
            "minecraft",
            limit="games",
            reason="budget",
            pids=[101, 102],
        ),
        ev("kill", at(MON, 16, 40, 12), pid=101),
        ev("kill", at(MON, 16, 40, 13), pid=999),  # nobody's: not counted for a child
        ev("gap", at(TUE, 13, 30), seconds=1800, to=at(TUE, 13, 30).isoformat()),
        ev("reminder", at(TUE, 15, 30), "An", "games", minutes=30),
        stopped(at(WED, 12), at(WED, 12, 20), 1200),
        ev("agent_start", at(WED, 12, 20)),
        ev("grant", at(WED, 14), "An", "games", "parent", minutes=30),
        ev("pause", at(THU, 10), "Bình", None, "parent"),
        ev(
            "request",
            at(FRI, 17),
            "An",
            None,
            "child",
            id=1,
            minutes=20,
            message="Cho con thêm 20 phút nhé",
        ),
        ev(
            "request_answered",
            at(FRI, 17, 5),
            "An",
            None,
            "parent",
            id=1,
            approved=True,
            minutes=None,
        ),
        ev("request", at(FRI, 19), "Bình", None, "child", id=2, minutes=30, message=""),
        ev(
            "request_answered",
            at(FRI, 19, 1),
            "Bình",
            None,
            "parent",
            id=2,
            approved=False,
            minutes=None,
        ),
        ev("agent_stop", stop),
        stopped(stop, back, 21600),
        ev("agent_start", back),
        # The night clocks go back: 02:45 CEST comes before 02:15 CET.
        ev("grant", at(SUN, 2, 45), "An", "minecraft", "parent", minutes=15),
        ev(
            "close",
            at(SUN, 2, 15, fold=1),
            "An",
            "minecraft",
            limit="minecraft",
            reason="window",
            pids=[103],
        ),
        ev("clock_jump", at(SUN, 2, 30, fold=1), seconds=-7200),
        ev("agent_stop", at(SUN, 22)),
        stopped(at(SUN, 22), at(NEXT_MON, 8), 36000),
        ev("agent_start", at(NEXT_MON, 8)),
        ev("warning", at(NEXT_MON, 10), "An", "games", minutes=5),
    ]


def config() -> Config:
    """The example rules (An, Bình, Chi) in Berlin time."""
    text = example_toml().replace('timezone = "auto"', 'timezone = "Europe/Berlin"')
    assert 'timezone = "Europe/Berlin"' in text
    return load_text(text)


def usage_records(child: str, day: dt.date) -> dict[tuple[str, str], int]:
    """(kind, id) -> seconds, as the agent would have counted them."""
    apps = USE[child].get(day, {})
    out: dict[tuple[str, str], int] = {}
    for app, seconds in apps.items():
        out[("app", app)] = seconds
        cat = ("category", CATEGORY[app])
        out[cat] = out.get(cat, 0) + seconds
    if apps:
        out[("total", "total")] = sum(apps.values()) - OVERLAP.get((child, day), 0)
    return out


def write_dataset(path: Path) -> SqliteLedger:
    """The ledger file: usage in 5-second batches of 1-second ticks for a part, the rest at once."""
    ledger = SqliteLedger(path)
    for child, days in USE.items():
        for day in days:
            records: dict[UsageRecord, float] = {
                (day, child, cast(LimitKind, k), i): float(s)
                for (k, i), s in usage_records(child, day).items()
            }
            first = {key: 5.0 for key in records}  # a few ticks through the agent's path
            for _tick in range(5):
                ledger.add_usage({key: 1.0 for key in records})
            ledger.flush()
            ledger.add_usage({key: s - first[key] for key, s in records.items()})
            ledger.flush()
    for day, child, target, seconds in GRANTS:
        ledger.add_grant(day, child, target, seconds)
    for day, child in PAUSED:
        ledger.set_paused(day, child, True)
    for event in events():
        ledger.add_event(event)
    return ledger


# -- the expected numbers, by hand ----------------------------------------------------------


def limit_minutes(child: str, kind: str, ident: str, day: dt.date) -> int | None:
    """The example rules' limits, written out."""
    wd = day.weekday()
    weekend = wd >= 5
    if child == "An":
        if ident == "total":
            return 210 if weekend else 150
        if ident == "games":
            return 90 if wd == 4 else 120 if weekend else 60
        if ident == "roblox":
            return 45
        if kind == "app" and CATEGORY.get(ident) == "games":
            return 60
    if child == "Bình":
        if ident == "total":
            return 120 if weekend else 90
        if ident == "games":
            return 90 if weekend else 45
        if ident == "roblox":
            return 45 if weekend else 30
        if kind == "app" and CATEGORY.get(ident) == "games":
            return 45
    if child == "Chi":
        if ident == "total":
            return 240 if weekend else 180
        if ident == "games":
            return 180 if weekend else 90
        if kind == "app" and CATEGORY.get(ident) == "games":
            return 60
    return None


def bonus(child: str, ident: str, day: dt.date) -> int:
    """Bonus seconds for a limit on a day: its own grants and those for every limit."""
    return sum(s for d, c, t, s in GRANTS if d == day and c == child and t in (ident, "*"))


def expected_cells(child: str, kind: str, ident: str) -> list[dict[str, Any]]:
    """The JSON `days` of one usage row."""
    out = []
    for day in W43:
        used = usage_records(child, day).get((kind, ident), 0)
        minutes = limit_minutes(child, kind, ident, day)
        limit = None if minutes is None else minutes * 60
        extra = bonus(child, ident, day) if limit is not None else 0
        allowed = None if limit is None else limit + extra
        out.append(
            {
                "day": day.isoformat(),
                "used_seconds": used,
                "limit_seconds": limit,
                "bonus_seconds": extra,
                "allowed_seconds": allowed,
                "over_seconds": 0 if allowed is None else max(0, used - allowed),
            }
        )
    return out


def keys_of(child: str) -> set[tuple[str, str]]:
    """Usage keys with time this week or last, and the total."""
    keys = {("total", "total")}
    for day in W42 + W43:
        keys |= set(usage_records(child, day))
    return keys


def week_sum(child: str, key: tuple[str, str], days: list[dt.date]) -> int:
    return sum(usage_records(child, d).get(key, 0) for d in days)


@pytest.fixture(scope="module")
def dataset(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[SqliteLedger, Path]]:
    path = tmp_path_factory.mktemp("report") / "ledger.sqlite"
    ledger = write_dataset(path)
    yield ledger, path
    ledger.close()


@pytest.fixture(scope="module")
def report(dataset: tuple[SqliteLedger, Path]) -> Report:
    return build_report(dataset[0], config(), (2026, 43), None, BERLIN, now=at(NEXT_MON, 6))


@pytest.fixture(scope="module")
def doc(report: Report) -> dict[str, Any]:
    return json.loads(render_json(report))


def child_doc(doc: dict[str, Any], name: str) -> dict[str, Any]:
    return next(c for c in doc["children"] if c["name"] == name)


# -- JSON -----------------------------------------------------------------------------------


def test_json_header_and_days(doc: dict[str, Any]) -> None:
    """The week, its days (25 hours on the DST Sunday) and the previous week."""
    assert doc["format"] == "playclock-weekly-report" and doc["version"] == 1
    assert doc["week"] == "2026-W43" and doc["previous_week"] == "2026-W42"
    assert (doc["first_day"], doc["last_day"]) == ("2026-10-19", "2026-10-25")
    assert doc["timezone"] == "Europe/Berlin"
    assert doc["generated_at"] == "2026-10-26T06:00:00+01:00"
    assert [d["day"] for d in doc["days"]] == [d.isoformat() for d in W43]
    assert [d["weekday"] for d in doc["days"]] == ["mon", "tue", "wed", "thu", "fri", "sat", "sun"]
    assert [d["length_seconds"] for d in doc["days"]] == [86400] * 6 + [90000]
    assert [c["name"] for c in doc["children"]] == ["An", "Bình", "Chi"]


@pytest.mark.parametrize("name", ["An", "Bình", "Chi"])
def test_json_usage_rows_every_number(doc: dict[str, Any], name: str) -> None:
    """Each app, category and total: seconds, limit, bonus, allowed and over, day by day."""
    rows = child_doc(doc, name)["usage"]
    assert {(r["kind"], r["id"]) for r in rows} == keys_of(name)
    assert rows[0]["key"] == "total:total"
    for r in rows:
        key = (r["kind"], r["id"])
        assert r["days"] == expected_cells(name, *key), key
        week, before = week_sum(name, key, W43), week_sum(name, key, W42)
        assert (r["week_seconds"], r["previous_week_seconds"]) == (week, before), key
        assert r["change_seconds"] == week - before
        assert r["change_percent"] == (round(100 * (week - before) / before) if before else None)
        assert r["title"] == TITLES[r["id"]]
        assert r["category"] == (CATEGORY[r["id"]] if r["kind"] == "app" else None)


def test_json_rows_are_ordered_by_category_then_app(doc: dict[str, Any]) -> None:
    """Total; the most used category with its apps, most used first; then the next."""
    keys = [r["key"] for r in child_doc(doc, "An")["usage"]]
    assert keys == [
        "total:total",
        "category:games",
        "app:minecraft",
        "app:roblox",
        "app:fortnite",
        "category:browsers",
        "app:chrome",
    ]


def expected_over(name: str, day: dt.date) -> list[str]:
    over = []
    for kind, ident in keys_of(name):
        cell = next(c for c in expected_cells(name, kind, ident) if c["day"] == day.isoformat())
        if cell["allowed_seconds"] is not None and cell["over_seconds"] >= 60:
            over.append(f"{kind}:{ident}")
    return over


@pytest.mark.parametrize("name", ["An", "Bình", "Chi"])
def test_json_day_summaries(doc: dict[str, Any], name: str) -> None:
    """Status, total used and allowed, time left, bonus, pause and the limits exceeded."""
    days = child_doc(doc, name)["days"]
    for day, got in zip(W43, days, strict=True):
        paused = (day, name) in PAUSED
        total = usage_records(name, day).get(("total", "total"), 0)
        allowed = limit_minutes(name, "total", "total", day) * 60 + bonus(name, "total", day)  # type: ignore[operator]
        over = [] if paused else expected_over(name, day)
        assert got["day"] == day.isoformat()
        assert got["used_seconds"] == total
        assert got["allowed_seconds"] == allowed
        assert got["left_seconds"] == max(0, allowed - total)
        assert got["bonus_seconds"] == sum(s for d, c, _t, s in GRANTS if d == day and c == name)
        assert got["paused"] is paused
        assert sorted(got["limits_over"]) == sorted(over), day
        assert got["status"] == ("paused" if paused else "over" if over else "within")


def test_json_the_days_over_are_the_ones_planned(doc: dict[str, Any]) -> None:
    """The data set's stories: which limits each day broke."""
    an = {d["day"]: d["limits_over"] for d in child_doc(doc, "An")["days"]}
    assert an == {
        "2026-10-19": ["category:games"],
        "2026-10-20": [],
        "2026-10-21": ["app:minecraft"],
        "2026-10-22": ["app:roblox"],
        "2026-10-23": [],
        "2026-10-24": ["app:minecraft"],
        "2026-10-25": ["total:total"],
    }
    an_doc = child_doc(doc, "An")
    assert (an_doc["days_over"], an_doc["days_within"]) == (5, 2)
    binh = child_doc(doc, "Bình")
    assert [d["status"] for d in binh["days"]] == [
        "over",
        "within",
        "within",
        "paused",
        "within",
        "within",
        "within",
    ]
    assert binh["days"][0]["limits_over"] == ["app:roblox"]


def test_json_child_totals_and_comparison(doc: dict[str, Any]) -> None:
    """Week totals, average, bonus, and this week against last, by total and category."""
    an = child_doc(doc, "An")
    total = sum(usage_records("An", d).get(("total", "total"), 0) for d in W43)
    before = sum(usage_records("An", d).get(("total", "total"), 0) for d in W42)
    assert (an["week_seconds"], an["previous_week_seconds"]) == (total, before)
    assert an["change_seconds"] == total - before
    assert an["change_percent"] == round(100 * (total - before) / before)
    assert an["daily_average_seconds"] == round(total / 7)
    assert an["bonus_seconds"] == 65 * M
    comparison = {c["id"]: c for c in an["comparison"]}
    assert list(comparison) == ["total", "games", "browsers"]
    games = comparison["games"]
    assert games["seconds"] == week_sum("An", ("category", "games"), W43)
    assert games["previous_seconds"] == week_sum("An", ("category", "games"), W42)
    assert games["direction"] == "more"
    chi = child_doc(doc, "Chi")
    assert chi["comparison"][0] == {
        "kind": "total",
        "id": "total",
        "title": "Total",
        "seconds": 0,
        "previous_seconds": 45 * M,
        "change_seconds": -45 * M,
        "change_percent": -100,
        "direction": "less",
    }


def test_json_top_apps(doc: dict[str, Any]) -> None:
    """Most used apps with their share of the total."""
    an = child_doc(doc, "An")
    apps = {
        a: week_sum("An", ("app", a), W43) for a in ("minecraft", "roblox", "chrome", "fortnite")
    }
    ranked = sorted(apps, key=lambda a: -apps[a])
    assert [a["id"] for a in an["top_apps"]] == ranked
    assert [a["seconds"] for a in an["top_apps"]] == [apps[a] for a in ranked]
    assert [a["share_percent"] for a in an["top_apps"]] == [
        round(100 * apps[a] / an["week_seconds"]) for a in ranked
    ]
    assert child_doc(doc, "Chi")["top_apps"] == []


def test_json_events_per_day_and_timeline(doc: dict[str, Any]) -> None:
    """Counts per kind and day (kills found by pid), and the moments in real time order."""
    an = child_doc(doc, "An")
    assert an["events"] == {
        "warning": 1,
        "reminder": 1,
        "close": 2,
        "kill": 1,
        "screen_lock": 0,
        "screen_logout": 0,
        "grant": 2,
        "pause": 0,
        "resume": 0,
        "request": 1,
        "request_answered": 1,
    }
    per_day = {d["day"]: {k: n for k, n in d["events"].items() if n} for d in an["days"]}
    assert per_day == {
        "2026-10-19": {"warning": 1, "close": 1, "kill": 1},
        "2026-10-20": {"reminder": 1},
        "2026-10-21": {"grant": 1},
        "2026-10-22": {},
        "2026-10-23": {"request": 1, "request_answered": 1},
        "2026-10-24": {},
        "2026-10-25": {"grant": 1, "close": 1},
    }
    moments = [(m["ts"], m["kind"], m["target"], m["minutes"]) for m in an["timeline"]]
    assert moments == [
        ("2026-10-19T16:40:00+02:00", "close", "minecraft", None),
        ("2026-10-21T14:00:00+02:00", "grant", "games", 30),
        ("2026-10-23T17:00:00+02:00", "request", None, 20),
        ("2026-10-23T17:05:00+02:00", "request_answered", None, 20),  # from the request
        ("2026-10-25T02:45:00+02:00", "grant", "minecraft", 15),
        ("2026-10-25T02:15:00+01:00", "close", "minecraft", None),
    ]
    assert an["timeline"][2]["message"] == "Cho con thêm 20 phút nhé"
    assert an["timeline"][3]["approved"] is True
    assert an["timeline"][-1]["reason"] == "window"
    binh = child_doc(doc, "Bình")
    assert binh["events"]["pause"] == 1 and binh["events"]["request"] == 1
    assert binh["timeline"][-1]["approved"] is False


def test_json_computer_gaps_across_dst(doc: dict[str, Any]) -> None:
    """Gaps clipped to each day in real seconds (the DST night has 6 hours from 23:00 to 04:00)."""
    comp = doc["computer"]
    assert (comp["agent_starts"], comp["agent_stops"]) == (3, 2)
    gaps = [(g["start"], g["end"], g["seconds"], g["cause"], g["days"]) for g in comp["gaps"]]
    assert gaps == [
        (
            "2026-10-18T22:00:00+02:00",
            "2026-10-19T07:00:00+02:00",
            9 * 3600,
            "stopped",
            [{"day": "2026-10-19", "seconds": 7 * 3600}],
        ),
        (
            "2026-10-20T13:00:00+02:00",
            "2026-10-20T13:30:00+02:00",
            1800,
            "asleep",
            [{"day": "2026-10-20", "seconds": 1800}],
        ),
        (
            "2026-10-21T12:00:00+02:00",
            "2026-10-21T12:20:00+02:00",
            1200,
            "unexpected",
            [{"day": "2026-10-21", "seconds": 1200}],
        ),
        (
            "2026-10-24T23:00:00+02:00",
            "2026-10-25T04:00:00+01:00",
            6 * 3600,
            "stopped",
            [{"day": "2026-10-24", "seconds": 3600}, {"day": "2026-10-25", "seconds": 5 * 3600}],
        ),
        (
            "2026-10-25T22:00:00+01:00",
            "2026-10-26T08:00:00+01:00",
            10 * 3600,
            "stopped",
            [{"day": "2026-10-25", "seconds": 2 * 3600}],
        ),
    ]
    offline = [o["seconds"] for o in comp["offline"]]
    assert offline == [7 * 3600, 1800, 1200, 0, 0, 3600, 7 * 3600]
    assert comp["clock_jumps"] == [
        {"ts": "2026-10-25T02:30:00+01:00", "day": "2026-10-25", "seconds": -7200}
    ]


def test_json_for_one_child(dataset: tuple[SqliteLedger, Path]) -> None:
    """--child: only that child (named in any case), the same numbers."""
    one = to_json(build_report(dataset[0], config(), (2026, 43), "bình", BERLIN))
    assert [c["name"] for c in one["children"]] == ["Bình"]
    assert one["children"][0]["week_seconds"] == sum(
        usage_records("Bình", d).get(("total", "total"), 0) for d in W43
    )
