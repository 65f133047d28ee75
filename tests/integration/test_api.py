"""The local API over real HTTP on loopback: parent auth, refusals, limits, events, secrets."""

from __future__ import annotations

import json
import logging
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

import pytest
import requests

from agent.api.app import MAX_BODY
from agent.api_client import AgentClient, ApiRefused
from agent.i18n import set_language
from agent.security.pin.lockout import FileLockoutStore
from playclock.compose import Runtime
from tests.support.apiserver import CHANGE_KINDS, PIN, Api, running_agent, snapshot

WRONG = "0000"
NEW_PIN = "98765"


@pytest.fixture(autouse=True)
def _english() -> None:
    """Messages in English, whatever another test chose."""
    set_language("en")


@pytest.fixture
def served(tmp_path: Any, monkeypatch: pytest.MonkeyPatch) -> Iterator[tuple[Runtime, str]]:
    """A fresh agent (its own ledger, PIN and lockout count) per test."""
    with running_agent(tmp_path, monkeypatch) as pair:
        yield pair


@pytest.fixture
def runtime(served: tuple[Runtime, str]) -> Runtime:
    """The fresh agent's runtime."""
    return served[0]


@pytest.fixture
def api(served: tuple[Runtime, str]) -> Api:
    """A caller for the fresh agent."""
    return Api(served[1])


@pytest.fixture(scope="module")
def shared(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Runtime, str]]:
    """One agent for tests that never type a wrong PIN nor change it."""
    with (
        pytest.MonkeyPatch.context() as mp,
        running_agent(tmp_path_factory.mktemp("shared"), mp) as pair,
    ):
        yield pair


@pytest.fixture(scope="module")
def shared_token(shared: tuple[Runtime, str]) -> str:
    """A parent session token on the shared agent."""
    return str(Api(shared[1]).login()["token"])


# -- the parent actions ---------------------------------------------------------------------


def _status_limit(runtime: Runtime, key: str) -> dict[str, Any] | None:
    child = runtime.agent.status()["children"][0]
    return next((lim for lim in child["limits"] if lim["id"] == key), None)


def _pin_is(runtime: Runtime, pin: str) -> bool:
    return runtime.pins().verify(pin).ok


@dataclass(frozen=True)
class Action:
    """A parent action: its request, the ledger event it records, and its visible effect."""

    name: str
    method: str
    path: str
    body: dict[str, Any] | None
    kind: str
    done: Callable[[Runtime], bool]
    status: int = 200

    def prepare(self, runtime: Runtime) -> str:
        """The path, with a fresh pending request when the action answers one."""
        if "{id}" not in self.path:
            return self.path
        return self.path.format(id=runtime.agent.ask("An", 15, "please")["id"])


ACTIONS = [
    Action(
        "grant",
        "POST",
        "/grants",
        {"child": "An", "target": "games", "minutes": 10},
        "grant",
        lambda rt: (_status_limit(rt, "games") or {}).get("bonus_seconds") == 600,
    ),
    Action(
        "pause",
        "POST",
        "/pause",
        {"child": "An", "paused": True},
        "pause",
        lambda rt: rt.agent.status()["children"][0]["paused"] is True,
    ),
    Action(
        "set_limit",
        "PUT",
        "/children/An/limits/fakegame",
        {"daily": 20, "allowed": ["08:00-20:00"]},
        "rules_changed",
        lambda rt: (_status_limit(rt, "fakegame") or {}).get("limit_seconds") == 1200,
    ),
    Action(
        "remove_limit",
        "DELETE",
        "/children/An/limits/games",
        None,
        "rules_changed",
        lambda rt: _status_limit(rt, "games") is None,
    ),
    Action(
        "answer",
        "POST",
        "/requests/{id}/answer",
        {"approve": True, "minutes": 15},
        "request_answered",
        lambda rt: [r.state for r in rt.ledger.requests(None)] == ["approved"],
    ),
    Action("reload", "POST", "/reload", None, "reload", lambda rt: True),
    Action(
        "change_pin",
        "PUT",
        "/pin",
        {"old": PIN, "new": NEW_PIN},
        "pin_changed",
        lambda rt: _pin_is(rt, NEW_PIN),
        status=204,
    ),
]
ACTION_IDS = [a.name for a in ACTIONS]


