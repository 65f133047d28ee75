"""Consent and privacy: nothing leaves before consent, only summaries leave, withdrawal deletes."""

from __future__ import annotations

import argparse
import datetime as dt
import json
from collections.abc import Iterator
from pathlib import Path

import pytest

from playclock.cli import sync as cli
from sync.state import TOKEN_NAME
from sync.transport import path_part
from tests.support.hubserver import HubApi, HubServer
from tests.support.recording_server import RecordingServer
from tests.support.sync_devices import (
    AN,
    BINH,
    PRIVATE,
    TZ,
    YEAR,
    Device,
    bodies,
    expected_day,
    fast_session,
    hub_day,
    start_hub,
)

SUMMARY_KEYS = {"revision", "consent_id", "total_seconds", "apps", "categories", "counts"}


@pytest.fixture(scope="module")
def hub(request: pytest.FixtureRequest,
        tmp_path_factory: pytest.TempPathFactory) -> Iterator[HubServer]:
    yield from start_hub(request, tmp_path_factory.mktemp("hub-consent"))


@pytest.fixture
def device(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Device]:
    dev = Device(tmp_path, dt.datetime.now(TZ))
    monkeypatch.setattr(cli, "open_secrets", lambda _data=None: dev.secrets)
    monkeypatch.setattr(cli, "session_factory", fast_session)
    yield dev
    dev.close()


def _args(device: Device, url: str = "", code: str = "", parent: str | None = None,
          children: tuple[str, ...] = ()) -> argparse.Namespace:
    return argparse.Namespace(url=url, code=code, parent_name=parent, child_consent=list(children),
                              ca_bundle=None, config=str(device.rules), data_dir=str(device.dir))


def test_nothing_leaves_before_consent(device: Device, capsys: pytest.CaptureFixture[str]) -> None:
    today = device.now().date()
    device.use(today, AN, {"minecraft": 600})
    with RecordingServer() as sink:  # no hub behind it: it only records
        assert device.client().run_once().skipped == "disabled"
        refused = [
            (_args(device, sink.url, "ABCD-EFGH"), "--parent-name"),
            (_args(device, sink.url, "ABCD-EFGH", "Mẹ"), AN),  # An is 7+: An must agree
            (_args(device, sink.url, "ABCD-EFGH", "Mẹ", (AN, "Nobody")), "Nobody"),
            (_args(device, "http://hub.example.vn", "ABCD-EFGH", "Mẹ", (AN,)), "https://"),
        ]
        for args, named in refused:
            assert cli.cmd_pair(args) == 2
            assert named in capsys.readouterr().err
        assert cli.cmd_now(_args(device)) == 1  # sync is off
        assert sink.requests == []
        state = device.store.load()
        assert (state.enabled, state.consents, state.hub) == (False, {}, None)
        assert device.secrets.get(TOKEN_NAME) is None


def test_pairing_records_consent_first_and_only_summaries_leave(
        hub: HubServer, device: Device, capsys: pytest.CaptureFixture[str]) -> None:
    api = HubApi(hub.url)
    _, parent = api.family()
    with RecordingServer(hub.url) as proxy:
        code = api.pairing_code(parent)
        assert cli.cmd_pair(_args(device, proxy.url, code, "Mẹ", (AN,))) == 0
        kinds = [e.kind for e in device.ledger.events()]
        assert kinds.index("sync_consent") < kinds.index("sync_paired")
        consent_events = [e for e in device.ledger.events() if e.kind == "sync_consent"]
        assert {e.child: e.detail["child_consented"] for e in consent_events} == {
            AN: True, BINH: False}
        (pair_req,) = proxy.requests
        assert pair_req.line == "POST /v1/devices/pair"
        on_hub = api.call("GET", "/v1/consents", parent).json()["consents"]
        assert {(c["child"], c["parent_name"], c["child_consented"], tuple(c["shares"]))
                for c in on_hub} == {(AN, "Mẹ", True, ("total", "apps", "categories", "counts")),
                                     (BINH, "Mẹ", False, ("total", "apps", "categories",
                                                          "counts"))}
        assert device.secrets.get(TOKEN_NAME, ).startswith("pcd_")  # type: ignore[union-attr]
        assert device.store.load().enabled

        device.wall = dt.datetime.now(TZ).timestamp() + 1  # the device clock goes on
        today = device.now().date()
        device.use(today, AN, {"minecraft": 1500, "notes": 100}, warnings=2, closes=1,
                   requests=1)
        device.use(today, BINH, {"roblox": 300})
        device.ledger.add_request(device.now(), AN, 20, "please mum, https://example.vn")
        proxy.clear()
        report = device.client().run_once()
        assert report.ok and len(report.sent) == 2 and len(report.forwarded) == 1, report
        text = bodies(proxy.requests)
        for private in PRIVATE:
            assert private not in text, private
        for rec in proxy.matching("PUT /v1/devices/me/days/"):
            body = rec.json()
            assert set(body) == SUMMARY_KEYS
            assert set(body["apps"]) <= {"minecraft", "roblox", "notes"}
            assert set(body["categories"]) <= {"games"}
        assert f"/days/{path_part(BINH)}/" in text  # a Vietnamese name, percent-encoded
        for child in (AN, BINH):
            assert hub_day(api, parent, child, today) == expected_day(device.ledger, child, today)

        capsys.readouterr()
        assert cli.cmd_status(_args(device)) == 0
        out = capsys.readouterr().out
        assert "on" in out and AN in out and BINH in out and "Mẹ" in out


