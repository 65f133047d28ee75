"""A hub database made by an older hub is upgraded in place, on SQLite and PostgreSQL.

The old tables come from tests/data/hub_schema/vN-DIALECT.sql: the DDL of sync/hub/models.py
at schema versions 1 and 2, as those hubs created it. Rows are written into them, then the
real `playclock hub serve` (or `hub init`) starts on the database; everything is still
there, the new columns work through the API, and request words kept before the `messages`
consent share existed are deleted (no consent covered them).
"""

from __future__ import annotations

import datetime as dt
import json
import uuid
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import create_engine, text

from sync.hub.db import Database, normalize_url
from sync.hub.models import SCHEMA_VERSION, ChildRequest, Consent, DaySummary, Meta
from sync.hub.security import digest, hash_password
from sync.hub.setup import InitRequest, init_hub
from tests.support.hubserver import REPO_ROOT, HubApi, HubServer
from tests.support.postgres import database_url

SCHEMAS = REPO_ROOT / "tests" / "data" / "hub_schema"
PASSWORD = "correct horse 1"
EMAIL = "me@example.test"
DEVICE_TOKEN = "pcd_" + "a" * 40
CONSENT = str(uuid.uuid4())
DAY = dt.date(2026, 1, 5)
NOW = dt.datetime(2026, 1, 5, 3, 0)  # naive UTC, as the hub stores it


def _old_database(url: str, version: int) -> None:
    """The tables of schema `version` and a family's rows in them, as that hub left them."""
    engine = create_engine(normalize_url(url))
    dialect = "postgresql" if engine.dialect.name == "postgresql" else "sqlite"
    ddl = (SCHEMAS / f"v{version}-{dialect}.sql").read_text("utf-8")
    statements = [s.strip() for s in ddl.split(";")]
    extra = ", message" if version >= 2 else ""
    with engine.begin() as conn:
        for statement in statements:
            body = "\n".join(x for x in statement.splitlines() if not x.startswith("--"))
            if body.strip():
                conn.exec_driver_sql(body)
        rows: list[tuple[str, dict[str, Any]]] = [
            ("INSERT INTO hub_meta (key, value) VALUES ('schema_version', :v)",
             {"v": str(version)}),
            ("INSERT INTO families (id, name, created_at) VALUES (1, 'Gia đình Nguyễn', :t)",
             {"t": NOW}),
            ("INSERT INTO parents (id, family_id, email, name, password_hash, created_at) "
             "VALUES (1, 1, :e, 'Mẹ', :h, :t)", {"e": EMAIL, "h": hash_password(PASSWORD),
                                                 "t": NOW}),
            ("INSERT INTO devices (id, family_id, name, created_at, last_seen_at) "
             "VALUES (1, 1, 'PC phòng khách', :t, :t)", {"t": NOW}),
            ("INSERT INTO device_tokens (token_sha256, device_id, created_at) "
             "VALUES (:d, 1, :t)", {"d": digest(DEVICE_TOKEN), "t": NOW}),
            ("INSERT INTO consents (id, family_id, device_id, child, child_key, "
             "child_birth_year, parent_name, parent_consented_at, child_consented, "
             "child_consented_at, shares, recorded_at) VALUES (:c, 1, 1, 'An', 'an', 2014, "
             "'Mẹ', :t, :yes, :t, :s, :t)",
             {"c": CONSENT, "t": NOW, "yes": True,
              "s": json.dumps(["total", "apps", "categories", "counts"])}),
            ("INSERT INTO day_summaries (id, family_id, device_id, child, child_key, day, "
             "revision, consent_id, total_seconds, apps, categories, warnings, closes, grants, "
             "requests, gaps, gap_seconds, tamper, updated_at) VALUES (1, 1, 1, 'An', 'an', "
             ":d, 3, :c, 3600, :apps, :cats, 2, 1, 1, 1, 1, 120, 0, :t)",
             {"d": DAY, "c": CONSENT, "t": NOW, "apps": json.dumps({"minecraft": 3000}),
              "cats": json.dumps({"games": 3000})}),
            ("INSERT INTO commands (id, family_id, device_id, kind, payload, created_at, "
             "expires_at, created_by) VALUES (1, 1, NULL, 'grant', :p, :t, :x, 1)",
             {"p": json.dumps({"child": "An", "target": "games", "minutes": 30}), "t": NOW,
              "x": NOW + dt.timedelta(days=3650)}),
            (f"INSERT INTO child_requests (id, family_id, device_id, client_request_id, child, "
             f"child_key, target, minutes, requested_at, status{extra}) VALUES (1, 1, 1, "
             f"'r1-1', 'An', 'an', 'total', 20, :t, 'open'{', :m' if extra else ''})",
             {"t": NOW, "m": "bí mật"}),
        ]
        for sql, params in rows:
            conn.execute(text(sql), params)
        if dialect == "postgresql":  # ids were given: move the sequences past them
            for table in ("families", "parents", "devices", "day_summaries", "commands",
                          "child_requests"):
                conn.exec_driver_sql(
                    f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), 1)")
    engine.dispose()


