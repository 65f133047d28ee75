"""Issue 12's API items in process: without a parent session a caller sees only its own
child's events, log and requests; no test-only shortcuts in the security checks."""

from __future__ import annotations

import warnings
from collections.abc import Iterator
from pathlib import Path

import pytest

from agent.api.app import ApiServer, create_app
from agent.api.context import Address, ApiContext
from agent.i18n import set_language
from agent.security.pin.manager import PinManager, ScryptParams
from agent.security.secret_store import SecretStore
from agent.testing import MemoryKeyring, MemoryLockoutStore
from playclock.compose import Runtime, build

with warnings.catch_warnings():
    warnings.filterwarnings("ignore", message="Using `httpx`")
    from starlette.testclient import TestClient

PORT = 7377
HOST = {"Host": f"127.0.0.1:{PORT}"}
PIN = "4321"
RULES = f"""version = 1

[settings]
listen = "127.0.0.1:{PORT}"

[apps.fakegame]
title = "Fake game"
category = "games"
names = ["fakegame-privacy"]

[[child]]
name = "An"
accounts = ["an"]

[child.limits.games]
daily = 30

[[child]]
name = "Binh"
accounts = ["binh"]

[child.limits.games]
daily = 30
"""


@pytest.fixture(autouse=True)
def _english() -> None:
    set_language("en")


@pytest.fixture
def runtime(tmp_path: Path) -> Iterator[Runtime]:
    """A started (not ticking) agent with two children and a request and event of each."""
    rules = tmp_path / "rules.toml"
    rules.write_text(RULES, encoding="utf-8")
    rt = build(rules, tmp_path / "data")
    rt.agent.start()
    rt.agent.ask("An", 15, "homework is done")
    rt.agent.ask("Binh", 30, "secret plans")
    yield rt
    rt.agent.stop()
    rt.ledger.close()


class Caller:
    """The app, with the calling account chosen by the test (as the kernel would tell)."""

    def __init__(self, runtime: Runtime) -> None:
        self.account: str | None = None
        self.asked: list[tuple[Address | None, Address | None]] = []
        self.pins = PinManager(
            SecretStore(MemoryKeyring()), MemoryLockoutStore(), params=ScryptParams(n=2**4)
        )
        self.pins.set_pin(PIN)
        self.ctx = ApiContext(runtime.agent, lambda: self.pins, PORT, peer=self._peer)
        self.client = TestClient(create_app(self.ctx), client=("127.0.0.1", 50123), headers=HOST)

    def _peer(self, client: Address | None, server: Address | None) -> str | None:
        self.asked.append((client, server))
        return self.account

    def get(self, path: str, **headers: str) -> dict[str, object]:
        resp = self.client.get(f"/api/v1{path}", headers=headers)
        assert resp.status_code == 200, resp.text
        body: dict[str, object] = resp.json()
        return body


@pytest.fixture
def caller(runtime: Runtime) -> Caller:
    return Caller(runtime)


def children_of(items: object) -> set[object]:
    assert isinstance(items, list)
    return {item["child"] for item in items}


def test_a_child_sees_only_their_own_requests_events_and_log(caller: Caller) -> None:
    caller.account = "an"
    assert children_of(caller.get("/requests")["requests"]) == {"An"}
    assert children_of(caller.get("/events")["events"]) == {"An"}
    assert children_of(caller.get("/log")["events"]) == {"An"}
    # The kernel was asked about the real connection: our client address, the server's.
    assert caller.asked[0][0] == ("127.0.0.1", 50123)
    caller.account = "binh"
    assert children_of(caller.get("/requests")["requests"]) == {"Binh"}
    messages = [r["message"] for r in caller.get("/requests")["requests"]]  # type: ignore[index,union-attr]
    assert messages == ["secret plans"]


def test_an_account_of_no_child_sees_nothing_of_any_child(caller: Caller, runtime: Runtime) -> None:
    runtime.agent.log("pin.try", {"result": "wrong", "failures": 1}, "pin")
    for account in (None, "root", "somebody"):
        caller.account = account
        assert caller.get("/requests")["requests"] == []
        assert caller.get("/events")["events"] == []
        assert caller.get("/log")["events"] == []  # not even PIN tries or agent events