def _without_tries(snap: dict[str, Any]) -> dict[str, Any]:
    """A snapshot without the PIN tries in its event log (they are counted, not changes)."""
    return {**snap, "events": [e for e in snap["events"] if e["kind"] != "pin.try"]}


@pytest.mark.parametrize("action", ACTIONS, ids=ACTION_IDS)
def test_parent_action_without_pin_is_refused_and_changes_nothing(
    action: Action, runtime: Runtime, api: Api
) -> None:
    """No PIN, a bogus token, an empty PIN header or a bogus cookie: 401 and nothing logged."""
    path = action.prepare(runtime)
    before = snapshot(runtime)
    attempts: list[dict[str, Any]] = [
        {},
        {"token": "not-a-session"},
        {"headers": {"X-PlayClock-PIN": ""}},
        {"cookies": {"playclock_session": "forged"}, "headers": {"X-CSRF-Token": "forged"}},
    ]
    for extra in attempts:
        resp = api(action.method, path, json=action.body, **extra)
        assert resp.status_code == 401, (extra, resp.text)
        assert resp.headers["WWW-Authenticate"] == "Bearer"
        assert snapshot(runtime) == before, extra
    assert not action.done(runtime) or action.name == "reload"


@pytest.mark.parametrize("action", ACTIONS, ids=ACTION_IDS)
def test_parent_action_with_wrong_pin_is_counted_then_locked_out(
    action: Action, runtime: Runtime, api: Api
) -> None:
    """Five wrong PINs: 401 each and counted; then 423 with Retry-After, even for the right one."""
    path = action.prepare(runtime)
    before = snapshot(runtime)
    for _try in range(5):
        resp = api(action.method, path, json=action.body, pin=WRONG)
        assert resp.status_code == 401, resp.text
        assert resp.json()["detail"] == "wrong PIN"
    tries = [e for e in runtime.ledger.events() if e.kind == "pin.try"]
    assert [(e.detail["result"], e.detail["failures"], e.actor) for e in tries] == [
        ("wrong", n, "pin") for n in range(1, 6)
    ]
    locked = api(action.method, path, json=action.body, pin=PIN)
    assert locked.status_code == 423, locked.text
    assert 1 <= int(locked.headers["Retry-After"]) <= 31
    assert "try again" in locked.json()["detail"]
    assert FileLockoutStore(runtime.data_dir / "pin-lockout.json").load().failures == 5
    assert _without_tries(snapshot(runtime)) == before


def _credentials(api: Api, how: str) -> dict[str, Any]:
    if how == "pin_header":
        return {"pin": PIN}
    session = api.login()
    if how == "session":
        return {"token": session["token"]}
    return {
        "cookies": {"playclock_session": session["token"]},
        "headers": {"X-CSRF-Token": session["csrf"]},
    }


@pytest.mark.parametrize("how", ["session", "pin_header", "cookie_csrf"])
@pytest.mark.parametrize("action", ACTIONS, ids=ACTION_IDS)
def test_parent_action_with_right_pin_is_done_and_logged_as_parent(
    action: Action, how: str, runtime: Runtime, api: Api
) -> None:
    """The right PIN (session, PIN header or cookie + CSRF): done, and logged with actor parent."""
    path = action.prepare(runtime)
    seen = {e.id for e in runtime.ledger.events()}
    resp = api(action.method, path, json=action.body, **_credentials(api, how))
    assert resp.status_code == action.status, resp.text
    new = [e for e in runtime.ledger.events() if e.id not in seen and e.kind in CHANGE_KINDS]
    assert [(e.kind, e.actor) for e in new if e.actor == "parent"] == [(action.kind, "parent")]
    assert action.done(runtime)