def test_a_child_who_turned_seven_without_agreeing_is_not_sent(
        hub: HubServer, device: Device) -> None:
    api = HubApi(hub.url)
    _, parent = api.family()
    with RecordingServer(hub.url) as proxy:
        assert cli.cmd_pair(_args(device, proxy.url, api.pairing_code(parent), "Mẹ", (AN,))) == 0
        with device.store.locked() as state:
            state.consents[BINH.casefold()].birth_year = YEAR - 7  # now 7: must agree too
        today = device.now().date()
        device.use(today, AN, {"minecraft": 60})
        device.use(today, BINH, {"roblox": 60})
        proxy.clear()
        report = device.client().run_once()
        assert report.notes == [f"child_consent_needed:{BINH}"]
        assert report.sent == [(AN, today.isoformat())]
        assert path_part(BINH) not in bodies(proxy.requests)
        assert hub_day(api, parent, BINH, today)["total_seconds"] == 0


def test_withdrawal_deletes_the_device_data_on_the_hub(
        hub: HubServer, device: Device, capsys: pytest.CaptureFixture[str]) -> None:
    api = HubApi(hub.url)
    _, parent = api.family()
    with RecordingServer(hub.url) as proxy:
        assert cli.cmd_pair(_args(device, proxy.url, api.pairing_code(parent), "Mẹ", (AN,))) == 0
        today = device.now().date()
        device.use(today, AN, {"minecraft": 900})
        assert device.client().run_once().ok
        assert hub_day(api, parent, AN, today)["total_seconds"] > 0

        # The hub cannot be reached: sync stops at once; the deletion is asked again later.
        proxy.fail(1000, 503)
        assert cli.cmd_withdraw(_args(device)) == 1
        assert "sync is off" in capsys.readouterr().err
        state = device.store.load()
        assert (state.enabled, state.withdraw_pending) == (False, True)
        assert hub_day(api, parent, AN, today)["total_seconds"] > 0
        proxy.clear_faults()
        proxy.clear()
        report = device.client().run_once()
        assert report.ok and report.sent == []
        assert [r.line for r in proxy.requests] == ["DELETE /v1/devices/me"]

        assert hub_day(api, parent, AN, today)["total_seconds"] == 0
        assert api.call("GET", "/v1/devices", parent).json()["devices"] == []
        assert api.call("GET", "/v1/consents", parent).json()["consents"] == []
        assert device.secrets.get(TOKEN_NAME) is None
        state = device.store.load()
        assert not state.enabled and not state.withdraw_pending
        assert all(c.withdrawn_at for c in state.consents.values())
        assert "sync_withdrawn" in [e.kind for e in device.ledger.events()]

        # Afterwards nothing is sent at all.
        device.use(today, AN, {"minecraft": 60})
        proxy.clear()
        assert device.client().run_once().skipped == "disabled"
        assert cli.cmd_withdraw(_args(device)) == 0  # nothing left to withdraw
        assert proxy.requests == []


def test_withdraw_through_the_cli_when_the_hub_answers(
        hub: HubServer, device: Device) -> None:
    api = HubApi(hub.url)
    _, parent = api.family()
    assert cli.cmd_pair(_args(device, hub.url, api.pairing_code(parent), "Mẹ", (AN,))) == 0
    today = device.now().date()
    device.use(today, BINH, {"roblox": 400})
    assert device.client().run_once().ok
    assert hub_day(api, parent, BINH, today)["total_seconds"] == 400
    assert cli.cmd_withdraw(_args(device)) == 0
    assert hub_day(api, parent, BINH, today)["total_seconds"] == 0
    assert api.call("GET", "/v1/devices", parent).json()["devices"] == []
    info = json.dumps(cli.sync_info(device.ledger))
    assert "pcd_" not in info and '"enabled": false' in info


def test_on_a_terminal_pairing_asks_about_the_words_apart_from_the_summaries(
        hub: HubServer, device: Device, monkeypatch: pytest.MonkeyPatch,
        capsys: pytest.CaptureFixture[str]) -> None:
    api = HubApi(hub.url)
    _, parent = api.family()
    monkeypatch.setattr(cli, "pairing_session_factory", fast_session)
    monkeypatch.setattr("sys.stdin.isatty", lambda: True)
    # Mẹ; An agrees to the summaries, Mẹ shares An's words, An says no to that; Bình (under
    # 7): Mẹ shares Bình's words.
    answers = iter(["Mẹ", "y", "y", "n", "y"])
    asked: list[str] = []

    def answer(prompt: str = "") -> str:
        asked.append(prompt)
        return next(answers)

    monkeypatch.setattr("builtins.input", answer)
    assert cli.cmd_pair(_args(device, hub.url, api.pairing_code(parent))) == 0
    assert [q.split(" ")[0] for q in asked] == ["Name", "Does", "Share", "Does", "Share"]
    assert f"Does {AN} agree to share the words" in asked[3]
    out = capsys.readouterr().out
    assert "the words of the child's requests for more time" in out
    assert f"The words of {AN}'s requests stay on this computer" in out
    shares = {c["child"]: c["shares"] for c in api.call(
        "GET", "/v1/consents", parent).json()["consents"]}
    assert "messages" not in shares[AN] and "messages" in shares[BINH]