def _check_kept(url: str) -> None:
    """The rows written before the upgrade, as they were; the request's words gone."""
    db = Database(url)
    try:
        with db.begin() as s:
            assert s.get_one(Meta, "schema_version").value == str(SCHEMA_VERSION)
            day = s.get_one(DaySummary, 1)
            assert (day.child, day.day, day.revision, day.total_seconds, day.apps,
                    day.categories, day.warnings, day.gap_seconds) == (
                "An", DAY, 3, 3600, {"minecraft": 3000}, {"games": 3000}, 2, 120)
            assert day.screen_seconds == 0 and day.status is None  # new columns, defaults
            req = s.get_one(ChildRequest, 1)
            assert (req.child, req.minutes, req.status) == ("An", 20, "open")
            assert req.message is None and req.message_shared is False
            assert s.get_one(Consent, CONSENT).shares == ["total", "apps", "categories",
                                                          "counts"]
    finally:
        db.dispose()


def _check_through_the_api(hub: HubServer) -> None:
    """The parent logs in with the old password; the device uses the new columns."""
    api = HubApi(hub.url)
    r = api.call("POST", "/v1/login", json={"email": EMAIL, "password": PASSWORD})
    assert r.status_code == 200, r.text
    parent = str(r.json()["token"])
    got = api.call("GET", f"/v1/children/An/days/{DAY.isoformat()}", parent).json()
    assert got["total_seconds"] == 3600 and got["apps"] == {"minecraft": 3000}
    (old,) = api.call("GET", "/v1/requests", parent).json()["requests"]
    assert (old["minutes"], old["message"], old["message_shared"]) == (20, None, False)
    commands = api.call("GET", "/v1/commands", parent).json()["commands"]
    assert [(c["id"], c["type"]) for c in commands] == [(1, "grant")]
    # The same consent, now sharing the words; a request with words; a day with computer time.
    body = api.consent_body("An", CONSENT, ("total", "apps", "categories", "counts",
                                             "messages"))
    r = api.call("PUT", f"/v1/devices/me/consents/{CONSENT}", DEVICE_TOKEN, json=body)
    assert r.status_code == 200, r.text
    r = api.call("POST", "/v1/devices/me/requests", DEVICE_TOKEN, json={
        "client_request_id": "r2-2", "child": "An", "target": "total", "minutes": 10,
        "message": "Con xin thêm 10 phút"})
    assert r.status_code == 201, r.text
    assert (r.json()["id"], r.json()["message"], r.json()["message_shared"]) == (
        2, "Con xin thêm 10 phút", True)
    r = api.upload(DEVICE_TOKEN, CONSENT, "An", DAY.isoformat(), 4, 4000, screen_seconds=4200)
    assert r.status_code == 200, r.text
    day = api.call("GET", f"/v1/children/An/days/{DAY.isoformat()}", parent).json()
    assert (day["total_seconds"], day["screen_seconds"]) == (4000, 4200)


@pytest.mark.parametrize("version", [1, 2])
@pytest.mark.parametrize("backend", ["sqlite", pytest.param("postgres",
                                                            marks=pytest.mark.postgres)])
def test_hub_serve_upgrades_an_older_database_in_place(
        backend: str, version: int, tmp_path: Path, request: pytest.FixtureRequest) -> None:
    url = database_url(backend, tmp_path, request)
    _old_database(url, version)
    with HubServer(url, log_dir=tmp_path) as hub:
        _check_kept(url)
        _check_through_the_api(hub)
    with HubServer(url, log_dir=tmp_path) as hub:  # started again: nothing more to do
        api = HubApi(hub.url)
        assert api.call("POST", "/v1/login", json={"email": EMAIL, "password": PASSWORD}
                        ).status_code == 200


@pytest.mark.parametrize("backend", ["sqlite", pytest.param("postgres",
                                                            marks=pytest.mark.postgres)])
def test_hub_init_upgrades_an_older_database_and_keeps_its_family(
        backend: str, tmp_path: Path, request: pytest.FixtureRequest) -> None:
    url = database_url(backend, tmp_path, request)
    _old_database(url, 1)
    made = init_hub(InitRequest(data_dir=tmp_path / "home", db_url=url, family_name="Khác",
                                parent_email=EMAIL, parent_password=PASSWORD))
    assert made.family_id == 1  # the parent's family already there, not a second one
    _check_kept(url)


def test_a_newer_database_is_refused_not_downgraded(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'hub.sqlite'}"
    _old_database(url, 2)
    engine = create_engine(url)
    with engine.begin() as conn:
        conn.execute(text("UPDATE hub_meta SET value = :v WHERE key = 'schema_version'"),
                     {"v": str(SCHEMA_VERSION + 1)})
    engine.dispose()
    db = Database(url)
    with pytest.raises(RuntimeError, match="upgrade PlayClock"):
        db.create_schema()
    db.dispose()
