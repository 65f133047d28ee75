"""One contract for every Ledger: SqliteLedger (a temporary file) and MemoryLedger."""

from __future__ import annotations

import datetime as dt
import sqlite3
from collections.abc import Iterator
from pathlib import Path

import pytest

from agent.ledger.memory import MemoryLedger
from agent.ledger.schema import MIGRATIONS, SCHEMA_VERSION
from agent.ledger.sqlite import SqliteLedger
from agent.ledger.store import Event, Identity, Ledger, LedgerError

DAY = dt.date(2026, 11, 23)
NEXT = DAY + dt.timedelta(days=1)
TZ = dt.timezone(dt.timedelta(hours=7))
T0 = dt.datetime(2026, 11, 23, 9, 0, 0, tzinfo=TZ)


@pytest.fixture(params=["sqlite", "memory"])
def ledger(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Ledger]:
    store: Ledger = (
        SqliteLedger(tmp_path / "ledger.sqlite") if request.param == "sqlite" else MemoryLedger()
    )
    yield store
    store.close()


def at(seconds: float) -> dt.datetime:
    return T0 + dt.timedelta(seconds=seconds)


# -- usage ------------------------------------------------------------------------------------


def test_usage_adds_up_after_flush(ledger: Ledger) -> None:
    ledger.add_usage({(DAY, "An", "category", "games"): 30.0, (DAY, "An", "total", "total"): 30.0})
    ledger.add_usage({(DAY, "An", "category", "games"): 12.5})
    ledger.add_usage({(NEXT, "An", "category", "games"): 7.0})
    ledger.flush()
    ledger.add_usage({(DAY, "An", "category", "games"): 0.5})
    ledger.flush()

    state = ledger.load_day(DAY)
    assert state.day == DAY
    assert state.usage == {("An", "category", "games"): 43.0, ("An", "total", "total"): 30.0}
    assert ledger.load_day(NEXT).usage == {("An", "category", "games"): 7.0}
    assert ledger.usage(DAY, DAY) == {
        (DAY, "An", "category", "games"): 43.0,
        (DAY, "An", "total", "total"): 30.0,
    }
    assert ledger.usage(DAY, NEXT)[(NEXT, "An", "category", "games")] == 7.0
    assert ledger.usage(NEXT + dt.timedelta(days=1), NEXT + dt.timedelta(days=9)) == {}


def test_usage_not_flushed_is_visible(ledger: Ledger) -> None:
    ledger.add_usage({(DAY, "An", "app", "minecraft"): 10.0})
    ledger.flush()
    ledger.add_usage({(DAY, "An", "app", "minecraft"): 5.0, (DAY, "Binh", "app", "x"): 1.0})
    # No flush: a reader (the API, status) must still see the buffered seconds.
    assert ledger.load_day(DAY).usage == {
        ("An", "app", "minecraft"): 15.0,
        ("Binh", "app", "x"): 1.0,
    }
    assert ledger.usage(DAY, DAY)[(DAY, "An", "app", "minecraft")] == 15.0
    ledger.flush()
    assert ledger.load_day(DAY).usage[("An", "app", "minecraft")] == 15.0  # not counted twice


def test_empty_day(ledger: Ledger) -> None:
    state = ledger.load_day(DAY)
    assert (state.usage, state.bonus, state.paused, state.warned) == ({}, {}, set(), set())


# -- grants, pauses, warnings -----------------------------------------------------------------


def test_grants_sum_per_child_and_target(ledger: Ledger) -> None:
    ledger.add_grant(DAY, "An", "games", 600)
    ledger.add_grant(DAY, "An", "games", 300)
    ledger.add_grant(DAY, "An", "games", -120)
    ledger.add_grant(DAY, "An", "*", 900)
    ledger.add_grant(DAY, "Binh", "games", 60)
    ledger.add_grant(NEXT, "An", "games", 1000)
    assert ledger.load_day(DAY).bonus == {
        ("An", "games"): 780,
        ("An", "*"): 900,
        ("Binh", "games"): 60,
    }
    assert ledger.load_day(NEXT).bonus == {("An", "games"): 1000}


def test_pause_and_resume(ledger: Ledger) -> None:
    ledger.set_paused(DAY, "An", True)
    ledger.set_paused(DAY, "Binh", True)
    assert ledger.load_day(DAY).paused == {"An", "Binh"}
    assert ledger.load_day(NEXT).paused == set()
    ledger.set_paused(DAY, "An", False)
    assert ledger.load_day(DAY).paused == {"Binh"}
    ledger.set_paused(DAY, "An", True)
    assert ledger.load_day(DAY).paused == {"An", "Binh"}