def test_cookie_session_without_csrf_header_is_refused(
    shared: tuple[Runtime, str], shared_token: str
) -> None:
    """A cookie alone (or with a wrong CSRF token) is 403; a CSRF token alone is 401."""
    runtime, url = shared
    api = Api(url)
    cookie = {"playclock_session": shared_token}
    body = {"child": "An", "target": "total", "minutes": 5}
    before = snapshot(runtime)
    cases: list[tuple[dict[str, Any], int]] = [
        ({"cookies": cookie}, 403),
        ({"cookies": cookie, "headers": {"X-CSRF-Token": "wrong"}}, 403),
        ({"headers": {"X-CSRF-Token": "anything"}}, 401),
    ]
    for extra, status in cases:
        resp = api("POST", "/grants", json=body, **extra)
        assert resp.status_code == status, (extra, resp.text)
    assert api("POST", "/grants", json=body, cookies=cookie).json()["detail"] == (
        "missing or wrong CSRF token"
    )
    assert snapshot(runtime) == before


# -- Host, body size, validation ------------------------------------------------------------


@pytest.mark.parametrize(
    "host",
    [
        "evil.example:{port}",
        "127.0.0.1.nip.io",
        "127.0.0.1.nip.io:{port}",
        "localhost.evil.example:{port}",
        "127.0.0.1:{other}",
    ],
)
def test_forged_host_header_is_refused_before_the_pin_is_checked(
    host: str, shared: tuple[Runtime, str]
) -> None:
    """DNS rebinding: an unknown Host gets 421, even with the right PIN, and nothing is tried."""
    runtime, url = shared
    api = Api(url)
    port = int(url.rsplit(":", 1)[1])
    forged = {"Host": host.format(port=port, other=port + 1)}
    before = snapshot(runtime)
    assert api("GET", "/status", headers=forged).status_code == 421
    resp = api(
        "POST",
        "/grants",
        pin=PIN,
        headers=forged,
        json={"child": "An", "target": "total", "minutes": 5},
    )
    assert resp.status_code == 421
    assert resp.json()["detail"] == "unexpected Host header"
    assert snapshot(runtime) == before


@pytest.mark.parametrize("host", ["127.0.0.1:{port}", "localhost:{port}"])
def test_loopback_host_headers_are_accepted(host: str, shared: tuple[Runtime, str]) -> None:
    """The names the agent is reached by on this computer are fine."""
    url = shared[1]
    port = int(url.rsplit(":", 1)[1])
    resp = Api(url)("GET", "/status", headers={"Host": host.format(port=port)})
    assert resp.status_code == 200
    assert resp.json()["children"][0]["name"] == "An"


def _padded(body: dict[str, Any], size: int) -> bytes:
    raw = json.dumps(body).encode()
    return raw[:-1] + b" " * (size - len(raw)) + b"}"


def test_bodies_over_64_kib_are_refused(shared: tuple[Runtime, str]) -> None:
    """413 for a big body, with a Content-Length or chunked; the PIN is never checked."""
    runtime, url = shared
    api = Api(url)
    big = _padded({"pin": PIN}, MAX_BODY + 1)
    json_type = {"Content-Type": "application/json"}
    before = snapshot(runtime)
    assert api("POST", "/session", data=big, headers=json_type).status_code == 413

    def chunks() -> Iterator[bytes]:
        for start in range(0, len(big), 4096):
            yield big[start : start + 4096]

    assert api("POST", "/session", data=chunks(), headers=json_type).status_code == 413
    assert snapshot(runtime) == before
    at_limit = _padded({"child": "Nobody", "minutes": 15}, MAX_BODY)
    resp = api("POST", "/requests", data=at_limit, headers=json_type)
    assert resp.status_code == 400, resp.text  # read and validated: only the child is unknown