def test_a_parent_session_or_the_pin_sees_everything(caller: Caller) -> None:
    caller.account = "an"
    everyone = {"An", "Binh"}
    assert children_of(caller.get("/requests", **{"X-PlayClock-Pin": PIN})["requests"]) == everyone
    login = caller.client.post("/api/v1/session", json={"pin": PIN})
    token = login.json()["token"]
    bearer = {"Authorization": f"Bearer {token}"}
    assert children_of(caller.get("/requests", **bearer)["requests"]) == everyone
    assert None in children_of(caller.get("/log", **bearer)["events"])  # agent_start and such
    caller.client.cookies.set("playclock_session", token)  # the dashboard's cookie
    assert children_of(caller.get("/requests")["requests"]) == everyone


def test_a_child_may_ask_only_for_their_own_time(caller: Caller) -> None:
    caller.account = "an"
    mine = caller.client.post("/api/v1/requests", json={"child": "An", "minutes": 10})
    assert mine.status_code == 201, mine.text
    other = caller.client.post("/api/v1/requests", json={"child": "Binh", "minutes": 10})
    assert other.status_code == 403
    assert "your own" in other.json()["detail"]


def test_starlettes_test_names_get_no_pass(runtime: Runtime) -> None:
    """The names Starlette's test client uses by default are neither loopback nor a Host."""
    ctx = ApiContext(runtime.agent, lambda: PinManager(SecretStore(MemoryKeyring()),
                                                       MemoryLockoutStore()), PORT)  # fmt: skip
    app = create_app(ctx)
    assert TestClient(app).get("/api/v1/health").status_code == 403  # client "testclient"
    loopback = TestClient(app, client=("127.0.0.1", 50000))
    assert loopback.get("/api/v1/health").status_code == 421  # Host "testserver"
    assert loopback.get("/api/v1/health", headers=HOST).status_code == 200


def test_uvicorn_never_takes_the_client_from_forwarded_headers(runtime: Runtime) -> None:
    ctx = ApiContext(runtime.agent, lambda: PinManager(SecretStore(MemoryKeyring()),
                                                       MemoryLockoutStore()), PORT)  # fmt: skip
    server = ApiServer(ctx, f"127.0.0.1:{PORT}")
    assert server.server.config.proxy_headers is False


def test_a_flood_of_locked_out_pin_tries_leaves_a_few_rows(runtime: Runtime) -> None:
    """Issue 12: 600 tries against a locked PIN were 600+ rows; now one per episode."""
    pins = PinManager(
        SecretStore(MemoryKeyring()),
        MemoryLockoutStore(),
        log=lambda event, fields: runtime.agent.log(event, fields, "pin"),
        params=ScryptParams(n=2**4),
    )
    pins.set_pin(PIN)
    ctx = ApiContext(runtime.agent, lambda: pins, PORT, peer=lambda _c, _s: None)
    client = TestClient(create_app(ctx), client=("127.0.0.1", 50000), headers=HOST)
    codes = [
        client.post(
            "/api/v1/pause",
            json={"child": "An", "paused": True},
            headers={"X-PlayClock-Pin": "0000"},
        ).status_code
        for _ in range(600)
    ]
    assert codes[:5] == [401] * 5 and set(codes[5:]) == {423}
    pins.flush()  # as the agent's stop does
    tries = [e for e in runtime.ledger.events(limit=10_000) if e.kind == "pin.try"]
    assert [e.detail["result"] for e in tries] == ["wrong"] * 5 + ["locked"]
    assert tries[-1].detail["count"] == 595


def test_the_pin_events_are_capped(runtime: Runtime) -> None:
    for n in range(1100):
        runtime.agent.log("pin.try", {"result": "wrong", "failures": n}, "pin")
    kept = [e for e in runtime.ledger.events(limit=10_000) if e.kind.startswith("pin.")]
    assert len(kept) == 1000
    assert kept[-1].detail["failures"] == 1099 and kept[0].detail["failures"] == 100
    assert any(e.kind == "agent_start" for e in runtime.ledger.events(limit=10_000))
