"""Sync state, consent rules, URLs and the status section: pure pieces of the sync client."""

from __future__ import annotations

import datetime as dt
import json
import threading

import pytest

from agent.ledger.memory import MemoryLedger
from sync.consent_records import (
    ChildInfo,
    ConsentMissing,
    consent_still_valid,
    make_consents,
    needs_child_consent,
)
from sync.hub.schemas import ConsentIn
from sync.state import META_KEY, DayMark, SyncState, SyncStore
from sync.status_info import sync_info
from sync.transport import check_url, hub_retry, new_session, path_part, shown_url

TZ = dt.timezone(dt.timedelta(hours=7))
WHEN = dt.datetime(2026, 1, 2, 9, 0, tzinfo=TZ)


def test_child_consent_is_needed_from_age_seven_or_when_the_age_is_unknown() -> None:
    assert needs_child_consent(2019, WHEN)  # turns 7 in 2026
    assert not needs_child_consent(2020, WHEN)
    assert needs_child_consent(None, WHEN)


def test_consents_need_a_parent_and_every_child_of_seven_or_more() -> None:
    kids = [ChildInfo("An", 2014), ChildInfo("Bình", 2021), ChildInfo("Cúc")]
    with pytest.raises(ConsentMissing) as missing:
        make_consents(kids, "Mẹ", ["an"], WHEN)
    assert missing.value.children == ["Cúc"]
    with pytest.raises(ConsentMissing):
        make_consents(kids, "  ", ["An", "Cúc"], WHEN)
    with pytest.raises(ConsentMissing) as unknown:
        make_consents(kids, "Mẹ", ["An", "Cúc", "Dũng"], WHEN)
    assert unknown.value.children == ["Dũng"]
    made = make_consents(kids, " Mẹ ", ["An", "cúc"], WHEN)
    assert {k: (c.child_consented, c.child_consented_at is not None) for k, c in made.items()} == {
        "an": (True, True), "bình": (False, False), "cúc": (True, True)}
    assert len({c.consent_id for c in made.values()}) == 3
    for c in made.values():
        ConsentIn.model_validate(c.hub_body())  # what the hub requires, field for field
        assert c.parent_name == "Mẹ" and c.shares == ["total", "apps", "categories", "counts"]


def test_a_consent_without_the_child_lapses_when_the_child_turns_seven() -> None:
    binh = make_consents([ChildInfo("Bình", 2020)], "Mẹ", [], WHEN)["bình"]
    assert consent_still_valid(binh, WHEN)
    assert not consent_still_valid(binh, WHEN.replace(year=2027))


def test_state_round_trips_through_the_ledger_meta() -> None:
    led = MemoryLedger()
    store = SyncStore(led)
    with store.locked() as state:
        state.enabled, state.hub = True, "https://hub.example.vn"
        state.consents = make_consents([ChildInfo("An", 2014)], "Mẹ", ["An"], WHEN)
        state.mark("An", dt.date(2026, 1, 5)).rev = 3
    loaded = store.load()
    assert loaded.enabled and loaded.consents["an"].child == "An"
    assert loaded.days == {"an|2026-01-05": DayMark(rev=3)}
    doc = json.loads(led.get_meta(META_KEY) or "")
    doc["future_field"] = 1  # a newer PlayClock's field is ignored, not fatal
    assert SyncState.from_json(json.dumps(doc)).hub == "https://hub.example.vn"


def test_the_lock_serialises_runs() -> None:
    store = SyncStore(MemoryLedger())
    inside: list[int] = []
    overlaps: list[int] = []

    def run(i: int) -> None:
        for _ in range(50):
            with store.locked() as state:
                if inside:
                    overlaps.append(i)
                inside.append(i)
                state.last_command_id += 1
                inside.pop()

    threads = [threading.Thread(target=run, args=(i,)) for i in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert overlaps == [] and store.load().last_command_id == 200


def test_hub_urls_must_be_https_except_on_this_computer() -> None:
    assert check_url("https://hub.example.vn/") == "https://hub.example.vn"
    assert check_url("http://127.0.0.1:7380") == "http://127.0.0.1:7380"
    assert check_url("http://localhost:7380/base/") == "http://localhost:7380/base"
    for bad in ("http://hub.example.vn", "ftp://x", "https://u:p@hub.example.vn",
                "https://hub.example.vn/?a=1", "hub.example.vn"):
        with pytest.raises(ValueError):
            check_url(bad)
    assert shown_url("https://u:p@hub.example.vn:8443/x") == "https://hub.example.vn:8443/x"
    assert path_part("Bình/..") == "B%C3%ACnh%2F.."


def test_retries_are_bounded_with_backoff_jitter_and_every_method() -> None:
    retry = hub_retry()
    assert (retry.total, retry.backoff_factor, retry.backoff_jitter) == (5, 0.5, 0.5)
    assert set(retry.status_forcelist or ()) == {500, 502, 503, 504}
    assert {"GET", "PUT", "POST", "DELETE"} <= set(retry.allowed_methods or ())
    session = new_session()
    assert session.get_adapter("https://hub.example.vn").max_retries.total == 5  # type: ignore[attr-defined]


def test_sync_info_says_what_is_shared_and_never_a_secret() -> None:
    led = MemoryLedger()
    assert sync_info(led)["enabled"] is False and sync_info(led)["children"] == []
    store = SyncStore(led)
    with store.locked() as state:
        state.enabled, state.hub = True, "https://hub.example.vn"
        state.consents = make_consents([ChildInfo("An", 2014)], "Mẹ", ["An"], WHEN)
        state.pending = ["2026-01-05"]
        state.last_sent = "2026-01-05T10:00:00+07:00"
    info = sync_info(led)
    assert {k: info[k] for k in ("enabled", "hub", "shares", "children", "last_sent",
                                 "pending_days")} == {
        "enabled": True, "hub": "https://hub.example.vn",
        "shares": {"An": ["total", "apps", "categories", "counts"]}, "children": ["An"],
        "last_sent": "2026-01-05T10:00:00+07:00", "pending_days": ["2026-01-05"]}
    assert "consent_id" not in json.dumps(info) and "token" not in json.dumps(info)
    led.set_meta(META_KEY, "{not json")
    assert sync_info(led)["last_error"] == "state_unreadable"