INVALID = [
    ("POST", "/grants", {"child": "An", "minutes": 1441}, ["body", "minutes"], "1440"),
    ("POST", "/grants", {"child": "An", "minutes": -1441}, ["body", "minutes"], "-1440"),
    ("POST", "/grants", {"child": "An", "minutes": "ten"}, ["body", "minutes"], "integer"),
    ("POST", "/grants", {"minutes": 5}, ["body", "child"], "Field required"),
    ("POST", "/grants", {"child": "A" * 65, "minutes": 5}, ["body", "child"], "64 characters"),
    ("POST", "/pause", {"child": ""}, ["body", "child"], "at least 1 character"),
    ("PUT", "/children/An/limits/games", {"daily": 1441}, ["body", "daily"], "1440"),
    ("PUT", "/children/An/limits/games", {"weekend": -1}, ["body", "weekend"], "0"),
    (
        "PUT",
        "/children/An/limits/games",
        {"allowed": ["25:00-26:00"]},
        ["body", "allowed"],
        "expected windows as HH:MM-HH:MM",
    ),
    ("POST", "/requests/1/answer", {"approve": True, "minutes": 0}, ["body", "minutes"], "1"),
    ("POST", "/requests/1/answer", {"minutes": 5}, ["body", "approve"], "Field required"),
    ("POST", "/requests/0/answer", {"approve": True}, ["path", "request_id"], "1"),
    ("POST", "/requests/x/answer", {"approve": True}, ["path", "request_id"], "integer"),
    ("PUT", "/pin", {"old": PIN, "new": "12"}, ["body", "new"], "at least 4 characters"),
    ("POST", "/requests", {"child": "An", "minutes": 241}, ["body", "minutes"], "240"),
    ("POST", "/requests", {"child": "An", "minutes": 4}, ["body", "minutes"], "5"),
    ("POST", "/requests", {"child": "An", "message": "x" * 301}, ["body", "message"], "300"),
    ("POST", "/session", {"pin": ""}, ["body", "pin"], "at least 1 character"),
]


@pytest.mark.parametrize(("method", "path", "body", "loc", "words"), INVALID)
def test_invalid_bodies_get_422_naming_the_field(
    method: str,
    path: str,
    body: dict[str, Any],
    loc: list[str],
    words: str,
    shared: tuple[Runtime, str],
    shared_token: str,
) -> None:
    """Out-of-range or missing fields: 422 with the field's location and the bound."""
    runtime, url = shared
    before = snapshot(runtime)
    resp = Api(url)(method, path, json=body, token=shared_token)
    assert resp.status_code == 422, resp.text
    errors = resp.json()["detail"]
    assert [e["loc"] for e in errors] == [loc]
    assert words in errors[0]["msg"]
    assert snapshot(runtime) == before


def test_a_body_that_is_not_json_gets_422(shared: tuple[Runtime, str], shared_token: str) -> None:
    """Broken JSON is a validation error, not a crash."""
    resp = Api(shared[1])(
        "POST",
        "/grants",
        data=b'{"child": "An", "minutes": ',
        headers={"Content-Type": "application/json"},
        token=shared_token,
    )
    assert resp.status_code == 422
    assert resp.json()["detail"][0]["type"] == "json_invalid"


REFUSED = [
    ("POST", "/grants", {"child": "Binh", "minutes": 5}, "unknown child 'Binh'"),
    ("POST", "/pause", {"child": "Binh"}, "unknown child 'Binh'"),
    ("PUT", "/children/Binh/limits/total", {"daily": 5}, "unknown child 'Binh'"),
    ("DELETE", "/children/Binh/limits/total", None, "unknown child 'Binh'"),
    ("POST", "/requests", {"child": "Binh"}, "unknown child 'Binh'"),
    ("PUT", "/children/An/limits/nope", {"daily": 5}, "unknown app or category 'nope'"),
    ("POST", "/grants", {"child": "An", "target": "nope", "minutes": 5}, "no limit 'nope'"),
    ("POST", "/grants", {"child": "An", "minutes": 0}, "not 0"),
    ("POST", "/requests/999/answer", {"approve": True}, "no pending request 999"),
]


@pytest.mark.parametrize(("method", "path", "body", "message"), REFUSED)
def test_unknown_child_or_target_gets_400_naming_it(
    method: str,
    path: str,
    body: dict[str, Any] | None,
    message: str,
    shared: tuple[Runtime, str],
    shared_token: str,
) -> None:
    """A child, limit or request that does not exist: 400 with a message naming it."""
    runtime, url = shared
    before = snapshot(runtime)
    resp = Api(url)(method, path, json=body, token=shared_token)
    assert resp.status_code == 400, resp.text
    assert message in resp.json()["detail"]
    assert snapshot(runtime) == before


# -- the child's requests, the event stream, sessions ---------------------------------------