def test_mark_warned_is_idempotent(ledger: Ledger) -> None:
    ledger.mark_warned(DAY, "An", "games", 5)
    ledger.mark_warned(DAY, "An", "games", 5)
    ledger.mark_warned(DAY, "An", "games", 1)
    ledger.mark_warned(NEXT, "An", "total", 10)
    assert ledger.load_day(DAY).warned == {("An", "games", 5), ("An", "games", 1)}
    assert ledger.load_day(NEXT).warned == {("An", "total", 10)}


# -- events -----------------------------------------------------------------------------------


def test_events_in_order_with_ids(ledger: Ledger) -> None:
    kinds = ["agent_start", "warning", "close", "kill", "agent_stop"]
    ids = [
        ledger.add_event(Event(k, at(i * 60), DAY, "An", "games", {"n": i, "note": "ổn"}, "agent"))
        for i, k in enumerate(kinds)
    ]
    assert ids == sorted(ids) and len(set(ids)) == len(ids) and ids[0] > 0

    got = ledger.events()
    assert [e.kind for e in got] == kinds
    assert [e.id for e in got] == ids
    first = got[0]
    assert first.ts == T0  # the same instant, whatever zone it comes back in
    assert first.ts.utcoffset() is not None
    assert (first.day, first.child, first.target, first.actor) == (DAY, "An", "games", "agent")
    assert dict(first.detail) == {"n": 0, "note": "ổn"}
    assert first.as_json()["id"] == ids[0]


def test_events_filtered_by_time_and_after_id(ledger: Ledger) -> None:
    ids = [ledger.add_event(Event(f"e{i}", at(i * 60), DAY)) for i in range(6)]
    # since is inclusive, until exclusive.
    assert [e.kind for e in ledger.events(since=at(120), until=at(240))] == ["e2", "e3"]
    assert [e.kind for e in ledger.events(since=at(121))] == ["e3", "e4", "e5"]
    # Any zone names the same instant.
    utc = at(240).astimezone(dt.UTC)
    assert [e.kind for e in ledger.events(since=utc)] == ["e4", "e5"]
    assert [e.kind for e in ledger.events(after_id=ids[3])] == ["e4", "e5"]
    assert [e.kind for e in ledger.events(after_id=ids[1], until=at(240))] == ["e2", "e3"]
    assert [e.kind for e in ledger.events(limit=2)] == ["e0", "e1"]
    assert ledger.events(after_id=ids[-1]) == []


def test_event_without_day_or_child(ledger: Ledger) -> None:
    ledger.add_event(Event("pin_wrong", at(0), detail={"tries": 2}, actor="pin"))
    (event,) = ledger.events()
    assert (event.day, event.child, event.target, event.actor) == (None, None, None, "pin")
    assert dict(event.detail) == {"tries": 2}


# -- requests ---------------------------------------------------------------------------------


def test_requests_add_list_answer(ledger: Ledger) -> None:
    r1 = ledger.add_request(at(0), "An", 15, "Cho con chơi thêm nhé")
    r2 = ledger.add_request(at(60), "Binh", 30, "")
    r3 = ledger.add_request(at(120), "An", 10, "please")
    assert r1.id < r2.id < r3.id
    assert (r1.child, r1.minutes, r1.message, r1.state) == (
        "An",
        15,
        "Cho con chơi thêm nhé",
        "pending",
    )
    assert r1.ts == at(0)

    assert [r.id for r in ledger.requests()] == [r3.id, r2.id, r1.id]  # newest first
    assert [r.id for r in ledger.requests("pending")] == [r3.id, r2.id, r1.id]

    approved = ledger.answer_request(r1.id, True, 20)
    assert (approved.id, approved.state, approved.answered_minutes) == (r1.id, "approved", 20)
    denied = ledger.answer_request(r2.id, False, None)
    assert (denied.state, denied.answered_minutes) == ("denied", None)

    assert [r.id for r in ledger.requests("pending")] == [r3.id]
    assert [r.id for r in ledger.requests("approved")] == [r1.id]
    assert [r.id for r in ledger.requests("denied")] == [r2.id]
    assert {r.id: r.state for r in ledger.requests()} == {
        r1.id: "approved",
        r2.id: "denied",
        r3.id: "pending",
    }


