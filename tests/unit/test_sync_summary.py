"""Day summaries from the ledger: exact seconds and counts, shares respected, nothing private."""

from __future__ import annotations

import datetime as dt
import json

from agent.ledger.memory import MemoryLedger
from agent.ledger.store import Event
from sync.summary import day_summaries, empty_summary, summary_hash

TZ = dt.timezone(dt.timedelta(hours=7))
D1, D2, D3 = dt.date(2026, 1, 5), dt.date(2026, 1, 6), dt.date(2026, 1, 7)
ALL = ("total", "apps", "categories", "counts")
PRIVATE = {"title": "Secret Game Title", "exe": "/home/an/.secret/game.exe",
           "cmdline": "game --token=abc", "url": "https://example.vn/page", "message": "please"}


def _ledger() -> MemoryLedger:
    led = MemoryLedger()
    led.add_usage({
        (D1, "An", "app", "minecraft"): 1800.4,
        (D1, "An", "app", "roblox"): 600.6,
        (D1, "An", "category", "games"): 2401.0,
        (D1, "An", "total", "total"): 2500.2,
        (D1, "Bình", "total", "total"): 99.0,
        (D2, "an", "total", "total"): 100_000.0,  # more than a day (a clock gone wrong)
        (D2, "an", "app", "C:/Games/x.exe"): 10.0,  # not a usage id: never sent
        (D2, "an", "app", "has space"): 10.0,
    })

    def ev(kind: str, day: dt.date, child: str | None = "An", **detail: object) -> None:
        ts = dt.datetime.combine(day, dt.time(12), TZ)
        led.add_event(Event(kind, ts, day, child, "games", {**PRIVATE, **detail}, "agent"))

    for kind in ("warning", "warning", "close", "grant", "request", "reminder", "kill"):
        ev(kind, D1)
    ev("request_answered", D1, approved=True)
    ev("request_answered", D1, approved=False)
    ev("warning", D1, child="Bình")
    ev("warning", D1, child=None)
    ev("close", D3)  # a day with counts but no usage
    ev("gap", D1, child=None, seconds=3600)  # the computer's events count for every child
    ev("clock_jump", D1, child=None, seconds=86400)
    return led


def test_a_day_holds_whole_seconds_per_app_category_and_the_counts() -> None:
    got = day_summaries(_ledger(), "An", D1, D3, ALL)
    assert got[D1] == {
        "total_seconds": 2500,
        "apps": {"minecraft": 1800, "roblox": 601},
        "categories": {"games": 2401},
        "counts": {"warnings": 2, "closes": 1, "grants": 2, "requests": 1,
                   "gaps": 1, "gap_seconds": 3600, "tamper": 1},
    }
    assert got[D3] == {**empty_summary(), "counts": {**empty_summary()["counts"], "closes": 1}}
    assert set(got) == {D1, D2, D3}


def test_children_are_matched_case_insensitively_and_kept_apart() -> None:
    got = day_summaries(_ledger(), "AN", D2, D2, ALL)
    assert got[D2]["total_seconds"] == 86_400  # capped at a day, as the hub requires
    assert got[D2]["apps"] == {}  # ids with slashes, colons or spaces never leave
    binh = day_summaries(_ledger(), "bình", D1, D1, ALL)
    assert binh[D1]["total_seconds"] == 99 and binh[D1]["counts"]["warnings"] == 1


def test_only_what_the_consent_shares_is_filled() -> None:
    got = day_summaries(_ledger(), "An", D1, D3, ("total",))
    assert got[D1] == {**empty_summary(), "total_seconds": 2500}
    assert D3 not in got  # only counts that day, and counts are not shared


def test_nothing_but_ids_seconds_and_counts_leaves() -> None:
    got = day_summaries(_ledger(), "An", D1, D3, ALL)
    text = json.dumps({d.isoformat(): s for d, s in got.items()})
    assert "minecraft" in text  # ids do leave
    for value in PRIVATE.values():
        assert value not in text
    for word in ("games.exe", "/home", "https", "--token", "Secret"):
        assert word not in text


def test_the_hash_changes_with_content_and_consent_only() -> None:
    s = day_summaries(_ledger(), "An", D1, D1, ALL)[D1]
    same = json.loads(json.dumps(s))
    assert summary_hash(s, "c1") == summary_hash(same, "c1")
    assert summary_hash(s, "c1") != summary_hash(s, "c2")
    assert summary_hash(s, "c1") != summary_hash({**s, "total_seconds": 2501}, "c1")


def test_computer_time_is_sent_and_locks_count_as_closes() -> None:
    led = MemoryLedger()
    led.add_usage({(D1, "An", "screen", "screen"): 3600.0, (D1, "An", "total", "total"): 60.0})
    ts = dt.datetime.combine(D1, dt.time(12), TZ)
    for kind in ("screen_lock", "screen_logout", "screen_countdown"):
        led.add_event(Event(kind, ts, D1, "An", "screen", {"session": "c2"}, "agent"))
    day = day_summaries(led, "An", D1, D1, ALL)[D1]
    assert day["counts"]["closes"] == 2
    assert day["total_seconds"] == 60 and day["screen_seconds"] == 3600
    assert "screen_seconds" not in day_summaries(_ledger(), "An", D1, D1, ALL)[D1]