def test_child_asks_without_pin_and_is_rate_limited(runtime: Runtime, api: Api) -> None:
    """Three requests in 10 minutes are taken (actor child); the fourth is 429."""
    for n in range(3):
        resp = api("POST", "/requests", json={"child": "An", "minutes": 15, "message": f"#{n}"})
        assert resp.status_code == 201, resp.text
        assert resp.json()["state"] == "pending"
    again = api("POST", "/requests", json={"child": "an", "minutes": 15})
    assert again.status_code == 429
    assert "wait" in again.json()["detail"]
    listed = api("GET", "/requests").json()["requests"]
    assert [r["message"] for r in listed] == ["#2", "#1", "#0"]
    asked = [e for e in runtime.ledger.events() if e.kind == "request"]
    assert [(e.child, e.actor) for e in asked] == [("An", "child")] * 3


def test_event_stream_returns_when_a_grant_happens(
    shared: tuple[Runtime, str], shared_token: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """GET /events?after=N&wait=5 waits, then returns the grant at once."""
    runtime, url = shared
    bus = runtime.agent.bus
    waiting = threading.Event()
    real_wait = bus.wait

    def wait(after: int, timeout: float) -> list[dict[str, Any]]:
        waiting.set()
        return real_wait(after, timeout)

    monkeypatch.setattr(bus, "wait", wait)
    after = bus.last_id
    box: list[tuple[requests.Response, float]] = []

    def poll() -> None:
        resp = Api(url)("GET", "/events", params={"after": after, "wait": 5})
        box.append((resp, time.monotonic()))

    poller = threading.Thread(target=poll, daemon=True)
    poller.start()
    assert waiting.wait(5), "the long poll never reached the bus"
    granted = Api(url)(
        "POST",
        "/grants",
        token=shared_token,
        json={"child": "An", "target": "total", "minutes": 1},
    )
    assert granted.status_code == 200
    at = time.monotonic()
    poller.join(timeout=4)
    assert box, "the long poll did not return within 4 s of the grant"
    resp, returned = box[0]
    assert returned - at < 2.0
    events = [e for e in resp.json()["events"] if e["kind"] in CHANGE_KINDS]
    assert [(e["kind"], e["child"], e["actor"]) for e in events] == [("grant", "An", "parent")]
    assert resp.json()["last"] >= events[0]["seq"] > after


def test_a_tray_polling_a_restarted_agent_gets_its_events_at_once(
    shared: tuple[Runtime, str], shared_token: str
) -> None:
    """Family test: the agent restarted and closed a game over budget at once; the tray,
    still holding the old run's event id, waited 25 s and then skipped that close."""
    from tray.notify import EventPoller

    runtime, url = shared
    granted = Api(url)(
        "POST", "/grants", token=shared_token, json={"child": "An", "target": "total", "minutes": 1}
    )
    assert granted.status_code == 200
    got: list[dict[str, Any]] = []
    poller = EventPoller(AgentClient(url), got.append, threading.Event(), wait=25)
    poller.after, poller.agent_run = runtime.agent.bus.last_id + 1000, "an-earlier-run"
    start = time.monotonic()
    poller.poll_once()
    assert time.monotonic() - start < 5, "answered at once, not after the long poll"
    assert ("grant", "An") in [(e["kind"], e.get("child")) for e in got]
    assert poller.agent_run == runtime.agent.bus.run and poller.after == runtime.agent.bus.last_id


def test_a_post_after_the_agent_closed_the_idle_connection_goes_through(
    shared: tuple[Runtime, str],
) -> None:
    """Family test: the child's "Ask for more time" said "the PlayClock service is not
    running": the tray's connection had idled past the agent's keep-alive, and the POST on
    it failed with a broken pipe (a POST is not sent twice). It opens a new one first now."""
    import select

    from tests.support.waiting import wait_until

    _runtime, url = shared
    client = AgentClient(url)
    client.status()
    sock = client._http.sock
    assert sock is not None

    def closed_by_agent() -> bool:
        return bool(select.select([sock], [], [], 0)[0])

    wait_until(closed_by_agent, 30, 0.1, message="the agent closing the idle connection")
    client.login(PIN)  # a POST
    assert client.token
    client.logout()


def test_event_stream_without_news_waits_then_returns_nothing(shared: tuple[Runtime, str]) -> None:
    """A short wait with nothing new returns an empty list after about that long."""
    runtime, url = shared
    start = time.monotonic()
    resp = Api(url)("GET", "/events", params={"after": runtime.agent.bus.last_id, "wait": 0.3})
    assert resp.json()["events"] == []
    assert time.monotonic() - start >= 0.25


def test_logout_revokes_the_session(shared: tuple[Runtime, str]) -> None:
    """After DELETE /session the token is refused and GET /session says not a parent."""
    url = shared[1]
    api = Api(url)
    token = api.login()["token"]
    assert api("GET", "/session", token=token).json() == {"parent": True}
    assert api("DELETE", "/session", token=token).status_code == 204
    assert api("GET", "/session", token=token).json() == {"parent": False}
    resp = api("POST", "/reload", token=token)
    assert resp.status_code == 401
    assert "expired" in resp.json()["detail"]


def test_logout_by_cookie_clears_it(shared: tuple[Runtime, str]) -> None:
    """Logging out with the cookie revokes that session and tells the browser to drop it."""
    api = Api(shared[1])
    session = api.login()
    cookie = {"playclock_session": session["token"]}
    resp = api("DELETE", "/session", cookies=cookie)
    assert resp.status_code == 204
    assert 'playclock_session=""' in resp.headers["set-cookie"]
    again = api("POST", "/reload", cookies=cookie, headers={"X-CSRF-Token": session["csrf"]})
    assert again.status_code == 401


def test_login_sets_an_httponly_strict_cookie(shared: tuple[Runtime, str]) -> None:
    """The session cookie is HttpOnly, SameSite=strict and lives 15 minutes."""
    resp = Api(shared[1])("POST", "/session", json={"pin": PIN})
    assert resp.status_code == 200
    cookie = resp.headers["set-cookie"]
    assert "HttpOnly" in cookie
    assert "SameSite=strict" in cookie
    assert "Max-Age=900" in cookie
    assert resp.json()["expires_in"] == 900
    assert resp.headers["Cache-Control"] == "no-store"


def test_pin_change_revokes_every_session(runtime: Runtime, api: Api) -> None:
    """After PUT /pin all tokens are refused, the new PIN works and the old one does not."""
    first, second = api.login()["token"], api.login()["token"]
    resp = api("PUT", "/pin", token=first, json={"old": PIN, "new": NEW_PIN})
    assert resp.status_code == 204, resp.text
    for token in (first, second):
        assert api("POST", "/reload", token=token).status_code == 401
    assert api("POST", "/session", json={"pin": PIN}).status_code == 401
    assert api("POST", "/reload", pin=NEW_PIN).status_code == 200


def test_pin_change_with_wrong_old_pin_is_refused(runtime: Runtime, api: Api) -> None:
    """A session alone cannot change the PIN: the old PIN in the body must be right."""
    token = api.login()["token"]
    before = snapshot(runtime)
    resp = api("PUT", "/pin", token=token, json={"old": WRONG, "new": NEW_PIN})
    assert resp.status_code == 401
    assert _without_tries(snapshot(runtime)) == _without_tries(before)
    assert FileLockoutStore(runtime.data_dir / "pin-lockout.json").load().failures == 1
    assert api("GET", "/session", token=token).json() == {"parent": True}


def test_wrong_pins_at_login_lock_out_the_pin_header_too(runtime: Runtime, api: Api) -> None:
    """Login and the PIN header share one persistent failure count."""
    for _try in range(5):
        assert api("POST", "/session", json={"pin": WRONG}).status_code == 401
    locked = api("POST", "/session", json={"pin": PIN})
    assert locked.status_code == 423
    assert int(locked.headers["Retry-After"]) > 0
    assert api("POST", "/reload", pin=PIN).status_code == 423


def test_client_reports_wrong_pin_and_lockout(served: tuple[Runtime, str]) -> None:
    """AgentClient raises ApiRefused with the status and Retry-After."""
    client = AgentClient(served[1])
    statuses = []
    for _try in range(6):
        with pytest.raises(ApiRefused) as caught:
            client.grant("An", "total", 5, pin=WRONG)
        statuses.append((caught.value.status, caught.value.retry_after))
    assert statuses[:5] == [(401, None)] * 5
    assert statuses[5][0] == 423
    assert statuses[5][1] is not None and statuses[5][1] > 0


def test_client_logs_in_grants_and_logs_out(served: tuple[Runtime, str]) -> None:
    """The client's session flow against the real server."""
    runtime, url = served
    client = AgentClient(url)
    client.login(PIN)
    doc = client.grant("An", "games", 5)
    games = next(lim for lim in doc["children"][0]["limits"] if lim["id"] == "games")
    assert games["bonus_seconds"] == 300
    token = client.token
    client.logout()
    assert client.token is None
    assert not runtime.api.ctx.sessions.check(token)


# -- secrets never logged -------------------------------------------------------------------


@pytest.fixture
def served_real_pin(
    tmp_path: Any, monkeypatch: pytest.MonkeyPatch
) -> Iterator[tuple[Runtime, str]]:
    """A fresh agent whose PIN hash has the product's full scrypt cost."""
    with running_agent(tmp_path, monkeypatch, scrypt=None) as pair:
        yield pair


def test_no_pin_or_token_in_logs_or_events(
    served_real_pin: tuple[Runtime, str],
    caplog: pytest.LogCaptureFixture,
    capfd: pytest.CaptureFixture[str],
) -> None:
    """Logins, grants, wrong tries and a PIN change leave neither PIN nor token anywhere."""
    runtime, url = served_real_pin
    api = Api(url)
    loggers = [logging.getLogger(), *map(logging.getLogger, list(logging.root.manager.loggerDict))]
    saved = [(lg, lg.level) for lg in loggers]
    for lg in loggers:
        lg.setLevel(logging.DEBUG)
        if not lg.propagate and caplog.handler not in lg.handlers:
            lg.addHandler(caplog.handler)
    try:
        caplog.set_level(logging.DEBUG)
        secrets: list[str] = [PIN, NEW_PIN]
        session = api.login()
        secrets += [session["token"], session["csrf"]]
        grant = {"child": "An", "minutes": 5}
        assert api("POST", "/grants", token=session["token"], json=grant).status_code == 200
        assert api("POST", "/pause", pin=PIN, json={"child": "An"}).status_code == 200
        assert api("POST", "/session", json={"pin": WRONG}).status_code == 401
        cookie = {"playclock_session": session["token"]}
        assert api("POST", "/reload", cookies=cookie).status_code == 403
        assert api("PUT", "/pin", pin=PIN, json={"old": PIN, "new": NEW_PIN}).status_code == 204
        second = api.login(NEW_PIN)
        secrets += [second["token"], second["csrf"]]
        assert api("DELETE", "/session", token=second["token"]).status_code == 204
        stream = api("GET", "/events").text
        day_log = api("GET", "/log").text
        for name in ("playclock.api", "uvicorn.error"):
            logging.getLogger(name).debug("capture check %s", name)
    finally:
        for lg, level in saved:
            lg.setLevel(level)
            if caplog.handler in lg.handlers and lg is not logging.getLogger():
                lg.removeHandler(caplog.handler)
    assert "capture check playclock.api" in caplog.text
    assert "capture check uvicorn.error" in caplog.text
    events = json.dumps([e.as_json() for e in runtime.ledger.events()])
    assert '"pin.try"' in events  # the tries were logged, without what was typed
    out, err = capfd.readouterr()
    tmp = str(runtime.data_dir.parent)
    places = {
        "logging": caplog.text,
        "ledger events": events,
        "event stream": stream,
        "day log": day_log,
        "stdout/stderr": out + err,
    }
    for where, text in places.items():
        text = text.replace(tmp, "<tmp>")  # a path could contain digits by chance
        for secret in secrets:
            assert secret not in text, f"a secret ({len(secret)} chars) appears in the {where}"


# -- the OpenAPI document -------------------------------------------------------------------

ROUTES = {
    ("get", "/api/v1/health"),
    ("get", "/api/v1/status"),
    ("post", "/api/v1/idle"),  # a tray's idle time, for `screen`
    ("get", "/api/v1/events"),
    ("get", "/api/v1/log"),
    ("get", "/api/v1/requests"),
    ("post", "/api/v1/requests"),
    ("get", "/api/v1/session"),
    ("post", "/api/v1/session"),
    ("delete", "/api/v1/session"),
    ("post", "/api/v1/grants"),
    ("post", "/api/v1/pause"),
    ("put", "/api/v1/children/{child}/limits/{key}"),
    ("delete", "/api/v1/children/{child}/limits/{key}"),
    ("post", "/api/v1/requests/{request_id}/answer"),
    ("post", "/api/v1/reload"),
    ("put", "/api/v1/pin"),
    ("get", "/api/v1/sync"),  # what sync shares, for the tray and the dashboard
    ("post", "/api/v1/sync/now"),
}


@pytest.fixture(scope="module")
def openapi(shared: tuple[Runtime, str]) -> dict[str, Any]:
    """The served OpenAPI document."""
    resp = Api(shared[1])("GET", "/openapi.json")
    assert resp.status_code == 200
    assert resp.headers["content-type"].startswith("application/json")
    doc: dict[str, Any] = json.loads(resp.text)
    return doc


def test_openapi_lists_every_route(openapi: dict[str, Any]) -> None:
    """Every route of the API is documented, and no other."""
    assert openapi["openapi"].startswith("3.")
    found = {(m, p) for p, ops in openapi["paths"].items() for m in ops}
    assert found == ROUTES


def _schema(openapi: dict[str, Any], name: str) -> dict[str, Any]:
    props: dict[str, Any] = openapi["components"]["schemas"][name]["properties"]
    return props


def _bounds(prop: dict[str, Any]) -> tuple[Any, Any]:
    for alt in [prop, *prop.get("anyOf", [])]:
        if "maximum" in alt or "maxLength" in alt or "maxItems" in alt:
            return (
                alt.get("minimum", alt.get("minLength", alt.get("minItems"))),
                alt.get("maximum", alt.get("maxLength", alt.get("maxItems"))),
            )
    return (None, None)


BOUNDS = [
    ("GrantBody", "minutes", (-1440, 1440)),
    ("GrantBody", "child", (1, 64)),
    ("AskBody", "minutes", (5, 240)),
    ("AskBody", "message", (None, 300)),
    ("AnswerBody", "minutes", (1, 1440)),
    ("LimitBody", "daily", (0, 1440)),
    ("LimitBody", "weekend", (0, 1440)),
    ("LimitBody", "allowed", (None, 12)),
    ("PinBody", "pin", (1, 256)),
    ("PinChangeBody", "new", (4, 256)),
]


@pytest.mark.parametrize(("model", "field", "bounds"), BOUNDS)
def test_openapi_request_schemas_carry_the_bounds(
    openapi: dict[str, Any], model: str, field: str, bounds: tuple[Any, Any]
) -> None:
    """Request bodies declare their limits, so clients and fuzzers see them."""
    assert _bounds(_schema(openapi, model)[field]) == bounds


def test_openapi_parent_operations_take_json_bodies(openapi: dict[str, Any]) -> None:
    """Each parent operation with a body names its schema; the request id is bounded."""
    refs = {
        ("post", "/api/v1/grants"): "GrantBody",
        ("post", "/api/v1/pause"): "PauseBody",
        ("put", "/api/v1/children/{child}/limits/{key}"): "LimitBody",
        ("post", "/api/v1/requests/{request_id}/answer"): "AnswerBody",
        ("put", "/api/v1/pin"): "PinChangeBody",
        ("post", "/api/v1/requests"): "AskBody",
        ("post", "/api/v1/session"): "PinBody",
    }
    for (method, path), name in refs.items():
        body = openapi["paths"][path][method]["requestBody"]
        assert body["content"]["application/json"]["schema"]["$ref"].endswith("/" + name)
    answer = openapi["paths"]["/api/v1/requests/{request_id}/answer"]["post"]
    (param,) = [p for p in answer["parameters"] if p["name"] == "request_id"]
    assert param["schema"]["minimum"] == 1