def test_answering_twice_or_unknown_is_a_key_error(ledger: Ledger) -> None:
    req = ledger.add_request(at(0), "An", 15, "")
    ledger.answer_request(req.id, False, None)
    with pytest.raises(KeyError):
        ledger.answer_request(req.id, True, 15)
    with pytest.raises(KeyError):
        ledger.answer_request(req.id + 1000, True, 15)
    assert ledger.requests()[0].state == "denied"  # the second answer changed nothing


# -- meta -------------------------------------------------------------------------------------


def test_meta_get_set_overwrite(ledger: Ledger) -> None:
    assert ledger.get_meta("heartbeat") is None
    ledger.set_meta("heartbeat", "2026-11-23T09:00:00+07:00")
    ledger.set_meta("sync", "{}")
    assert ledger.get_meta("heartbeat") == "2026-11-23T09:00:00+07:00"
    ledger.set_meta("heartbeat", "later")
    assert ledger.get_meta("heartbeat") == "later"
    assert ledger.get_meta("sync") == "{}"


# -- day limits -------------------------------------------------------------------------------


def test_day_limits_recorded_and_read_by_range(ledger: Ledger) -> None:
    assert ledger.day_limits(DAY, NEXT) == {}
    ledger.record_limits(
        DAY,
        {
            ("An", "games"): ("category", 3600),
            ("An", "total"): ("total", 9000),
            ("An", "minecraft"): ("app", None),  # windows only, no budget
            ("Bình", "games"): ("category", 0),
        },
    )
    ledger.record_limits(NEXT, {("An", "games"): ("category", 5400)})
    assert ledger.day_limits(DAY, DAY) == {
        (DAY, "An", "games"): ("category", 3600),
        (DAY, "An", "total"): ("total", 9000),
        (DAY, "An", "minecraft"): ("app", None),
        (DAY, "Bình", "games"): ("category", 0),
    }
    assert ledger.day_limits(NEXT, NEXT) == {(NEXT, "An", "games"): ("category", 5400)}
    assert len(ledger.day_limits(DAY - dt.timedelta(days=1), NEXT)) == 5
    assert ledger.day_limits(NEXT + dt.timedelta(days=1), NEXT + dt.timedelta(days=9)) == {}


def test_record_limits_replaces_the_day_of_the_children_given(ledger: Ledger) -> None:
    ledger.record_limits(
        DAY,
        {
            ("An", "games"): ("category", 3600),
            ("An", "total"): ("total", 9000),
            ("Bình", "games"): ("category", 1800),
        },
    )
    ledger.record_limits(NEXT, {("An", "total"): ("total", 9000)})
    # The rules changed during the day: An's limits now, Bình's untouched, other days kept.
    ledger.record_limits(
        DAY, {("An", "games"): ("category", 5400), ("An", "roblox"): ("app", None)}
    )
    assert ledger.day_limits(DAY, NEXT) == {
        (DAY, "An", "games"): ("category", 5400),
        (DAY, "An", "roblox"): ("app", None),
        (DAY, "Bình", "games"): ("category", 1800),
        (NEXT, "An", "total"): ("total", 9000),
    }
    ledger.record_limits(DAY, {})  # no children given: nothing changes
    assert len(ledger.day_limits(DAY, DAY)) == 3


# -- unicode ----------------------------------------------------------------------------------


def test_unicode_child_names(ledger: Ledger) -> None:
    name = "Nguyễn Thị Ánh 🎮"
    ledger.add_usage({(DAY, name, "category", "trò-chơi"): 42.0})
    ledger.flush()
    ledger.add_grant(DAY, name, "*", 300)
    ledger.set_paused(DAY, name, True)
    ledger.mark_warned(DAY, name, "trò-chơi", 5)
    ledger.add_event(Event("grant", at(0), DAY, name, "*", {"lý do": "giỏi"}, "parent"))
    ledger.add_request(at(0), name, 15, "Mẹ ơi 🙏")
    ledger.record_limits(DAY, {(name, "trò-chơi"): ("category", 2700)})

    state = ledger.load_day(DAY)
    assert state.usage == {(name, "category", "trò-chơi"): 42.0}
    assert state.bonus == {(name, "*"): 300}
    assert state.paused == {name}
    assert state.warned == {(name, "trò-chơi", 5)}
    (event,) = ledger.events()
    assert event.child == name and dict(event.detail) == {"lý do": "giỏi"}
    assert ledger.requests()[0].message == "Mẹ ơi 🙏"
    assert ledger.requests()[0].child == name
    assert ledger.day_limits(DAY, DAY) == {(DAY, name, "trò-chơi"): ("category", 2700)}


