"""The hub app in-process with a fake clock: expiry, rate-limit windows, consent scope."""

from __future__ import annotations

import uuid
import warnings
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from sqlalchemy import func, select

from sync.hub import HubSettings, create_app
from sync.hub.models import Command, PairingCode, ParentSession, RateLimit
from sync.hub.security import ScryptParams
from sync.hub.store import purge_expired

with warnings.catch_warnings():
    warnings.simplefilter("ignore")  # Starlette's notice that it prefers httpx2 over httpx
    from fastapi.testclient import TestClient

DAY = "2026-01-05"


class Clock:
    """A settable clock."""

    def __init__(self) -> None:
        self.now = datetime(2026, 1, 5, 12, 0, tzinfo=UTC)

    def __call__(self) -> datetime:
        return self.now

    def advance(self, **delta: float) -> None:
        self.now += timedelta(**delta)


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
def client(clock: Clock) -> Iterator[TestClient]:
    settings = HubSettings(clock=clock, scrypt=ScryptParams(n=2**10))
    with TestClient(create_app("sqlite://", settings)) as test_client:
        yield test_client


def _auth(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def _family(client: TestClient, email: str = "me@example.test") -> str:
    assert client.post("/v1/families", json={"family_name": "F", "email": email,
                                              "password": "password 1"}).status_code == 201
    r = client.post("/v1/login", json={"email": email, "password": "password 1"})
    return str(r.json()["token"])


def _consent(shares: list[str]) -> dict[str, Any]:
    return {"consent_id": str(uuid.uuid4()), "child": "An", "child_birth_year": 2014,
            "parent_name": "Bố", "parent_consented_at": "2026-01-02T09:00:00+07:00",
            "child_consented": True, "child_consented_at": "2026-01-02T09:05:00+07:00",
            "shares": shares}


def _pair(client: TestClient, parent: str, consent: dict[str, Any]) -> str:
    code = client.post("/v1/pairing-codes", headers=_auth(parent)).json()["code"]
    r = client.post("/v1/devices/pair", json={"code": code, "device_name": "PC",
                                              "consents": [consent]})
    assert r.status_code == 201, r.text
    return str(r.json()["device_token"])


def test_pairing_code_expires_after_ten_minutes(client: TestClient, clock: Clock) -> None:
    parent = _family(client)
    made = client.post("/v1/pairing-codes", headers=_auth(parent)).json()
    assert made["expires_at"] == "2026-01-05T12:10:00Z"
    clock.advance(minutes=10)
    r = client.post("/v1/devices/pair", json={"code": made["code"], "device_name": "PC"})
    assert r.status_code == 400 and r.json()["error"] == "pairing_code_expired"


def test_sessions_expire(client: TestClient, clock: Clock) -> None:
    parent = _family(client)
    assert client.get("/v1/devices", headers=_auth(parent)).status_code == 200
    clock.advance(hours=12)
    r = client.get("/v1/devices", headers=_auth(parent))
    assert r.status_code == 401 and "expired" in r.json()["message"]


def test_login_limit_opens_again_after_the_window(client: TestClient, clock: Clock) -> None:
    _family(client)
    wrong = {"email": "me@example.test", "password": "nope nope"}
    for _ in range(5):
        assert client.post("/v1/login", json=wrong).status_code == 401
    r = client.post("/v1/login", json={**wrong, "password": "password 1"})
    assert r.status_code == 429 and r.headers["Retry-After"] == "900"
    clock.advance(minutes=14)
    assert client.post("/v1/login", json=wrong).headers["Retry-After"] == "60"
    clock.advance(minutes=1)
    assert client.post("/v1/login", json={**wrong, "password": "password 1"}).status_code == 200
    for _ in range(5):  # success reset the counter
        assert client.post("/v1/login", json=wrong).status_code == 401


def test_commands_expire(client: TestClient, clock: Clock) -> None:
    parent = _family(client)
    device = _pair(client, parent, _consent(["total"]))
    client.post("/v1/commands", headers=_auth(parent), json={
        "type": "grant", "child": "An", "target": "total", "minutes": 15})
    client.post("/v1/commands", headers=_auth(parent), json={
        "type": "set_limit", "child": "An", "key": "total", "daily_minutes": 90})

    def pull() -> list[str]:
        r = client.get("/v1/devices/me/commands", headers=_auth(device))
        return [c["type"] for c in r.json()["commands"]]

    assert pull() == ["grant", "set_limit"]
    clock.advance(days=2)
    assert pull() == ["set_limit"]
    clock.advance(days=28)
    assert pull() == []


def test_narrowing_a_consent_drops_what_it_no_longer_covers(client: TestClient) -> None:
    parent = _family(client)
    consent = _consent(["total", "apps", "counts"])
    device = _pair(client, parent, consent)
    r = client.put(f"/v1/devices/me/days/An/{DAY}", headers=_auth(device), json={
        "revision": 1, "consent_id": consent["consent_id"], "total_seconds": 900,
        "apps": {"minecraft": 900}, "counts": {"warnings": 3}})
    assert r.status_code == 200, r.text
    narrowed = {**consent, "shares": ["total"]}
    r = client.put(f"/v1/devices/me/consents/{consent['consent_id']}", headers=_auth(device),
                   json=narrowed)
    assert r.status_code == 200 and r.json()["shares"] == ["total"]
    day = client.get(f"/v1/children/An/days/{DAY}", headers=_auth(parent)).json()
    assert (day["total_seconds"], day["apps"], day["counts"]["warnings"]) == (900, {}, 0)
    second = _consent(["total"])
    r = client.put(f"/v1/devices/me/consents/{second['consent_id']}", headers=_auth(device),
                   json=second)
    assert r.status_code == 409 and r.json()["error"] == "consent_exists"


def test_day_may_run_one_day_ahead_of_the_hub(client: TestClient, clock: Clock) -> None:
    parent = _family(client)
    consent = _consent(["total"])
    device = _pair(client, parent, consent)
    body = {"revision": 1, "consent_id": consent["consent_id"], "total_seconds": 1}
    ahead = client.put("/v1/devices/me/days/An/2026-01-06", headers=_auth(device), json=body)
    beyond = client.put("/v1/devices/me/days/An/2026-01-07", headers=_auth(device), json=body)
    assert ahead.status_code == 200 and beyond.status_code == 422


def test_a_failed_pairing_does_not_use_up_the_code(client: TestClient) -> None:
    parent = _family(client)
    code = client.post("/v1/pairing-codes", headers=_auth(parent)).json()["code"]
    twice = [_consent(["total"]), _consent(["total"])]  # two records for one child
    r = client.post("/v1/devices/pair", json={"code": code, "device_name": "PC",
                                              "consents": twice})
    assert r.status_code == 409 and r.json()["error"] == "consent_exists"
    r = client.post("/v1/devices/pair", json={"code": code, "device_name": "PC",
                                              "consents": twice[:1]})
    assert r.status_code == 201, r.text
    assert [d["name"] for d in client.get("/v1/devices", headers=_auth(parent)).json()[
        "devices"]] == ["PC"]


def test_consent_rules_use_the_consent_time_as_given(client: TestClient) -> None:
    parent = _family(client)
    code = client.post("/v1/pairing-codes", headers=_auth(parent)).json()["code"]
    consent = {**_consent(["total"]), "child_birth_year": 2019, "child_consented": False,
               "child_consented_at": None,
               "parent_consented_at": "2025-12-31T20:00:00-05:00"}  # six on that evening
    r = client.post("/v1/devices/pair", json={"code": code, "device_name": "PC",
                                              "consents": [consent]})
    assert r.status_code == 201, r.text
    stored = client.get("/v1/consents", headers=_auth(parent)).json()["consents"]
    assert stored[0]["parent_consented_at"] == "2026-01-01T01:00:00Z"  # 7 by UTC's year


def test_expired_rows_are_purged(client: TestClient, clock: Clock) -> None:
    parent = _family(client)
    client.post("/v1/login", json={"email": "me@example.test", "password": "wrong one"})
    client.post("/v1/pairing-codes", headers=_auth(parent))
    client.post("/v1/commands", headers=_auth(parent), json={
        "type": "grant", "child": "An", "target": "total", "minutes": 15})
    hub = client.app.state.hub  # type: ignore[attr-defined]
    tables = (RateLimit, ParentSession, PairingCode, Command)

    def counts() -> list[int]:
        with hub.db.begin() as s:
            return [s.scalar(select(func.count()).select_from(t)) for t in tables]

    assert counts() == [2, 1, 1, 1]  # rate limits: the sign-up and the failed login
    clock.advance(days=3, minutes=1)
    with hub.db.begin() as s:
        purge_expired(s, clock.now)
    assert counts() == [0, 0, 0, 0]


def test_computer_time_per_day_and_week(client: TestClient) -> None:
    parent = _family(client)
    consent = _consent(["total"])
    device = _pair(client, parent, consent)
    r = client.put(f"/v1/devices/me/days/An/{DAY}", headers=_auth(device), json={
        "revision": 1, "consent_id": consent["consent_id"], "total_seconds": 900,
        "screen_seconds": 5400})
    assert r.status_code == 200, r.text
    day = client.get(f"/v1/children/An/days/{DAY}", headers=_auth(parent)).json()
    assert (day["total_seconds"], day["screen_seconds"]) == (900, 5400)
    week = client.get("/v1/children/An/weeks/2026-W02", headers=_auth(parent)).json()
    assert week["screen_seconds"] == 5400
    assert [d["screen_seconds"] for d in week["days"]][:2] == [5400, 0]


def test_an_older_database_gets_the_screen_column(tmp_path: Any) -> None:
    import sqlite3

    from sync.hub.db import Database

    path = tmp_path / "hub.sqlite"
    Database(f"sqlite:///{path}").create_schema()
    with sqlite3.connect(path) as conn:  # as made before `screen_seconds` existed
        conn.execute("ALTER TABLE day_summaries DROP COLUMN screen_seconds")
    Database(f"sqlite:///{path}").create_schema()
    with sqlite3.connect(path) as conn:
        columns = {row[1] for row in conn.execute("PRAGMA table_info(day_summaries)")}
    assert "screen_seconds" in columns
