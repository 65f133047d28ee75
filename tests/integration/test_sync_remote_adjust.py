"""Pause and allowed hours sent from the hub (the parents' web app) reach the agent in one sync."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from pathlib import Path

import pytest

from rules.model import Window
from tests.support.hubserver import HubApi, HubServer
from tests.support.sync_devices import AN, BASE, BINH, Device, at, start_hub


@pytest.fixture(scope="module")
def hub(request: pytest.FixtureRequest,
        tmp_path_factory: pytest.TempPathFactory) -> Iterator[HubServer]:
    yield from start_hub(request, tmp_path_factory.mktemp("hub-adjust"))


def _command(api: HubApi, parent: str, body: dict[str, object]) -> int:
    r = api.call("POST", "/v1/commands", parent, json=body)
    assert r.status_code == 201, r.text
    return int(r.json()["id"])


def test_pause_and_allowed_hours_from_the_hub(hub: HubServer, tmp_path: Path) -> None:
    api = HubApi(hub.url)
    _, parent = api.family()
    device = Device(tmp_path, at(BASE + dt.timedelta(days=11), 9), with_agent=True)
    agent = device.agent
    assert agent is not None
    device.pair(hub.url, api.pairing_code(parent))
    pause = _command(api, parent, {"type": "pause", "child": AN})
    hours = _command(api, parent, {"type": "set_hours", "child": AN, "key": "games",
                                   "allowed": ["16:00-18:00", "19:30-20:30"]})
    anytime = _command(api, parent, {"type": "set_hours", "child": BINH, "key": "total",
                                     "allowed": []})
    stranger = _command(api, parent, {"type": "pause", "child": "Nobody"})
    report = device.client().run_once()
    assert report.ok, report
    assert sorted(report.applied) == sorted([pause, hours, anytime])
    assert report.rejected == [stranger]
    assert AN in agent.state.paused
    games = agent.config.child(AN).effective_limits()["games"]  # type: ignore[union-attr]
    assert games.allowed == (Window(16 * 60, 18 * 60), Window(19 * 60 + 30, 20 * 60 + 30))
    assert games.daily == 60  # the budget is kept
    assert 'allowed = ["16:00-18:00", "19:30-20:30"]' in device.rules.read_text("utf-8")
    # Applied once: the next run changes nothing, and a resume undoes the pause.
    assert device.client().run_once().applied == []
    resume = _command(api, parent, {"type": "pause", "child": AN, "paused": False})
    assert device.client().run_once().applied == [resume]
    assert AN not in agent.state.paused
    device.close()


def test_a_pause_from_yesterday_is_not_applied_today(hub: HubServer, tmp_path: Path) -> None:
    api = HubApi(hub.url)
    _, parent = api.family()
    device = Device(tmp_path, at(dt.date.today(), 9), with_agent=True)
    assert device.agent is not None
    device.pair(hub.url, api.pairing_code(parent))
    late = _command(api, parent, {"type": "pause", "child": AN})
    # Offline until the day after tomorrow: an earlier day in every time zone (the hub dates
    # the command in the family's zone, which may already be tomorrow by the UTC clock).
    device.move_to(dt.date.today() + dt.timedelta(days=2), hour=20)
    report = device.client().run_once()
    assert report.rejected == [late]
    assert AN not in device.agent.state.paused
    device.close()


def test_waiting_for_answer_while_a_request_is_open(hub: HubServer, tmp_path: Path) -> None:
    api = HubApi(hub.url)
    _, parent = api.family()
    device = Device(tmp_path, at(BASE + dt.timedelta(days=11), 9), with_agent=True)
    assert device.agent is not None
    client = device.client()
    device.agent.ask(AN, 20, "")
    assert not client.waiting_for_answer()  # sync is off until paired
    device.pair(hub.url, api.pairing_code(parent))
    assert client.waiting_for_answer()
    client.run_once()
    (req,) = api.call("GET", "/v1/requests", parent).json()["requests"]
    _command(api, parent, {"type": "answer_request", "request_id": req["id"], "approve": True})
    client.run_once()
    assert not client.waiting_for_answer()
    device.close()


def test_todays_limits_and_running_apps_reach_the_hub(hub: HubServer, tmp_path: Path) -> None:
    from tests.support.recording_server import RecordingServer

    api = HubApi(hub.url)
    _, parent = api.family()
    day = BASE + dt.timedelta(days=11)
    device = Device(tmp_path, at(day, 9), with_agent=True)
    assert device.agent is not None
    device.use(day, AN, {"minecraft": 1200})  # (the ledger's; the agent counts its own)
    with RecordingServer(hub.url) as proxy:
        device.pair(proxy.url, api.pairing_code(parent))
        report = device.client().run_once()
        assert report.ok, report
        (today,) = [r.json() for r in proxy.matching(f"PUT /v1/devices/me/days/{AN}/{day}")]
    keys = {(lim["key"], lim["kind"]) for lim in today["limits"]}
    assert ("games", "category") in keys and ("total", "total") in keys
    games = next(lim for lim in today["limits"] if lim["key"] == "games")
    assert games["limit_seconds"] == 3600 and games["state"] == "ok"
    assert games["left_seconds"] == 3600 - games["used_seconds"]
    assert today["running"] == []
    device.close()