# -- SQLite only ------------------------------------------------------------------------------


def fill(ledger: Ledger) -> dict[str, int]:
    ledger.add_usage({(DAY, "An", "category", "games"): 61.5})
    ledger.flush()
    ledger.add_usage({(DAY, "An", "category", "games"): 3.0})  # closing must flush this too
    ledger.add_grant(DAY, "An", "games", 600)
    ledger.set_paused(DAY, "Bình", True)
    ledger.mark_warned(DAY, "An", "games", 5)
    eid = ledger.add_event(Event("agent_stop", at(0), DAY))
    req = ledger.add_request(at(0), "An", 15, "hi")
    ledger.set_meta("heartbeat", "x")
    return {"event": eid, "request": req.id}


def test_sqlite_reopen_keeps_everything(tmp_path: Path) -> None:
    path = tmp_path / "sub" / "ledger.sqlite"
    first = SqliteLedger(path)
    ids = fill(first)
    first.close()

    again = SqliteLedger(path)
    try:
        state = again.load_day(DAY)
        assert state.usage == {("An", "category", "games"): 64.5}
        assert state.bonus == {("An", "games"): 600}
        assert state.paused == {"Bình"}
        assert state.warned == {("An", "games", 5)}
        assert [(e.id, e.kind) for e in again.events()] == [(ids["event"], "agent_stop")]
        assert [(r.id, r.state) for r in again.requests()] == [(ids["request"], "pending")]
        assert again.get_meta("heartbeat") == "x"
        # New rows continue after the old ids.
        assert again.add_event(Event("agent_start", at(1), DAY)) > ids["event"]
    finally:
        again.close()


def test_sqlite_reopen_keeps_day_limits(tmp_path: Path) -> None:
    path = tmp_path / "ledger.sqlite"
    first = SqliteLedger(path)
    first.record_limits(DAY, {("An", "games"): ("category", 3600), ("An", "x"): ("app", None)})
    first.close()
    again = SqliteLedger(path)
    try:
        assert again.day_limits(DAY, DAY) == {
            (DAY, "An", "games"): ("category", 3600),
            (DAY, "An", "x"): ("app", None),
        }
    finally:
        again.close()


def test_sqlite_schema_1_file_migrates_and_keeps_its_data(tmp_path: Path) -> None:
    """A ledger written by the first version (schema 1) opens, gains day_limits, loses nothing."""
    path = tmp_path / "ledger.sqlite"
    db = sqlite3.connect(path)
    db.executescript(f"BEGIN; {MIGRATIONS[0]} PRAGMA user_version = 1; COMMIT;")
    db.executemany(
        "INSERT INTO usage(day, child, kind, ident, seconds) VALUES (?,?,?,?,?)",
        [
            (DAY.isoformat(), "An", "category", "games", 61.5),
            (DAY.isoformat(), "An", "total", "total", 90.0),
            (NEXT.isoformat(), "Bình", "app", "roblox", 12.0),
        ],
    )
    db.execute(
        "INSERT INTO grants(day, child, target, seconds) VALUES (?,?,?,?)",
        (DAY.isoformat(), "An", "games", 600),
    )
    db.execute(
        "INSERT INTO events(ts, day, kind, child, target, detail, actor) VALUES (?,?,?,?,?,?,?)",
        (
            T0.astimezone(dt.UTC).isoformat(),
            DAY.isoformat(),
            "agent_stop",
            None,
            None,
            "{}",
            "agent",
        ),
    )
    db.execute("INSERT INTO meta(key, value) VALUES ('heartbeat', 'x')")
    db.commit()
    db.close()

    ledger = SqliteLedger(path)
    try:
        state = ledger.load_day(DAY)
        assert state.usage == {("An", "category", "games"): 61.5, ("An", "total", "total"): 90.0}
        assert state.bonus == {("An", "games"): 600}
        assert ledger.usage(NEXT, NEXT) == {(NEXT, "Bình", "app", "roblox"): 12.0}
        assert [(e.kind, e.ts) for e in ledger.events()] == [("agent_stop", T0)]
        assert ledger.get_meta("heartbeat") == "x"
        assert ledger.day_limits(DAY, NEXT) == {}  # nothing was recorded then
        ledger.record_limits(DAY, {("An", "games"): ("category", 3600)})
        assert ledger.day_limits(DAY, DAY) == {(DAY, "An", "games"): ("category", 3600)}
    finally:
        ledger.close()
    db = sqlite3.connect(path)
    try:
        (version,) = db.execute("PRAGMA user_version").fetchone()
        assert version == SCHEMA_VERSION == 3
        assert db.execute("SELECT COUNT(*) FROM usage").fetchone() == (3,)
    finally:
        db.close()


