"""The API app in process: loopback-only binds and clients, sessions and lockout on fake clocks."""

from __future__ import annotations

import warnings
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from agent.api.app import ApiServer, NotLoopback, create_app, split_listen
from agent.api.context import ApiContext
from agent.api_client import base_url
from agent.i18n import set_language
from agent.security.api_sessions import SESSION_SECONDS, RateLimiter, Sessions
from agent.security.pin.manager import PinManager, ScryptParams
from agent.security.secret_store import SecretStore
from agent.testing import MemoryKeyring, MemoryLockoutStore
from playclock.compose import Runtime, build
from tests.support.apiserver import PIN, write_rules

with warnings.catch_warnings():
    warnings.filterwarnings("ignore", message="Using `httpx`")  # Starlette's note on httpx
    from starlette.testclient import TestClient

CHEAP = ScryptParams(n=2**4, r=1, p=1)
PORT = 7377
HOST = {"Host": f"127.0.0.1:{PORT}"}


class FakeClock:
    """A clock moved by hand."""

    def __init__(self, now: float = 1_700_000_000.0) -> None:
        self.now = now

    def __call__(self) -> float:
        return self.now


@pytest.fixture(autouse=True)
def _english() -> None:
    """Messages in English, whatever another test chose."""
    set_language("en")


@pytest.fixture
def runtime(tmp_path: Path) -> Iterator[Runtime]:
    """A real agent (rules, SQLite ledger) that is started but neither ticks nor serves."""
    rt = build(write_rules(tmp_path, f"127.0.0.1:{PORT}"), tmp_path / "data")
    rt.agent.start()
    yield rt
    rt.agent.stop()
    rt.ledger.close()


class Setup:
    """An app over the runtime's agent, a memory PIN store and fake clocks."""

    def __init__(self, runtime: Runtime, *, pin: str | None = PIN) -> None:
        self.runtime = runtime
        self.pin_clock = FakeClock()
        self.session_clock = FakeClock(100.0)
        self.pins = PinManager(
            SecretStore(MemoryKeyring()), MemoryLockoutStore(), clock=self.pin_clock, params=CHEAP
        )
        if pin is not None:
            self.pins.set_pin(pin)
        self.ctx = ApiContext(
            runtime.agent,
            pins=lambda: self.pins,
            port=PORT,
            sessions=Sessions(clock=self.session_clock),
            logins=RateLimiter(20, 60, clock=self.session_clock),
        )
        self.app = create_app(self.ctx)

    def client(self, host: str = "127.0.0.1", **kwargs: Any) -> TestClient:
        """A test client calling from `host`."""
        return TestClient(self.app, client=(host, 50000), headers=HOST, **kwargs)


def _login(client: TestClient) -> dict[str, Any]:
    """Log in with the PIN; the cookie is not kept (tests send it explicitly)."""
    resp = client.post("/api/v1/session", json={"pin": PIN})
    assert resp.status_code == 200, resp.text
    client.cookies.clear()
    body: dict[str, Any] = resp.json()
    return body


@pytest.fixture
def setup(runtime: Runtime) -> Setup:
    """The app with the PIN set."""
    return Setup(runtime)


# -- binding and clients --------------------------------------------------------------------


@pytest.mark.parametrize(
    ("listen", "expected"),
    [
        ("127.0.0.1:7377", ("127.0.0.1", 7377)),
        ("127.8.9.10:80", ("127.8.9.10", 80)),
        ("localhost:7377", ("localhost", 7377)),
        ("[::1]:7377", ("::1", 7377)),
        ("::1:7377", ("::1", 7377)),
    ],
)
def test_split_listen_accepts_loopback(listen: str, expected: tuple[str, int]) -> None:
    """Loopback addresses and names are split into host and port."""
    assert split_listen(listen) == expected


@pytest.mark.parametrize(
    "listen",
    [
        "0.0.0.0:7377",
        "192.168.1.5:7377",
        "[::]:7377",
        "10.0.0.1:7377",
        "example.com:7377",
        "127.0.0.1.nip.io:7377",
        "127.0.0.1:http",
        "127.0.0.1:",
        "7377",
        "",
    ],
)
def test_split_listen_refuses_anything_else(listen: str) -> None:
    """Any other address (or no port) raises NotLoopback, naming the value."""
    with pytest.raises(NotLoopback, match="loopback only") as caught:
        split_listen(listen)
    assert listen in str(caught.value)


