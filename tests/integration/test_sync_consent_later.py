"""One child's consent after pairing, on a real hub: nothing before, exact totals, withdrawal."""

from __future__ import annotations

import argparse
import datetime as dt
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from playclock.cli import sync as cli
from sync.consent_flow import pending_withdrawals
from sync.transport import path_part
from tests.support.hubserver import HubApi, HubServer
from tests.support.recording_server import RecordingServer
from tests.support.sync_devices import (
    AN,
    TZ,
    YEAR,
    Device,
    bodies,
    expected_day,
    fast_session,
    hub_day,
    start_hub,
)

CHI = "Chi"  # 9: added to the rules after pairing, must agree too
CHI_RULES = f"""
[[child]]
name = "{CHI}"
accounts = ["chi"]
birth_year = {YEAR - 9}

[child.limits.total]
daily = 120
"""


@pytest.fixture(scope="module")
def hub(request: pytest.FixtureRequest,
        tmp_path_factory: pytest.TempPathFactory) -> Iterator[HubServer]:
    yield from start_hub(request, tmp_path_factory.mktemp("hub-consent-later"))


@pytest.fixture
def device(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Device]:
    dev = Device(tmp_path, dt.datetime.now(TZ))
    monkeypatch.setattr(cli, "open_secrets", lambda _data=None: dev.secrets)
    monkeypatch.setattr(cli, "session_factory", fast_session)
    monkeypatch.setattr("sys.stdin.isatty", lambda: False)
    yield dev
    dev.close()


def _consent(device: Device, child: str = CHI, parent: str | None = "Mẹ",
             agrees: bool = False, withdraw: bool = False) -> int:
    args = argparse.Namespace(child=child, parent_name=parent, child_agrees=agrees,
                              withdraw=withdraw, config=str(device.rules),
                              data_dir=str(device.dir))
    return cli.cmd_consent(args)


def _paired_with_chi_added(api: HubApi, parent: str, device: Device, url: str) -> dt.date:
    """Pair (An and Bình), then add Chi to the rules; Chi and An play today."""
    device.pair(url, api.pairing_code(parent))
    with device.rules.open("a", encoding="utf-8") as fh:
        fh.write(CHI_RULES)
    device.wall = dt.datetime.now(TZ).timestamp() + 1  # the device clock goes on
    today = device.now().date()
    device.use(today, CHI, {"minecraft": 1300, "notes": 200}, warnings=2, closes=1)
    device.use(today, AN, {"roblox": 500})
    return today


def _chi_requests(records: list[Any]) -> list[str]:
    return [r.line for r in records if f"/days/{path_part(CHI)}/" in r.line
            or f'"{CHI}"' in r.body.decode("utf-8", "replace")]


def _hub_consents(api: HubApi, parent: str) -> dict[str, Any]:
    out = api.call("GET", "/v1/consents", parent).json()["consents"]
    return {c["child"]: c for c in out}


def test_a_child_added_after_pairing_is_shared_only_after_both_consents(
        hub: HubServer, device: Device, capsys: pytest.CaptureFixture[str]) -> None:
    api = HubApi(hub.url)
    _, parent = api.family()
    with RecordingServer(hub.url) as proxy:
        today = _paired_with_chi_added(api, parent, device, proxy.url)
        proxy.clear()
        report = device.client().run_once()
        assert report.ok and report.sent == [(AN, today.isoformat())], report
        assert _chi_requests(proxy.requests) == []
        assert hub_day(api, parent, CHI, today)["total_seconds"] == 0

        # Chi is 9: the parent's consent alone is refused, and nothing leaves.
        proxy.clear()
        assert _consent(device) == 2
        err = capsys.readouterr().err
        assert "--child-agrees" in err and err.count("\n") == 1
        assert _consent(device, parent=None, agrees=True) == 2
        assert "--parent-name" in capsys.readouterr().err
        assert device.client().run_once().sent == []
        assert _chi_requests(proxy.requests) == []
        assert device.store.load().consent_for(CHI) is None
        assert CHI not in _hub_consents(api, parent)

        # Both consent: the record reaches the hub at once, Chi's day with the next run.
        proxy.clear()
        assert _consent(device, agrees=True) == 0
        assert f"{CHI} is shared from now on" in capsys.readouterr().out
        (put,) = proxy.matching("PUT /v1/devices/me/consents/")
        assert put.json()["child"] == CHI and put.json()["child_consented"] is True
        on_hub = _hub_consents(api, parent)[CHI]
        assert (on_hub["parent_name"], on_hub["child_consented"]) == ("Mẹ", True)
        assert on_hub["withdrawn_at"] is None
        event = [e for e in device.ledger.events() if e.kind == "sync_consent"][-1]
        assert (event.child, event.actor) == (CHI, "parent")
        assert "pcd_" not in str(event.as_json())
        report = device.client().run_once()
        assert report.ok and report.sent == [(CHI, today.isoformat())], report
        assert hub_day(api, parent, CHI, today) == expected_day(device.ledger, CHI, today)
        assert hub_day(api, parent, AN, today) == expected_day(device.ledger, AN, today)
        # More play: the new total arrives exactly, once.
        device.use(today, CHI, {"minecraft": 240})
        assert device.client().run_once().sent == [(CHI, today.isoformat())]
        assert hub_day(api, parent, CHI, today) == expected_day(device.ledger, CHI, today)


