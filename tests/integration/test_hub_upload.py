"""Day uploads on SQLite and PostgreSQL: revisions, sums across devices, weeks, concurrency."""

from __future__ import annotations

import random
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.support.hubserver import HubApi, HubServer
from tests.support.postgres import PostgresCluster, database_url

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


def _day(api: HubApi, parent: str, child: str = "An", day: str = DAY) -> dict[str, Any]:
    r = api.call("GET", f"/v1/children/{child}/days/{day}", parent)
    assert r.status_code == 200, r.text
    body: dict[str, Any] = r.json()
    return body


def test_same_or_older_revision_changes_nothing_and_newer_replaces(api: HubApi) -> None:
    _, parent = api.family()
    device, consents = api.pair(parent)
    cid = consents["An"]
    first = api.upload(device, cid, "An", DAY, 5, 600, apps={"minecraft": 600})
    assert first.json() == {"device_id": first.json()["device_id"], "child": "An", "day": DAY,
                            "stored_revision": 5, "applied": True, "total_seconds": 600}
    same = api.upload(device, cid, "An", DAY, 5, 9_999, apps={"minecraft": 9_999})
    older = api.upload(device, cid, "An", DAY, 4, 1, apps={"roblox": 1})
    for r in (same, older):
        assert r.status_code == 200
        assert (r.json()["applied"], r.json()["stored_revision"], r.json()["total_seconds"]) == (
            False, 5, 600)
    assert _day(api, parent)["apps"] == {"minecraft": 600}
    newer = api.upload(device, cid, "An", DAY, 6, 1_200, apps={"roblox": 300})
    assert newer.json()["applied"] is True and newer.json()["stored_revision"] == 6
    day = _day(api, parent)
    assert day["total_seconds"] == 1_200
    assert day["apps"] == {"roblox": 300}  # the whole summary was replaced, not merged


def test_devices_are_summed_per_child_and_day(api: HubApi) -> None:
    _, parent = api.family()
    a, ca = api.pair(parent, "living room")
    b, cb = api.pair(parent, "bedroom")
    assert api.upload(a, ca["An"], "An", DAY, 1, 3_600, apps={"minecraft": 3_000},
                      categories={"games": 3_000},
                      counts={"warnings": 2, "closes": 1}).status_code == 200
    assert api.upload(b, cb["An"], "an", DAY, 7, 1_800,
                      apps={"minecraft": 600, "roblox": 1_200}, categories={"games": 1_800},
                      counts={"warnings": 1, "grants": 1}).status_code == 200
    day = _day(api, parent, child="AN")
    assert day["total_seconds"] == 5_400
    assert day["apps"] == {"minecraft": 3_600, "roblox": 1_200}
    assert day["categories"] == {"games": 4_800}
    assert day["counts"] == {"warnings": 3, "closes": 1, "grants": 1, "requests": 0,
                             "gaps": 0, "gap_seconds": 0, "tamper": 0}
    assert [(d["device_name"], d["revision"], d["total_seconds"]) for d in day["devices"]] == [
        ("living room", 1, 3_600), ("bedroom", 7, 1_800)]
    _, stranger = api.family()
    assert _day(api, stranger)["total_seconds"] == 0


