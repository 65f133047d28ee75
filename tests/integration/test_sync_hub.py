"""Sync against the real hub (SQLite, and PostgreSQL when installed): totals equal the ledger."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from pathlib import Path

import pytest

from sync.consent_flow import child_consent, record_consent
from sync.consent_records import ChildInfo
from sync.state import TOKEN_NAME
from tests.support.hubserver import HubApi, HubServer
from tests.support.sync_devices import (
    AN,
    BASE,
    BINH,
    YEAR,
    Device,
    at,
    expected_day,
    hub_day,
    start_hub,
)


@pytest.fixture(scope="module",
                params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def hub(request: pytest.FixtureRequest,
        tmp_path_factory: pytest.TempPathFactory) -> Iterator[HubServer]:
    yield from start_hub(request, tmp_path_factory.mktemp(f"hub-{request.param}"), request.param)


@pytest.fixture
def api(hub: HubServer) -> HubApi:
    return HubApi(hub.url)


def _days(n: int) -> list[dt.date]:
    return [BASE + dt.timedelta(days=i) for i in range(n)]


def test_pair_then_every_day_on_the_hub_equals_the_ledger(
        hub: HubServer, api: HubApi, tmp_path: Path) -> None:
    _, parent = api.family()
    device = Device(tmp_path, at(BASE, 9))
    result = device.pair(hub.url, api.pairing_code(parent))
    assert device.secrets.get(TOKEN_NAME), "the token is kept in the keyring"
    assert set(result.children) == {AN, BINH}
    days = _days(4)
    for i, day in enumerate(days):
        device.use(day, AN, {"minecraft": 1200 + i, "roblox": 300, "notes": 60},
                   warnings=i, closes=1, grants=i % 2, requests=1)
        device.use(day, BINH, {"roblox": 900 + 7 * i}, warnings=1)
    device.move_to(days[-1])
    report = device.client().run_once()
    assert report.ok, report
    assert len(report.sent) == 8 and report.pending == []
    for day in days:
        for child in (AN, BINH):
            assert hub_day(api, parent, child, day) == expected_day(device.ledger, child, day)

    # A week's and the family report's totals add up to the ledger's too.
    week = f"{days[0].isocalendar()[0]}-W{days[0].isocalendar()[1]:02d}"
    r = api.call("GET", f"/v1/children/{AN}/weeks/{week}", parent)
    assert r.status_code == 200
    in_week = [d for d in days if d.isocalendar()[:2] == days[0].isocalendar()[:2]]
    assert r.json()["total_seconds"] == sum(
        expected_day(device.ledger, AN, d)["total_seconds"] for d in in_week)

    # Nothing changed: nothing is sent again (days older than yesterday are not even re-read).
    again = device.client().run_once()
    assert again.ok and again.sent == [] and again.unchanged == 4

    # More use today: only today goes again, under a higher revision, still exact.
    device.use(days[-1], AN, {"minecraft": 600})
    third = device.client().run_once()
    assert third.sent == [(AN, days[-1].isoformat())]
    assert hub_day(api, parent, AN, days[-1]) == expected_day(device.ledger, AN, days[-1])
    r = api.call("GET", f"/v1/children/{AN}/days/{days[-1].isoformat()}", parent)
    assert [d["revision"] for d in r.json()["devices"]] == [2]
    device.close()


def test_two_devices_are_summed_and_each_stays_exact(
        hub: HubServer, api: HubApi, tmp_path: Path) -> None:
    _, parent = api.family()
    (tmp_path / "a").mkdir()
    (tmp_path / "b").mkdir()
    a, b = Device(tmp_path / "a", at(BASE, 9)), Device(tmp_path / "b", at(BASE, 9))
    for dev in (a, b):
        dev.pair(hub.url, api.pairing_code(parent))
    a.use(BASE, AN, {"minecraft": 1000})
    b.use(BASE, AN, {"minecraft": 500, "notes": 100})
    for dev in (a, b):
        dev.move_to(BASE + dt.timedelta(days=1))
        assert dev.client().run_once().ok
    ea, eb = expected_day(a.ledger, AN, BASE), expected_day(b.ledger, AN, BASE)
    got = hub_day(api, parent, AN, BASE)
    assert got["total_seconds"] == ea["total_seconds"] + eb["total_seconds"]
    assert got["apps"] == {"minecraft": ea["apps"]["minecraft"] + eb["apps"]["minecraft"],
                           "notes": eb["apps"]["notes"]}
    a.close()
    b.close()


def test_parent_commands_and_child_requests_round_trip(
        hub: HubServer, api: HubApi, tmp_path: Path) -> None:
    _, parent = api.family()
    device = Device(tmp_path, at(BASE + dt.timedelta(days=11), 9), with_agent=True)
    agent = device.agent
    assert agent is not None
    device.pair(hub.url, api.pairing_code(parent))
    today = agent.state.day

    # A child asks; the request reaches the parents once, however often sync runs.
    asked = agent.ask(AN, 20, "please mum")
    client = device.client()
    first = client.run_once()
    assert first.forwarded == [asked["id"]]
    assert client.run_once().forwarded == []
    r = api.call("GET", "/v1/requests", parent)
    (hub_req,) = r.json()["requests"]
    assert (hub_req["child"], hub_req["minutes"], hub_req["status"]) == (AN, 20, "open")

    # The parent answers, grants time and changes a limit from the hub.
    def command(body: dict[str, object]) -> int:
        resp = api.call("POST", "/v1/commands", parent, json=body)
        assert resp.status_code == 201, resp.text
        return int(resp.json()["id"])

    answer = command({"type": "answer_request", "request_id": hub_req["id"], "approve": True,
                      "minutes": 15})
    grant = command({"type": "grant", "child": AN, "target": "games", "minutes": 30})
    limit = command({"type": "set_limit", "child": AN, "key": "games", "daily_minutes": 45})
    unknown = command({"type": "grant", "child": "Nobody", "target": "games", "minutes": 5})
    tomorrow = command({"type": "grant", "child": AN, "target": "total", "minutes": 10,
                        "day": (today + dt.timedelta(days=1)).isoformat()})
    report = client.run_once()
    assert report.ok, report
    assert sorted(report.applied) == sorted([answer, grant, limit])
    assert report.rejected == [unknown]
    state = agent.ledger.load_day(today)
    assert state.bonus[(AN, "games")] == 30 * 60
    assert state.bonus[(AN, "*")] == 15 * 60
    assert agent.ledger.requests()[0].state == "approved"
    assert agent.config.child(AN).effective_limits()["games"].daily == 45  # type: ignore[union-attr]
    assert "daily = 45" in device.rules.read_text(encoding="utf-8")

    # Acknowledged on the hub; applying twice never happens (the grant stays 30 minutes).
    acks = {c["id"]: [a["status"] for a in c["acks"]]
            for c in api.call("GET", "/v1/commands", parent).json()["commands"]}
    assert acks[grant] == ["applied"] and acks[unknown] == ["rejected"] and acks[tomorrow] == []
    again = client.run_once()
    assert again.applied == [] and agent.ledger.load_day(today).bonus[(AN, "games")] == 1800

    # Tomorrow's grant waits for tomorrow, then applies once.
    device.move_to(today + dt.timedelta(days=1), hour=9)
    later = client.run_once()
    assert later.applied == [tomorrow]
    assert agent.ledger.load_day(agent.state.day).bonus[(AN, "total")] == 600
    # The day's summary counts what was carried out: the grant, the approval, the request.
    got = hub_day(api, parent, AN, today)
    assert got == expected_day(device.ledger, AN, today)
    assert got["counts"]["grants"] == 2 and got["counts"]["requests"] == 1
    device.close()


def test_a_childs_words_reach_the_hub_only_under_their_share_and_leave_with_it(
        hub: HubServer, api: HubApi, tmp_path: Path) -> None:
    _, parent = api.family()
    device = Device(tmp_path, at(BASE + dt.timedelta(days=11), 9), with_agent=True)
    agent = device.agent
    assert agent is not None
    device.pair(hub.url, api.pairing_code(parent), messages=(BINH,))  # Bình's, not An's
    words = "Con làm bài xong rồi ạ <script>alert(1)</script>\u0007"
    agent.ask(AN, 20, words)
    agent.ask(BINH, 10, "Cho con xem nốt phim\n")
    assert device.client().run_once().ok

    def on_hub() -> dict[str, tuple[str | None, bool]]:
        got = api.call("GET", "/v1/requests", parent).json()["requests"]
        return {r["child"]: (r["message"], r["message_shared"]) for r in got}

    assert on_hub() == {AN: (None, False), BINH: ("Cho con xem nốt phim", True)}
    # An (11) and the parent agree to share An's words too: the next request carries them.
    consent = child_consent(ChildInfo(AN, YEAR - 11), "Mẹ", True, device.now(),
                            messages=True, child_messages=True)
    assert record_consent(device.store, device.ledger, device.secrets, consent,
                          clock=device.now) is None
    agent.ask(AN, 15, words)
    assert device.client().run_once().ok
    got = api.call("GET", "/v1/requests", parent).json()["requests"]
    assert sorted((r["minutes"], r["message"]) for r in got if r["child"] == AN) == [
        (15, "Con làm bài xong rồi ạ <script>alert(1)</script>"), (20, None)]
    # Taken back: recorded again without the share, the words are deleted on the hub.
    narrower = child_consent(ChildInfo(AN, YEAR - 11), "Mẹ", True, device.now())
    assert record_consent(device.store, device.ledger, device.secrets, narrower,
                          clock=device.now) is None
    assert on_hub()[AN] == (None, False)
    assert on_hub()[BINH] == ("Cho con xem nốt phim", True)
    device.close()