def test_identities_are_remembered_and_a_known_digest_keeps_its_app(ledger: Ledger) -> None:
    """Executables' content identities (issue 12): the first app a digest was seen as keeps it."""
    first = Identity("ab" * 32, 1234, "minecraft", "/home/an/.minecraft/launcher")
    ledger.add_identity(first, T0)
    ledger.add_identity(Identity("ab" * 32, 1234, "roblox", "/tmp/x"), T0)
    other = Identity("cd" * 32, 99, "roblox")
    ledger.add_identity(other, T0)
    assert sorted(ledger.identities(), key=lambda i: i.digest) == [first, other]


def test_sqlite_identities_survive_a_reopen_of_a_schema_2_file(tmp_path: Path) -> None:
    """A ledger of schema 2 gains the identities table; what is added there is kept."""
    path = tmp_path / "ledger.sqlite"
    db = sqlite3.connect(path)
    db.executescript(f"BEGIN; {MIGRATIONS[0]} {MIGRATIONS[1]} PRAGMA user_version = 2; COMMIT;")
    db.close()
    first = SqliteLedger(path)
    assert first.identities() == []
    known = Identity("ef" * 32, 4096, "minecraft", "/opt/game")
    first.add_identity(known, T0)
    first.close()
    again = SqliteLedger(path)
    try:
        assert again.identities() == [known]
    finally:
        again.close()


def test_sqlite_flushed_usage_is_on_disk_for_another_reader(tmp_path: Path) -> None:
    """What the agent flushed can be read by another process (status) while it runs."""
    path = tmp_path / "ledger.sqlite"
    writer = SqliteLedger(path)
    reader = SqliteLedger(path)
    try:
        writer.add_usage({(DAY, "An", "total", "total"): 9.0})
        assert reader.load_day(DAY).usage == {}  # buffered in the writer only
        writer.flush()
        assert reader.load_day(DAY).usage == {("An", "total", "total"): 9.0}
    finally:
        writer.close()
        reader.close()


def test_sqlite_schema_version_is_set(tmp_path: Path) -> None:
    path = tmp_path / "ledger.sqlite"
    SqliteLedger(path).close()
    db = sqlite3.connect(path)
    try:
        (version,) = db.execute("PRAGMA user_version").fetchone()
        tables = {r[0] for r in db.execute("SELECT name FROM sqlite_master WHERE type='table'")}
    finally:
        db.close()
    assert version == SCHEMA_VERSION >= 1
    assert {"usage", "events", "grants", "pauses", "warned", "requests", "meta"} <= tables
    assert "day_limits" in tables
    # Opening again does not migrate twice.
    SqliteLedger(path).close()


def test_sqlite_newer_schema_refuses_to_open(tmp_path: Path) -> None:
    path = tmp_path / "ledger.sqlite"
    SqliteLedger(path).close()
    db = sqlite3.connect(path)
    db.execute(f"PRAGMA user_version = {SCHEMA_VERSION + 1}")
    db.commit()
    db.close()
    with pytest.raises(LedgerError, match="newer"):
        SqliteLedger(path)


def test_sqlite_not_a_database_is_a_ledger_error(tmp_path: Path) -> None:
    path = tmp_path / "ledger.sqlite"
    path.write_bytes(b"this is not SQLite " * 100)
    with pytest.raises(LedgerError, match=str(path.name)):
        SqliteLedger(path)


def test_trim_events_keeps_the_newest_of_a_prefix(ledger: Ledger) -> None:
    for n in range(5):
        ledger.add_event(Event("pin.try", T0, DAY, detail={"n": n}))
        ledger.add_event(Event("grant", T0, DAY, "An", "games", {"n": n}))
    assert ledger.trim_events("pin.", 2) == 3
    assert [(e.kind, e.detail["n"]) for e in ledger.events() if e.kind == "pin.try"] == [
        ("pin.try", 3),
        ("pin.try", 4),
    ]
    assert len([e for e in ledger.events() if e.kind == "grant"]) == 5
    assert ledger.trim_events("pin_", 0) == 0  # "_" is no wildcard
    new = ledger.add_event(Event("pin.try", T0, DAY))
    assert new > max(e.id for e in ledger.events()[:-1])  # ids are never reused
