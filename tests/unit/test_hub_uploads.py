"""The upload's short path answers exactly as the documented route does, errors included."""

from __future__ import annotations

from typing import Any

import pytest

from tests.support.hubweb import WebHub


@pytest.fixture
def hub() -> WebHub:
    return WebHub()


def _both(hub: WebHub, path: str, body: Any, headers: dict[str, str]) -> tuple[Any, Any]:
    kwargs: dict[str, Any] = {"headers": headers}
    if isinstance(body, bytes):
        kwargs["content"] = body
    else:
        kwargs["json"] = body
    fast = hub.api.put(path, **kwargs)
    route = hub.api.put(path + "?via=route", **kwargs)  # a query string skips the short path
    return fast, route


def test_short_path_and_route_agree_on_every_outcome(hub: WebHub) -> None:
    parent = hub.browser()
    parent.signup("fast@example.test")
    token, consent = hub.pair_device(parent)
    other_token, other_consent = hub.pair_device(parent, child="Binh")
    auth = {"Authorization": f"Bearer {token}"}
    good = {"revision": 1, "consent_id": consent, "total_seconds": 60,
            "apps": {"minecraft": 60}}
    cases: list[tuple[str, Any, dict[str, str]]] = [
        ("/v1/devices/me/days/An/2026-01-05", good, auth),  # stored, then "not newer"
        ("/v1/devices/me/days/an/2026-01-04", {**good, "revision": 7}, auth),
        ("/v1/devices/me/days/An/2026-01-05", good, {}),
        ("/v1/devices/me/days/An/2026-01-05", good, {"Authorization": "Bearer pcd_nope"}),
        ("/v1/devices/me/days/An/2026-01-05", good, {"Authorization": "Basic x"}),
        ("/v1/devices/me/days/An/2026-01-05", {**good, "consent_id": other_consent}, auth),
        ("/v1/devices/me/days/Binh/2026-01-05", good, auth),
        ("/v1/devices/me/days/An/2030-01-05", good, auth),
        ("/v1/devices/me/days/An/2026-13-05", good, auth),
        ("/v1/devices/me/days/An%2F/2026-01-05", good, auth),
        ("/v1/devices/me/days/An/2026-01-05", {**good, "title": "x"}, auth),
        ("/v1/devices/me/days/An/2026-01-05", {**good, "revision": "1"}, auth),
        ("/v1/devices/me/days/An/2026-01-05", b"{not json", auth),
        ("/v1/devices/me/days/An/2026-01-03", {**good, "limits": [
            {"key": "games", "kind": "category", "used_seconds": 5}]}, auth),
    ]
    for path, body, headers in cases:
        fast, route = _both(hub, path, body, headers)
        got, want = fast.json(), route.json()
        if fast.status_code == 200:  # the first stored it: the same revision again is "not newer"
            assert (got.pop("applied"), want.pop("applied")) == (True, False)
        assert (fast.status_code, got) == (route.status_code, want), path
        assert fast.headers.get("www-authenticate") == route.headers.get("www-authenticate")
    assert other_token
    # The stored day is the one both paths report.
    day = hub.api.put("/v1/devices/me/days/An/2026-01-05", headers=auth,
                      json={**good, "revision": 9, "total_seconds": 99}).json()
    assert day == {"device_id": day["device_id"], "child": "An", "day": "2026-01-05",
                   "stored_revision": 9, "applied": True, "total_seconds": 99}