@pytest.mark.parametrize("listen", ["0.0.0.0:7377", "192.168.1.5:7377"])
def test_api_server_refuses_a_non_loopback_bind(setup: Setup, listen: str) -> None:
    """The server refuses to be created for such an address (before binding anything)."""
    with pytest.raises(NotLoopback):
        ApiServer(setup.ctx, listen)


@pytest.mark.parametrize(
    ("listen", "url"),
    [
        ("127.0.0.1:7377", "http://127.0.0.1:7377"),
        ("localhost:8000", "http://localhost:8000"),
        ("[::1]:7377", "http://[::1]:7377"),
        ("::1:7377", "http://[::1]:7377"),
    ],
)
def test_client_base_url(listen: str, url: str) -> None:
    """The client's URL for each listen form the config accepts (IPv6 in brackets)."""
    assert base_url(listen) == url


@pytest.mark.parametrize("client", ["192.168.1.5", "10.0.0.2", "8.8.8.8", "::ffff:1.2.3.4"])
def test_non_loopback_clients_are_refused(setup: Setup, client: str) -> None:
    """Only this computer may use the API: 403, even for public reads."""
    resp = setup.client(client).get("/api/v1/status")
    assert resp.status_code == 403
    assert "only this computer" in resp.json()["detail"]


@pytest.mark.parametrize(
    ("client", "host", "status"),
    [
        ("127.0.0.1", f"127.0.0.1:{PORT}", 200),
        ("127.0.0.1", f"localhost:{PORT}", 200),
        ("::1", f"[::1]:{PORT}", 200),
        ("127.0.0.1", "testserver", 421),
        ("127.0.0.1", f"evil.example:{PORT}", 421),
        ("127.0.0.1", f"127.0.0.1:{PORT + 1}", 421),
        ("127.0.0.1", "127.0.0.1.nip.io", 421),
    ],
)
def test_host_header_check(setup: Setup, client: str, host: str, status: int) -> None:
    """Host headers other than this agent's own names and port get 421."""
    resp = setup.client(client).get("/api/v1/status", headers={"Host": host})
    assert resp.status_code == status


def test_security_headers(setup: Setup) -> None:
    """Every answer forbids sniffing, framing, referrers and caching."""
    headers = setup.client().get("/api/v1/health").headers
    assert headers["X-Content-Type-Options"] == "nosniff"
    assert headers["X-Frame-Options"] == "DENY"
    assert headers["Referrer-Policy"] == "no-referrer"
    assert headers["Cache-Control"] == "no-store"


@pytest.mark.parametrize("length", ["65537", "abc", "-1"])
def test_bad_or_big_content_length_is_refused(setup: Setup, length: str) -> None:
    """A Content-Length over 64 KiB, or not a number, is 413 before anything runs."""
    resp = setup.client().post(
        "/api/v1/session", content=b'{"pin": "4321"}', headers={"Content-Length": length}
    )
    assert resp.status_code == 413


# -- sessions, PIN, lockout -----------------------------------------------------------------


def _grant(client: TestClient, **kwargs: Any) -> Any:
    return client.post(
        "/api/v1/grants", json={"child": "An", "target": "total", "minutes": 5}, **kwargs
    )


def test_session_expires_after_15_minutes(setup: Setup) -> None:
    """A token works until its 15 minutes are over, then it is 401 "session expired"."""
    client = setup.client()
    token = _login(client)["token"]
    auth = {"Authorization": f"Bearer {token}"}
    setup.session_clock.now += SESSION_SECONDS - 1
    assert _grant(client, headers=auth).status_code == 200
    setup.session_clock.now += 1
    resp = _grant(client, headers=auth)
    assert resp.status_code == 401
    assert "expired" in resp.json()["detail"]
    assert client.get("/api/v1/session", headers=auth).json() == {"parent": False}


def test_cookie_session_expires_too(setup: Setup) -> None:
    """An expired cookie is no session: the request falls back to needing the PIN (401)."""
    client = setup.client()
    session = _login(client)
    cookie = {"Cookie": f"playclock_session={session['token']}", "X-CSRF-Token": session["csrf"]}
    assert _grant(client, headers=cookie).status_code == 200
    setup.session_clock.now += SESSION_SECONDS
    assert _grant(client, headers=cookie).status_code == 401