def test_weekly_report_numbers_are_exact(api: HubApi) -> None:
    _, parent = api.family()
    a, ca = api.pair(parent, "A", children=("An", "Bình"))
    b, cb = api.pair(parent, "B", children=("An",))
    uploads = [  # (device, consents, child, day, seconds); 2026-W02 is 5..11 January
        (a, ca, "An", "2026-01-04", 999),  # Sunday of W01: outside
        (a, ca, "An", "2026-01-05", 3_600),
        (b, cb, "An", "2026-01-05", 600),
        (a, ca, "An", "2026-01-07", 1_200),
        (b, cb, "An", "2026-01-11", 2_400),
        (a, ca, "Bình", "2026-01-06", 1_800),
        (a, ca, "Bình", "2026-01-12", 777),  # Monday of W03: outside
    ]
    for device, consents, child, day, seconds in uploads:
        r = api.upload(device, consents[child], child, day, 1, seconds,
                       categories={"games": seconds // 2}, counts={"warnings": 1})
        assert r.status_code == 200, r.text
    week = api.call("GET", "/v1/children/An/weeks/2026-W02", parent).json()
    assert (week["start"], week["end"], week["total_seconds"]) == (
        "2026-01-05", "2026-01-11", 7_800)
    assert [d["total_seconds"] for d in week["days"]] == [4_200, 0, 1_200, 0, 0, 0, 2_400]
    assert [(d["device_name"], d["total_seconds"]) for d in week["devices"]] == [
        ("A", 4_800), ("B", 3_000)]
    assert week["categories"] == {"games": 3_900} and week["counts"]["warnings"] == 4
    report = api.call("GET", "/v1/report?week=2026-W02", parent).json()
    assert report["total_seconds"] == 9_600
    assert [(c["child"], c["total_seconds"]) for c in report["children"]] == [
        ("An", 7_800), ("Bình", 1_800)]
    assert report["children"][0] == week
    empty = api.call("GET", "/v1/report?week=2026-W10", parent).json()
    assert empty["children"] == [] and empty["total_seconds"] == 0


def _upload_interleaved(base_url: list[str], device: str, consent: str, threads: int,
                        per_thread: int) -> list[tuple[int, dict[str, Any]]]:
    results: list[tuple[int, dict[str, Any]]] = []
    errors: list[BaseException] = []
    lock = threading.Lock()
    start = threading.Barrier(threads)

    def worker(index: int) -> None:
        try:
            client = HubApi(base_url[index % len(base_url)])
            revisions = list(range(index + 1, threads * per_thread + 1, threads))
            random.Random(index).shuffle(revisions)
            start.wait(30)
            for revision in revisions:
                r = client.upload(device, consent, "An", DAY, revision, revision * 10)
                assert r.status_code == 200, r.text
                with lock:
                    results.append((revision, r.json()))
        except BaseException as exc:
            with lock:
                errors.append(exc)

    workers = [threading.Thread(target=worker, args=(i,)) for i in range(threads)]
    for t in workers:
        t.start()
    for t in workers:
        t.join(120)
    assert not any(t.is_alive() for t in workers), "an upload thread hung"
    assert not errors, errors[0]
    return results


def test_concurrent_interleaved_revisions_keep_the_newest(api: HubApi) -> None:
    _, parent = api.family()
    device, consents = api.pair(parent)
    results = _upload_interleaved([api.base], device, consents["An"], threads=8, per_thread=12)
    assert len(results) == 96
    for revision, body in results:
        assert body["stored_revision"] >= revision
        assert body["total_seconds"] == body["stored_revision"] * 10
        assert body["applied"] == (body["stored_revision"] == revision)
    day = _day(api, parent)
    assert [(d["revision"], d["total_seconds"]) for d in day["devices"]] == [(96, 960)]
    assert day["total_seconds"] == 960


def test_data_survives_a_hub_crash(hub: HubServer, api: HubApi) -> None:
    _, parent = api.family()
    device, consents = api.pair(parent)
    assert api.upload(device, consents["An"], "An", DAY, 3, 1_234).status_code == 200
    hub.restart(crash=True)
    fresh = HubApi(hub.url)
    assert _day(fresh, parent)["total_seconds"] == 1_234
    r = fresh.upload(device, consents["An"], "An", DAY, 3, 1)
    assert r.json()["applied"] is False and r.json()["total_seconds"] == 1_234


@pytest.mark.postgres
def test_two_hub_processes_share_one_postgres(postgres_cluster: PostgresCluster,
                                              tmp_path: Path) -> None:
    url = postgres_cluster.create_database()
    with HubServer(url, log_dir=tmp_path) as one, HubServer(url, log_dir=tmp_path) as two:
        api_one, api_two = HubApi(one.url), HubApi(two.url)
        email, parent = api_one.family(password="right password")
        code = api_one.pairing_code(parent)
        paired = api_two.call("POST", "/v1/devices/pair", json={
            "code": code, "device_name": "via two",
            "consents": [HubApi.consent_body("An")]})
        assert paired.status_code == 201, paired.text
        reused = api_one.call("POST", "/v1/devices/pair", json={"code": code,
                                                                "device_name": "again"})
        assert reused.json()["error"] == "pairing_code_used"
        device = paired.json()["device_token"]
        consent = paired.json()["consents"][0]["consent_id"]
        results = _upload_interleaved([one.url, two.url], device, consent, threads=8,
                                      per_thread=10)
        assert max(body["stored_revision"] for _, body in results) == 80
        for via in (api_one, api_two):
            assert _day(via, parent)["devices"][0]["revision"] == 80
            assert _day(via, parent)["total_seconds"] == 800
        for i in range(5):
            via = (api_one, api_two)[i % 2]
            r = via.call("POST", "/v1/login", json={"email": email, "password": "wrong"})
            assert r.status_code == 401
        for via in (api_one, api_two):
            r = via.call("POST", "/v1/login", json={"email": email, "password": "right password"})
            assert r.status_code == 429
