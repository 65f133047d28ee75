"""Faults: the hub down for days, 500s, timeouts, lost answers, replays, a crash, bad tokens."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from pathlib import Path

import pytest

from sync.state import TOKEN_NAME
from tests.support.hubserver import HubApi, HubServer
from tests.support.recording_server import Recorded, RecordingServer
from tests.support.sync_devices import (
    AN,
    BASE,
    BINH,
    Device,
    at,
    expected_day,
    hub_day,
    start_hub,
)

DAYS_PUT = "PUT /v1/devices/me/days/"


@pytest.fixture(scope="module")
def hub(request: pytest.FixtureRequest,
        tmp_path_factory: pytest.TempPathFactory) -> Iterator[HubServer]:
    yield from start_hub(request, tmp_path_factory.mktemp("hub-faults"))


@pytest.fixture(scope="module",
                params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def crash_hub(request: pytest.FixtureRequest,
              tmp_path_factory: pytest.TempPathFactory) -> Iterator[HubServer]:
    yield from start_hub(request, tmp_path_factory.mktemp(f"crash-{request.param}"),
                         request.param)


@pytest.fixture
def proxy(hub: HubServer) -> Iterator[RecordingServer]:
    with RecordingServer(hub.url) as server:
        yield server


def _days(n: int) -> list[dt.date]:
    return [BASE + dt.timedelta(days=i) for i in range(n)]


def _assert_exact(api: HubApi, parent: str, device: Device, days: list[dt.date]) -> None:
    for day in days:
        for child in (AN, BINH):
            assert hub_day(api, parent, child, day) == expected_day(device.ledger, child, day), (
                child, day)


def _revisions(api: HubApi, parent: str, child: str, day: dt.date) -> list[int]:
    r = api.call("GET", f"/v1/children/{child}/days/{day.isoformat()}", parent)
    return [d["revision"] for d in r.json()["devices"]]


def test_hub_down_for_days_then_every_day_arrives_once(
        hub: HubServer, tmp_path: Path) -> None:
    api = HubApi(hub.url)
    _, parent = api.family()
    device = Device(tmp_path, at(BASE))
    device.pair(hub.url, api.pairing_code(parent))
    days = _days(5)
    hub.stop()
    try:
        for i, day in enumerate(days):
            device.use(day, AN, {"minecraft": 1000 + i, "notes": 50}, warnings=1, closes=i)
            device.use(day, BINH, {"roblox": 700 + i})
            device.move_to(day, 21)
            report = device.client().run_once()
            assert report.error == "hub_unreachable" and report.sent == []
            assert {d for _c, d in report.pending} == {d.isoformat() for d in days[: i + 1]}
        assert device.store.load().pending == [d.isoformat() for d in days]
    finally:
        hub.start()
    report = device.client().run_once()
    assert report.ok, report
    assert len(report.sent) == 10 and report.pending == []
    _assert_exact(api, parent, device, days)
    # Once: a day whose content never changed went under one revision, however many tries.
    assert all(_revisions(api, parent, AN, d) == [1] for d in days)
    assert device.store.load().pending == []
    device.close()


def test_500s_and_timeouts_are_retried_and_totals_stay_exact(
        hub: HubServer, proxy: RecordingServer, tmp_path: Path) -> None:
    api = HubApi(hub.url)
    _, parent = api.family()
    device = Device(tmp_path, at(BASE), with_agent=True)  # the agent: commands are pulled too
    device.pair(proxy.url, api.pairing_code(parent))
    days = _days(3)
    for day in days:
        device.use(day, AN, {"minecraft": 900, "roblox": 100}, warnings=2)
        device.use(day, BINH, {"notes": 300})
    device.move_to(days[-1], 21)

    proxy.fail(3, 500, match=DAYS_PUT)  # fewer than the retries: this run still succeeds
    report = device.client().run_once()
    assert report.ok and len(report.sent) == 6, report
    assert len(proxy.matching(DAYS_PUT)) >= 6 + 3
    _assert_exact(api, parent, device, days)

    # Timeouts: the hub gets the upload but the answer never comes back; then a pull hangs.
    device.use(days[-1], AN, {"minecraft": 120})
    proxy.clear()
    proxy.hold(2, match=DAYS_PUT, forward=True)
    proxy.hold(1, match="GET /v1/devices/me/commands")
    report = device.client(timeout=(2.0, 1.0)).run_once()
    assert report.ok, report
    assert proxy.faults_left() == 0
    puts = [r.json() for r in proxy.matching(DAYS_PUT)]
    assert len(puts) >= 3 and all(p == puts[0] for p in puts)  # the same revision, resent
    assert len(proxy.matching("GET /v1/devices/me/commands")) >= 2
    _assert_exact(api, parent, device, days)

    # Failing for longer than the retries: nothing is lost, the next run catches up.
    device.use(days[-1], BINH, {"notes": 60})
    proxy.fail(1000, 503)
    failed = device.client().run_once()
    assert failed.error == "injected" and failed.pending == [(BINH, days[-1].isoformat())]
    proxy.clear_faults()
    report = device.client().run_once()
    assert report.ok and report.sent == [(BINH, days[-1].isoformat())]
    _assert_exact(api, parent, device, days)
    device.close()


def test_same_upload_twice_out_of_order_or_with_a_lost_answer_changes_nothing(
        hub: HubServer, proxy: RecordingServer, tmp_path: Path) -> None:
    api = HubApi(hub.url)
    _, parent = api.family()
    device = Device(tmp_path, at(BASE))
    device.pair(proxy.url, api.pairing_code(parent))
    token = device.secrets.get(TOKEN_NAME)
    assert token
    day = BASE
    device.use(day, AN, {"minecraft": 600})
    assert device.client().run_once().ok
    device.use(day, AN, {"roblox": 400}, warnings=1)
    assert device.client().run_once().ok
    first, second = (r for r in proxy.matching(DAYS_PUT) if AN in r.path)
    assert (first.json()["revision"], second.json()["revision"]) == (1, 2)
    want = expected_day(device.ledger, AN, day)
    assert hub_day(api, parent, AN, day) == want

    # Replays: the same upload twice, and an older one after a newer one.
    for rec in (second, first, first, second, first):
        r = api.call("PUT", rec.path, token, json=rec.json())
        assert r.status_code == 200 and r.json()["stored_revision"] == 2
    assert hub_day(api, parent, AN, day) == want

    # The hub stores an upload but its answer is lost: the resend is the same revision.
    device.use(day, AN, {"notes": 30})
    proxy.clear()
    proxy.lose(1, 502, match=DAYS_PUT)
    report = device.client().run_once()
    assert report.ok, report
    resent = [r.json() for r in proxy.matching(DAYS_PUT) if AN in r.path]
    assert len(resent) == 2 and resent[0] == resent[1] and resent[0]["revision"] == 3
    assert hub_day(api, parent, AN, day) == expected_day(device.ledger, AN, day)
    assert _revisions(api, parent, AN, day) == [3]
    device.close()


def test_hub_crash_mid_upload_then_restart(
        crash_hub: HubServer, tmp_path: Path) -> None:
    api = HubApi(crash_hub.url)
    _, parent = api.family()
    with RecordingServer(crash_hub.url) as proxy:
        device = Device(tmp_path, at(BASE))
        device.pair(proxy.url, api.pairing_code(parent))
        days = _days(8)
        for i, day in enumerate(days):
            device.use(day, AN, {"minecraft": 500 + i})
            device.use(day, BINH, {"roblox": 200 + i})
        device.move_to(days[-1], 21)
        seen: list[Recorded] = []

        def crash_on_fourth(rec: Recorded, status: int) -> bool:
            if rec.line.startswith(DAYS_PUT):
                seen.append(rec)
                if len(seen) == 4:
                    crash_hub.kill()  # stored, then the power went: the answer is lost
                    return True
            return False

        proxy.after_forward = crash_on_fourth
        report = device.client().run_once()
        assert report.error is not None and len(report.sent) == 3
        assert len(report.pending) == 13
        proxy.after_forward = None
        crash_hub.start()
        report = device.client().run_once()
        assert report.ok and len(report.sent) == 13, report
        _assert_exact(api, parent, device, days)
        device.close()


def test_wrong_or_revoked_token_stops_sync(
        hub: HubServer, proxy: RecordingServer, tmp_path: Path) -> None:
    api = HubApi(hub.url)
    _, parent = api.family()
    (tmp_path / "a").mkdir()
    (tmp_path / "b").mkdir()
    wrong, revoked = Device(tmp_path / "a", at(BASE)), Device(tmp_path / "b", at(BASE))
    for device in (wrong, revoked):
        device.pair(proxy.url, api.pairing_code(parent))
        device.use(BASE, AN, {"minecraft": 100})
    wrong.secrets.set(TOKEN_NAME, "pcd_not-a-real-token")
    devices = api.call("GET", "/v1/devices", parent).json()["devices"]
    assert api.call("DELETE", f"/v1/devices/{max(d['id'] for d in devices)}",
                    parent).status_code == 204
    for device in (wrong, revoked):
        report = device.client().run_once()
        assert report.error == "unauthorized" and report.sent == []
        assert device.store.load().enabled is False
        assert device.secrets.get(TOKEN_NAME) is None
        assert [e.kind for e in device.ledger.events()].count("sync_revoked") == 1
        proxy.clear()
        assert device.client().run_once().skipped == "disabled"
        assert proxy.requests == []  # nothing more is sent once the hub said no
        device.close()
    assert hub_day(api, parent, AN, BASE)["total_seconds"] == 0