def test_lockout_ends_after_retry_after(setup: Setup) -> None:
    """After 5 wrong PINs: 423 with Retry-After 31; once that has passed the right PIN works."""
    client = setup.client()
    wrong = [_grant(client, headers={"X-PlayClock-PIN": "0000"}).status_code for _ in range(5)]
    assert wrong == [401] * 5
    locked = _grant(client, headers={"X-PlayClock-PIN": PIN})
    assert locked.status_code == 423
    assert locked.headers["Retry-After"] == "31"
    setup.pin_clock.now += 31
    assert _grant(client, headers={"X-PlayClock-PIN": PIN}).status_code == 200


def test_lockout_doubles_after_the_next_wrong_pin(setup: Setup) -> None:
    """The sixth wrong PIN (after the first wait) locks for 60 s."""
    client = setup.client()
    for _ in range(5):
        client.post("/api/v1/session", json={"pin": "0000"})
    setup.pin_clock.now += 31
    assert client.post("/api/v1/session", json={"pin": "0000"}).status_code == 401
    locked = client.post("/api/v1/session", json={"pin": PIN})
    assert locked.status_code == 423
    assert locked.headers["Retry-After"] == "61"


def test_no_pin_set_is_503_with_a_hint(runtime: Runtime) -> None:
    """Before a PIN is set, parent actions say how to set one (and change nothing)."""
    setup = Setup(runtime, pin=None)
    resp = _grant(setup.client(), headers={"X-PlayClock-PIN": PIN})
    assert resp.status_code == 503
    assert "pin set" in resp.json()["detail"]
    assert not [e for e in runtime.ledger.events() if e.kind == "grant"]


def test_logins_are_rate_limited(setup: Setup) -> None:
    """At most 20 logins a minute, even with the right PIN."""
    client = setup.client()
    codes = [client.post("/api/v1/session", json={"pin": PIN}).status_code for _ in range(21)]
    assert codes == [200] * 20 + [429]
    setup.session_clock.now += 60
    assert client.post("/api/v1/session", json={"pin": PIN}).status_code == 200


def test_a_bearer_token_is_not_a_cookie(setup: Setup) -> None:
    """A token given as the CSRF header is not a session; a CSRF token is not a bearer token."""
    client = setup.client()
    session = _login(client)
    assert _grant(client, headers={"X-CSRF-Token": session["token"]}).status_code == 401
    bearer = {"Authorization": f"Bearer {session['csrf']}"}
    assert _grant(client, headers=bearer).status_code == 401


def test_grant_is_logged_with_actor_parent(setup: Setup, runtime: Runtime) -> None:
    """The ledger records who did it, and the status shows the bonus."""
    resp = _grant(setup.client(), headers={"X-PlayClock-PIN": PIN})
    assert resp.status_code == 200
    total = next(lim for lim in resp.json()["children"][0]["limits"] if lim["id"] == "total")
    assert total["bonus_seconds"] == 300
    grants = [e for e in runtime.ledger.events() if e.kind == "grant"]
    assert [(e.child, e.target, e.actor, dict(e.detail)) for e in grants] == [
        ("An", "total", "parent", {"minutes": 5})
    ]


def test_setting_a_daily_limit_keeps_the_limits_other_settings(
    setup: Setup, runtime: Runtime
) -> None:
    """PUT with only `daily` keeps the weekend budget and the allowed hours already set."""
    client = setup.client()
    pin = {"X-PlayClock-PIN": PIN}
    first = client.put("/api/v1/children/An/limits/games", headers=pin,
                       json={"daily": 30, "weekend": 90, "allowed": ["08:00-20:00"]})
    assert first.status_code == 200, first.text
    again = client.put("/api/v1/children/An/limits/games", headers=pin, json={"daily": 45})
    assert again.status_code == 200, again.text
    spec = runtime.agent.config.child("An").effective_limits()["games"]  # type: ignore[union-attr]
    assert (spec.daily, spec.weekend, [str(w) for w in spec.allowed]) == (45, 90, ["08:00-20:00"])
    assert "weekend = 90" in (runtime.agent.source.path.read_text())  # type: ignore[union-attr]
