"""The family hub over real HTTP: accounts, pairing, tokens, consents, commands, bad input."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

import pytest
import requests
from sqlalchemy import update

from sync.hub.db import Database
from sync.hub.models import PairingCode
from sync.hub.security import digest
from tests.support.hubserver import HubApi, HubServer
from tests.support.postgres import database_url

DAY = "2026-01-05"


@pytest.fixture(scope="module",
                params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def hub(request: pytest.FixtureRequest,
        tmp_path_factory: pytest.TempPathFactory) -> Iterator[HubServer]:
    tmp = tmp_path_factory.mktemp(f"hub-{request.param}")
    with HubServer(database_url(request.param, tmp, request), log_dir=tmp) as server:
        yield server


@pytest.fixture
def api(hub: HubServer) -> HubApi:
    return HubApi(hub.url)


def test_health_and_openapi_document_the_v1_api(api: HubApi) -> None:
    health = api.call("GET", "/v1/health").json()
    assert health["status"] == "ok" and health["api_version"] == 1
    doc = api.call("GET", "/openapi.json").json()
    paths = set(doc["paths"])
    for path in ("/v1/families", "/v1/login", "/v1/pairing-codes", "/v1/devices/pair",
                 "/v1/devices", "/v1/devices/{device_id}", "/v1/devices/me",
                 "/v1/devices/me/days/{child}/{day}", "/v1/children/{child}/days/{day}",
                 "/v1/children/{child}/weeks/{week}", "/v1/report", "/v1/commands",
                 "/v1/devices/me/commands", "/v1/devices/me/commands/{command_id}/ack"):
        assert path in paths, path
    assert all(p.startswith("/v1/") for p in paths)
    assert {"ParentSession", "DeviceToken"} <= set(doc["components"]["securitySchemes"])
    summary = doc["components"]["schemas"]["DaySummaryIn"]
    assert summary["additionalProperties"] is False
    assert set(summary["properties"]) == {"revision", "consent_id", "total_seconds", "apps",
                                          "categories", "counts", "limits", "running"}


def test_family_creation_and_login(api: HubApi) -> None:
    email, token = api.family()
    assert token.startswith("pcs_")
    again = api.call("POST", "/v1/families", json={
        "family_name": "Other", "email": email.upper(), "password": "another pass"})
    assert again.status_code == 409 and again.json()["error"] == "email_taken"
    wrong = api.call("POST", "/v1/login", json={"email": email, "password": "wrong pass"})
    assert wrong.status_code == 401 and wrong.json()["error"] == "bad_credentials"
    assert api.call("GET", "/v1/devices", token).json() == {"devices": []}
    assert api.call("POST", "/v1/logout", token).status_code == 204
    assert api.call("GET", "/v1/devices", token).status_code == 401


def test_login_is_rate_limited_per_address_and_account(api: HubApi) -> None:
    email, _ = api.family(password="right password")
    other_email, _ = api.family(password="right password")
    for _ in range(5):
        r = api.call("POST", "/v1/login", json={"email": email, "password": "guess"})
        assert r.status_code == 401
    blocked = api.call("POST", "/v1/login", json={"email": email, "password": "right password"})
    assert blocked.status_code == 429, blocked.text
    assert blocked.json()["error"] == "rate_limited"
    assert 0 < int(blocked.headers["Retry-After"]) <= 900
    ok = api.call("POST", "/v1/login", json={"email": other_email, "password": "right password"})
    assert ok.status_code == 200


def test_pairing_code_is_single_use_and_forgiving_to_type(api: HubApi) -> None:
    _, parent = api.family()
    code = api.pairing_code(parent)
    assert len(code) == 8
    typed = f"{code[:4].lower()}-{code[4:].lower()}"
    first = api.call("POST", "/v1/devices/pair", json={"code": typed, "device_name": "PC 1"})
    assert first.status_code == 201, first.text
    assert first.json()["device_token"].startswith("pcd_")
    second = api.call("POST", "/v1/devices/pair", json={"code": code, "device_name": "PC 2"})
    assert second.status_code == 400 and second.json()["error"] == "pairing_code_used"
    devices = api.call("GET", "/v1/devices", parent).json()["devices"]
    assert [d["name"] for d in devices] == ["PC 1"]


def test_expired_pairing_code_is_refused(hub: HubServer, api: HubApi) -> None:
    _, parent = api.family()
    code = api.pairing_code(parent)
    db = Database(hub.db_url)
    try:
        with db.begin() as s:
            s.execute(update(PairingCode).where(PairingCode.code_sha256 == digest(code))
                      .values(expires_at=datetime.now(UTC) - timedelta(seconds=1)))
    finally:
        db.dispose()
    r = api.call("POST", "/v1/devices/pair", json={"code": code, "device_name": "late PC"})
    assert r.status_code == 400 and r.json()["error"] == "pairing_code_expired"


def test_pairing_guesses_are_rate_limited_per_client_address(api: HubApi) -> None:
    # The hub trusts X-Forwarded-For from loopback (a local TLS proxy), so this is a client.
    guesser = {"X-Forwarded-For": "203.0.113.7"}
    for _ in range(10):
        r = api.call("POST", "/v1/devices/pair", headers=guesser,
                     json={"code": "ZZZZZZZZ", "device_name": "guess"})
        assert r.status_code == 400 and r.json()["error"] == "pairing_code_invalid"
    r = api.call("POST", "/v1/devices/pair", headers=guesser,
                 json={"code": "ZZZZZZZZ", "device_name": "guess"})
    assert r.status_code == 429 and int(r.headers["Retry-After"]) > 0
    other = api.call("POST", "/v1/devices/pair", headers={"X-Forwarded-For": "203.0.113.8"},
                     json={"code": "ZZZZZZZZ", "device_name": "guess"})
    assert other.status_code == 400


def test_wrong_kind_unknown_and_revoked_tokens_get_401(api: HubApi) -> None:
    _, parent = api.family()
    device, consents = api.pair(parent)
    assert api.call("GET", "/v1/devices").status_code == 401
    assert api.call("GET", "/v1/devices", "pcs_not-a-real-token").status_code == 401
    assert api.call("GET", "/v1/devices", device).status_code == 401
    assert api.call("GET", "/v1/devices/me", parent).status_code == 401
    me = api.call("GET", "/v1/devices/me", device)
    assert me.status_code == 200 and me.json()["children"] == ["An"]
    _, stranger = api.family()
    assert api.call("DELETE", f"/v1/devices/{me.json()['id']}", stranger).status_code == 404
    assert api.call("DELETE", f"/v1/devices/{me.json()['id']}", parent).status_code == 204
    r = api.upload(device, consents["An"], "An", DAY, 1, 60)
    assert r.status_code == 401 and r.headers["WWW-Authenticate"] == "Bearer"
    assert r.json()["error"] == "unauthorized"


def test_parent_deleting_a_device_deletes_its_data(api: HubApi) -> None:
    _, parent = api.family()
    kept, kept_consents = api.pair(parent, "kept")
    gone, gone_consents = api.pair(parent, "gone")
    assert api.upload(kept, kept_consents["An"], "An", DAY, 1, 100).status_code == 200
    assert api.upload(gone, gone_consents["An"], "An", DAY, 1, 200).status_code == 200
    assert api.call("GET", f"/v1/children/An/days/{DAY}", parent).json()["total_seconds"] == 300
    gone_id = api.call("GET", "/v1/devices/me", gone).json()["id"]
    assert api.call("DELETE", f"/v1/devices/{gone_id}", parent).status_code == 204
    day = api.call("GET", f"/v1/children/An/days/{DAY}", parent).json()
    assert day["total_seconds"] == 100 and [d["device_name"] for d in day["devices"]] == ["kept"]
    consents = api.call("GET", "/v1/consents", parent).json()["consents"]
    assert [c["consent_id"] for c in consents] == [kept_consents["An"]]


def test_device_withdrawing_consent_deletes_its_data_and_token(api: HubApi) -> None:
    _, parent = api.family()
    device, consents = api.pair(parent)
    assert api.upload(device, consents["An"], "An", DAY, 1, 500).status_code == 200
    assert api.call("DELETE", "/v1/devices/me", device).status_code == 204
    assert api.call("GET", f"/v1/children/An/days/{DAY}", parent).json()["total_seconds"] == 0
    assert api.call("GET", "/v1/devices", parent).json()["devices"] == []
    assert api.call("DELETE", "/v1/devices/me", device).status_code == 401


def test_withdrawing_one_childs_consent(api: HubApi) -> None:
    _, parent = api.family()
    device, consents = api.pair(parent, children=("An", "Bình"))
    assert api.upload(device, consents["An"], "An", DAY, 1, 100).status_code == 200
    assert api.upload(device, consents["Bình"], "Bình", DAY, 1, 200).status_code == 200
    r = api.call("DELETE", f"/v1/devices/me/consents/{consents['An']}", device)
    assert r.status_code == 204
    assert api.call("GET", f"/v1/children/An/days/{DAY}", parent).json()["total_seconds"] == 0
    assert api.call("GET", f"/v1/children/Bình/days/{DAY}", parent).json()[
        "total_seconds"] == 200
    again = api.upload(device, consents["An"], "An", DAY, 2, 100)
    assert again.status_code == 403 and again.json()["error"] == "consent_withdrawn"
    recorded = {c["child"]: c["withdrawn_at"]
                for c in api.call("GET", "/v1/consents", parent).json()["consents"]}
    assert recorded["An"] is not None and recorded["Bình"] is None


def test_uploads_stay_inside_the_consent(api: HubApi) -> None:
    _, parent = api.family()
    device, _ = api.pair(parent, children=())
    consent = HubApi.consent_body("An", shares=("total",))
    r = api.call("PUT", f"/v1/devices/me/consents/{consent['consent_id']}", device, json=consent)
    assert r.status_code == 200, r.text
    cid = consent["consent_id"]
    refused = api.upload(device, cid, "An", DAY, 1, 600, apps={"minecraft": 600})
    assert refused.status_code == 403 and refused.json()["error"] == "outside_consent"
    assert "apps" in refused.json()["message"]
    assert api.upload(device, cid, "An", DAY, 1, 600).status_code == 200
    wrong_child = api.upload(device, cid, "Bình", DAY, 1, 600)
    assert wrong_child.status_code == 403 and wrong_child.json()["error"] == "consent_mismatch"
    unknown = api.upload(device, "00000000-0000-4000-8000-000000000000", "An", DAY, 1, 6)
    assert unknown.status_code == 403 and unknown.json()["error"] == "consent_required"


def test_child_of_seven_must_consent_too(api: HubApi) -> None:
    _, parent = api.family()
    consent = HubApi.consent_body("An")
    consent.update(child_consented=False, child_consented_at=None)
    r = api.call("POST", "/v1/devices/pair", json={
        "code": api.pairing_code(parent), "device_name": "PC", "consents": [consent]})
    assert r.status_code == 422
    assert "must consent too" in r.json()["message"]
    consent.update(child_birth_year=2022)  # five in 2026: the parent's consent suffices
    r = api.call("POST", "/v1/devices/pair", json={
        "code": api.pairing_code(parent), "device_name": "PC", "consents": [consent]})
    assert r.status_code == 201, r.text


def test_commands_pull_and_ack_are_idempotent(api: HubApi) -> None:
    _, parent = api.family()
    first, _ = api.pair(parent, "first")
    second, _ = api.pair(parent, "second")
    grant = api.call("POST", "/v1/commands", parent, json={
        "type": "grant", "child": "An", "target": "games", "minutes": 30, "day": DAY})
    limit = api.call("POST", "/v1/commands", parent, json={
        "type": "set_limit", "child": "An", "key": "total", "daily_minutes": 120})
    assert grant.status_code == 201 and limit.status_code == 201, (grant.text, limit.text)
    ids = [grant.json()["id"], limit.json()["id"]]
    assert grant.json()["payload"] == {"child": "An", "target": "games", "minutes": 30,
                                       "day": DAY}
    pulled = api.call("GET", "/v1/devices/me/commands", first).json()
    assert [c["id"] for c in pulled["commands"]] == ids and pulled["next_after"] == ids[1]
    assert api.call("GET", "/v1/devices/me/commands", first).json() == pulled
    ack = api.call("POST", f"/v1/devices/me/commands/{ids[0]}/ack", first)
    repeat = api.call("POST", f"/v1/devices/me/commands/{ids[0]}/ack", first,
                      json={"status": "rejected"})
    assert ack.status_code == repeat.status_code == 200
    assert repeat.json() == ack.json() and ack.json()["status"] == "applied"
    left = api.call("GET", "/v1/devices/me/commands", first).json()["commands"]
    assert [c["id"] for c in left] == ids[1:]
    page = api.call("GET", f"/v1/devices/me/commands?after={ids[0]}&limit=1", second).json()
    assert [c["id"] for c in page["commands"]] == ids[1:]
    assert [c["id"] for c in api.call("GET", "/v1/devices/me/commands", second).json()[
        "commands"]] == ids
    listed = api.call("GET", "/v1/commands", parent).json()["commands"]
    assert [len(c["acks"]) for c in listed] == [1, 0]
    _, stranger = api.family()
    stranger_device, _ = api.pair(stranger)
    assert api.call("GET", "/v1/devices/me/commands", stranger_device).json()["commands"] == []
    theirs = api.call("POST", f"/v1/devices/me/commands/{ids[1]}/ack", stranger_device)
    assert theirs.status_code == 404


def test_answering_a_childs_request(api: HubApi) -> None:
    _, parent = api.family()
    asker, _ = api.pair(parent, "asker")
    bystander, _ = api.pair(parent, "bystander")
    body = {"client_request_id": "req-1", "child": "An", "target": "games", "minutes": 20}
    made = api.call("POST", "/v1/devices/me/requests", asker, json=body)
    resent = api.call("POST", "/v1/devices/me/requests", asker, json=body)
    assert made.status_code == 201 and resent.status_code == 200
    assert made.json() == resent.json() and made.json()["status"] == "open"
    changed = api.call("POST", "/v1/devices/me/requests", asker, json={**body, "minutes": 90})
    assert changed.status_code == 409
    listed = api.call("GET", "/v1/requests", parent).json()["requests"]
    assert [r["id"] for r in listed] == [made.json()["id"]]
    answer = {"type": "answer_request", "request_id": made.json()["id"], "approve": True}
    r = api.call("POST", "/v1/commands", parent, json=answer)
    assert r.status_code == 201, r.text
    assert r.json()["payload"]["minutes"] == 20 and r.json()["payload"]["approve"] is True
    assert api.call("POST", "/v1/commands", parent, json=answer).status_code == 409
    pulled = api.call("GET", "/v1/devices/me/commands", asker).json()["commands"]
    assert [c["payload"]["client_request_id"] for c in pulled] == ["req-1"]
    assert api.call("GET", "/v1/devices/me/commands", bystander).json()["commands"] == []
    assert api.call("GET", "/v1/requests?status=approved", parent).json()["requests"][0][
        "answered_minutes"] == 20


@pytest.mark.parametrize(("body", "field"), [
    ({"total_seconds": 86_401}, "body.total_seconds"),
    ({"total_seconds": -1}, "body.total_seconds"),
    ({"total_seconds": "60"}, "body.total_seconds"),
    ({"revision": -1}, "body.revision"),
    ({"apps": {f"app{i}": 1 for i in range(201)}}, "body.apps"),
    ({"apps": {"C:/Games/mc.exe": 60}}, "body.apps.C:/Games/mc.exe.[key]"),
    ({"apps": {"minecraft": 86_401}}, "body.apps.minecraft"),
    ({"window_title": "Minecraft - Server"}, "body.window_title"),
    ({"url": "https://example.com"}, "body.url"),
    ({"cmdline": "java -jar mc.jar"}, "body.cmdline"),
    ({"counts": {"warnings": 1, "titles": ["x"]}}, "body.counts.titles"),
])
def test_bad_summaries_get_422_naming_the_field(api: HubApi, body: dict[str, object],
                                                field: str) -> None:
    _, parent = api.family()
    device, consents = api.pair(parent)
    full = {"revision": 1, "consent_id": consents["An"], "total_seconds": 60, **body}
    r = api.call("PUT", f"/v1/devices/me/days/An/{DAY}", device, json=full)
    assert r.status_code == 422, r.text
    assert r.json()["error"] == "validation_error"
    assert field in [f["field"] for f in r.json()["fields"]], r.json()
    assert field in r.json()["message"]


@pytest.mark.parametrize(("path", "field"), [
    ("/v1/children/An/days/2026-13-01", "path.day"),
    ("/v1/children/An/days/20260105", "path.day"),
    ("/v1/children/An/weeks/2026-W54", "path.week"),
    ("/v1/children/An/weeks/2026-48", "path.week"),
    (f"/v1/children/{'x' * 65}/days/{DAY}", "path.child"),
    ("/v1/report?week=2025-W53", "query.week"),
    ("/v1/report", "query.week"),
])
def test_bad_paths_and_queries_get_422(api: HubApi, path: str, field: str) -> None:
    _, parent = api.family()
    r = api.call("GET", path, parent)
    assert r.status_code == 422, r.text
    assert [f["field"] for f in r.json()["fields"]] == [field]


def test_bad_account_input_and_future_days(api: HubApi) -> None:
    r = api.call("POST", "/v1/families", json={"family_name": "F", "email": "not-an-email",
                                               "password": "short"})
    assert r.status_code == 422
    assert {f["field"] for f in r.json()["fields"]} == {"body.email", "body.password"}
    bad_json = api.call("POST", "/v1/login", data=b"{nope",
                        headers={"Content-Type": "application/json"})
    assert bad_json.status_code == 400 and bad_json.json()["error"] == "invalid_json"
    _, parent = api.family()
    device, consents = api.pair(parent)
    future = (datetime.now(UTC).date() + timedelta(days=3)).isoformat()
    r = api.upload(device, consents["An"], "An", future, 1, 60)
    assert r.status_code == 422 and "future" in r.json()["message"]
    r = api.call("POST", "/v1/commands", parent, json={"type": "grant", "child": "An",
                                                       "target": "games", "minutes": 0})
    assert r.status_code == 422 and r.json()["fields"][0]["field"] == "body.grant.minutes"
    r = api.call("POST", "/v1/commands", parent, json={"type": "reboot"})
    assert r.status_code == 422


def test_bodies_over_256_kib_get_413(api: HubApi) -> None:
    _, parent = api.family()
    device, consents = api.pair(parent)
    padding = "x" * (300 * 1024)
    r = api.call("PUT", f"/v1/devices/me/days/An/{DAY}", device,
                 data=f'{{"pad": "{padding}"}}', headers={"Content-Type": "application/json"})
    assert r.status_code == 413 and r.json()["error"] == "body_too_large"

    def chunks() -> Iterator[bytes]:
        yield b'{"pad": "'
        for _ in range(40):
            yield b"y" * 8192
        yield b'"}'

    streamed = requests.put(f"{api.base}/v1/devices/me/days/An/{DAY}", data=chunks(),
                            headers={"Authorization": f"Bearer {device}",
                                     "Content-Type": "application/json"}, timeout=30)
    assert streamed.status_code == 413
    fine = api.upload(device, consents["An"], "An", DAY, 1, 60)
    assert fine.status_code == 200


def test_unknown_paths_get_json_404(api: HubApi) -> None:
    r = api.call("GET", "/v1/nothing-here")
    assert r.status_code == 404 and r.json()["error"] == "not_found"
    r = api.call("PATCH", "/v1/login")
    assert r.status_code == 405 and r.json()["error"] == "method_not_allowed"