def test_withdrawing_one_child_deletes_their_data_and_nothing_more_is_sent(
        hub: HubServer, device: Device, capsys: pytest.CaptureFixture[str]) -> None:
    api = HubApi(hub.url)
    _, parent = api.family()
    with RecordingServer(hub.url) as proxy:
        today = _paired_with_chi_added(api, parent, device, proxy.url)
        assert _consent(device, agrees=True) == 0
        assert device.client().run_once().ok
        assert hub_day(api, parent, CHI, today)["total_seconds"] > 0

        proxy.clear()
        assert _consent(device, withdraw=True) == 0
        assert "withdrawn" in capsys.readouterr().out
        assert [r.line for r in proxy.requests] == [
            f"DELETE /v1/devices/me/consents/{_hub_consents(api, parent)[CHI]['consent_id']}"]
        assert hub_day(api, parent, CHI, today)["total_seconds"] == 0
        assert _hub_consents(api, parent)[CHI]["withdrawn_at"] is not None
        assert hub_day(api, parent, AN, today)["total_seconds"] > 0  # An is untouched
        assert "sync_consent_withdrawn" in [e.kind for e in device.ledger.events()]

        device.use(today, CHI, {"minecraft": 120})
        device.use(today, AN, {"notes": 60})
        proxy.clear()
        report = device.client().run_once()
        assert report.ok and report.sent == [(AN, today.isoformat())], report
        assert _chi_requests(proxy.requests) == []
        assert hub_day(api, parent, CHI, today)["total_seconds"] == 0
        assert hub_day(api, parent, AN, today) == expected_day(device.ledger, AN, today)


def test_a_withdrawal_while_the_hub_is_down_is_asked_again_and_nothing_is_sent_meanwhile(
        hub: HubServer, device: Device, capsys: pytest.CaptureFixture[str]) -> None:
    api = HubApi(hub.url)
    _, parent = api.family()
    with RecordingServer(hub.url) as proxy:
        today = _paired_with_chi_added(api, parent, device, proxy.url)
        assert _consent(device, agrees=True) == 0
        assert device.client().run_once().ok
        chi_id = _hub_consents(api, parent)[CHI]["consent_id"]

        proxy.fail(1000, 503)  # the hub cannot be reached
        assert _consent(device, withdraw=True) == 1
        err = capsys.readouterr().err
        assert "asked for again" in err and err.count("\n") == 1
        assert device.store.load().consent_for(CHI) is None
        assert [p["consent_id"] for p in pending_withdrawals(device.ledger)] == [chi_id]
        assert hub_day(api, parent, CHI, today)["total_seconds"] > 0  # not deleted yet

        device.use(today, CHI, {"minecraft": 300})
        proxy.clear()
        assert device.client().run_once().error is not None  # still down
        # Retried (with backoff) within the run, and nothing else is tried.
        assert {r.line for r in proxy.requests} == {f"DELETE /v1/devices/me/consents/{chi_id}"}
        assert cli.cmd_status(argparse.Namespace(config=None, data_dir=str(device.dir))) == 0
        assert f"Consent for {CHI} was withdrawn" in capsys.readouterr().out

        proxy.clear_faults()
        proxy.clear()
        report = device.client().run_once()
        assert report.ok, report
        assert proxy.requests[0].line == f"DELETE /v1/devices/me/consents/{chi_id}"
        assert _chi_requests(proxy.requests) == []
        assert hub_day(api, parent, CHI, today)["total_seconds"] == 0
        assert _hub_consents(api, parent)[CHI]["withdrawn_at"] is not None
        assert pending_withdrawals(device.ledger) == []

        proxy.clear()
        device.use(today, CHI, {"minecraft": 60})
        assert device.client().run_once().ok
        assert all("/consents/" not in r.line for r in proxy.requests)  # nothing left to ask
        assert _chi_requests(proxy.requests) == []
        text = bodies(proxy.requests)
        assert f"/days/{path_part(CHI)}/" not in text
