"""The sync client against a scripted hub: revisions, consent, tokens, commands, TLS options."""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Callable
from typing import Any

import pytest
import requests

from agent.ledger.memory import MemoryLedger
from agent.ledger.store import Event
from agent.security.secret_store import open_store
from agent.testing import MemoryKeyring
from rules.model import Child, Config, LimitSpec
from sync.client import SyncClient
from sync.consent_records import ChildInfo, make_consents
from sync.remote_commands import actor_for
from sync.state import META_KEY, TOKEN_NAME, SyncState, SyncStore

TZ = dt.timezone(dt.timedelta(hours=7))
DAY = dt.date(2026, 1, 5)
NOW = dt.datetime(2026, 1, 5, 20, 0, tzinfo=TZ)
Reply = tuple[int, Any] | Exception


def _response(status: int, body: Any) -> requests.Response:
    r = requests.Response()
    r.status_code = status
    r._content = b"" if body is None else json.dumps(body).encode()
    r.headers["Content-Type"] = "application/json"
    return r


class FakeHub:
    """A session whose answers come from a small in-memory hub (or from `script`)."""

    def __init__(self) -> None:
        self.calls: list[dict[str, Any]] = []
        self.stored: dict[str, tuple[int, dict[str, Any]]] = {}  # path -> (revision, body)
        self.commands: list[dict[str, Any]] = []
        self.acks: list[tuple[str, str]] = []
        self.script: list[Callable[[str, str, Any], Reply | None]] = []

    def __call__(self) -> FakeHub:
        return self  # the session factory

    def close(self) -> None:
        pass

    def request(self, method: str, url: str, **kw: Any) -> requests.Response:
        self.calls.append({"method": method, "url": url, **kw})
        path = url.split("://", 1)[1].split("/", 1)[1]
        for rule in list(self.script):
            reply = rule(method, "/" + path, kw.get("json"))
            if isinstance(reply, Exception):
                raise reply
            if reply is not None:
                return _response(*reply)
        return _response(*self.answer(method, "/" + path, kw.get("json")))

    def answer(self, method: str, path: str, body: Any) -> tuple[int, Any]:
        if method == "PUT" and "/days/" in path:
            rev, held = self.stored.get(path, (0, {}))
            applied = body["revision"] > rev
            if applied:
                self.stored[path] = (body["revision"], body)
            rev, held = self.stored[path]
            return 200, {"stored_revision": rev, "applied": applied,
                         "total_seconds": held["total_seconds"]}
        if method == "GET" and path.startswith("/v1/devices/me/commands"):
            acked = {cid for cid, _s in self.acks}
            return 200, {"commands": [c for c in self.commands if str(c["id"]) not in acked],
                         "next_after": 0}
        if method == "POST" and path.endswith("/ack"):
            self.acks.append((path.split("/")[-2], body["status"]))
            return 200, {}
        if method == "POST" and path == "/v1/devices/me/requests":
            return 201, {"id": 77}
        if method == "PUT" and "/consents/" in path:
            return 200, {}
        return 404, {"error": "not_found", "message": path}

    def puts(self) -> list[dict[str, Any]]:
        return [c for c in self.calls if c["method"] == "PUT" and "/days/" in c["url"]]


class FakeAgent:
    """The agent's actions, recorded."""

    def __init__(self, ledger: MemoryLedger) -> None:
        self.ledger = ledger
        self.config = Config(children=(Child("An", ("an",), 2014,
                                             limits=(LimitSpec("games", daily=60),)),))
        self.grants: list[tuple[str, str, int, str]] = []
        self.limits: list[tuple[str, str, LimitSpec | None]] = []

    def grant(self, child: str, target: str, minutes: int, actor: str) -> None:
        self.grants.append((child, target, minutes, actor))
        self.ledger.add_event(Event("grant", NOW, DAY, child, target, {}, actor))

    def set_limit(self, child: str, key: str, spec: LimitSpec | None, actor: str) -> None:
        self.limits.append((child, key, spec))

    def answer(self, request_id: int, approve: bool, minutes: int | None,
               actor: str) -> dict[str, Any]:
        return self.ledger.answer_request(request_id, approve, minutes).as_json()

    def log(self, kind: str, detail: dict[str, Any], actor: str = "agent") -> None:
        self.ledger.add_event(Event(kind, NOW, None, None, None, detail, actor))


class Rig:
    """A paired device (An consents) over a MemoryLedger, talking to a FakeHub."""

    def __init__(self, *, enabled: bool = True, agent: bool = False,
                 ca_bundle: str | None = None) -> None:
        self.ledger = MemoryLedger()
        self.store = SyncStore(self.ledger)
        self.secrets = open_store(MemoryKeyring())
        self.secrets.set(TOKEN_NAME, "pcd_secret")
        self.hub = FakeHub()
        self.agent = FakeAgent(self.ledger) if agent else None
        with self.store.locked() as state:
            state.enabled, state.hub, state.ca_bundle = enabled, "https://hub.test", ca_bundle
            state.consents = make_consents([ChildInfo("An", 2014)], "Mẹ", ["An"],
                                           NOW - dt.timedelta(days=3))
            for c in state.consents.values():
                c.recorded = True

    def use(self, seconds: float, child: str = "An", day: dt.date = DAY) -> None:
        self.ledger.add_usage({(day, child, "total", "total"): seconds})

    def client(self, factory: Any = None) -> SyncClient:
        session: Any = factory or self.hub  # a FakeHub quacks like a requests.Session
        return SyncClient(self.store, self.ledger, self.secrets, self.agent, session,
                          lambda: NOW, timeout=(5.0, 15.0))


def test_nothing_is_sent_while_sync_is_off() -> None:
    rig = Rig(enabled=False)
    rig.use(60)

    def no_session() -> Any:
        raise AssertionError("no session may even be opened")

    assert rig.client(no_session).run_once().skipped == "disabled"


def test_every_call_is_verified_timed_out_and_authorised() -> None:
    rig = Rig(ca_bundle="/etc/ssl/family-ca.pem")
    rig.use(60, child="an")
    assert rig.client().run_once().ok
    (put,) = rig.hub.puts()
    assert put["verify"] == "/etc/ssl/family-ca.pem" and put["timeout"] == (5.0, 15.0)
    assert put["headers"]["Authorization"] == "Bearer pcd_secret"
    assert put["allow_redirects"] is False
    assert put["url"] == f"https://hub.test/v1/devices/me/days/An/{DAY.isoformat()}"
    plain = Rig()
    plain.use(60)
    plain.client().run_once()
    assert all(c["verify"] is True for c in plain.hub.calls)


def test_a_revision_is_stored_before_it_is_sent_and_never_reused_for_other_content() -> None:
    rig = Rig()
    rig.use(100)
    persisted: list[tuple[int, int]] = []

    def check_persisted(m: str, p: str, b: Any) -> None:
        if m == "PUT":  # what a crash at this very moment would leave in the ledger
            mark = SyncState.from_json(rig.ledger.get_meta(META_KEY)).days[f"an|{DAY}"]
            persisted.append((b["revision"], mark.rev))

    rig.hub.script.append(check_persisted)
    rig.hub.script.append(lambda m, p, b: requests.ConnectionError("down"))
    report = rig.client().run_once()
    assert report.error == "hub_unreachable" and report.pending == [("An", DAY.isoformat())]
    mark = rig.store.load().days[f"an|{DAY.isoformat()}"]
    assert (mark.rev, mark.acked) == (1, 0) and mark.sent  # bumped before the send failed
    # Same content again: the same revision is resent (safe). New content: a new revision.
    rig.use(50)
    rig.client().run_once()
    assert rig.store.load().days[f"an|{DAY.isoformat()}"].rev == 2
    rig.hub.script.pop()
    assert rig.client().run_once().sent == [("An", DAY.isoformat())]
    assert persisted == [(1, 1), (2, 2), (2, 2)]
    sent = [c["json"] for c in rig.hub.calls if c["method"] == "PUT"]
    assert [(b["revision"], b["total_seconds"]) for b in sent] == [(1, 100), (2, 150), (2, 150)]
    mark = rig.store.load().days[f"an|{DAY.isoformat()}"]
    assert (mark.rev, mark.acked) == (2, 2)


def test_a_hub_holding_a_newer_revision_is_overtaken() -> None:
    rig = Rig()
    path = f"/v1/devices/me/days/An/{DAY.isoformat()}"
    rig.hub.stored[path] = (7, {"total_seconds": 5})  # e.g. the ledger came from a backup
    rig.use(100)
    assert rig.client().run_once().ok
    assert rig.hub.stored[path][0] == 8 and rig.hub.stored[path][1]["total_seconds"] == 100


def test_children_without_consent_are_never_sent() -> None:
    rig = Rig()
    rig.use(100, child="Bình")
    rig.use(100, child="An")
    rig.client().run_once()
    assert [c["url"].rsplit("/", 2)[-2] for c in rig.hub.puts()] == ["An"]


def test_a_wrong_or_revoked_token_turns_sync_off() -> None:
    rig = Rig()
    rig.use(100)
    rig.hub.script.append(lambda m, p, b: (401, {"error": "unauthorized", "message": "no"}))
    report = rig.client().run_once()
    assert report.error == "unauthorized"
    assert rig.store.load().enabled is False and rig.secrets.get(TOKEN_NAME) is None
    assert [e.kind for e in rig.ledger.events()] == ["sync_revoked"]


def test_consent_withdrawn_on_the_hub_stops_that_child() -> None:
    rig = Rig()
    rig.use(100)
    rig.use(100, day=DAY - dt.timedelta(days=1))
    rig.hub.script.append(lambda m, p, b: (403, {"error": "consent_withdrawn", "message": "x"})
                          if m == "PUT" else None)
    report = rig.client().run_once()
    assert report.error == "consent_withdrawn" and len(rig.hub.puts()) == 1
    assert rig.store.load().consents["an"].withdrawn_at is not None
    assert rig.client().run_once().skipped == "no_consent"


def test_a_consent_the_hub_lost_is_recorded_again() -> None:
    rig = Rig()
    rig.use(100)
    lost = [True]

    def consent_required(m: str, p: str, b: Any) -> Reply | None:
        if m == "PUT" and "/days/" in p and lost[0]:
            return 403, {"error": "consent_required", "message": "x"}
        if m == "PUT" and "/consents/" in p:
            lost[0] = False
        return None

    rig.hub.script.append(consent_required)
    rig.client().run_once()
    assert any("/consents/" in c["url"] for c in rig.hub.calls)
    assert rig.client().run_once().sent == [("An", DAY.isoformat())]


def test_commands_apply_once_even_when_the_ack_is_lost_or_the_note_is() -> None:
    rig = Rig(agent=True)
    assert rig.agent is not None
    rig.hub.commands = [
        {"id": 5, "type": "grant", "created_at": "2026-01-05T10:00:00Z",
         "payload": {"child": "An", "target": "games", "minutes": 30, "day": None}},
        {"id": 6, "type": "set_limit", "created_at": "2026-01-05T10:00:00Z",
         "payload": {"child": "An", "key": "games", "daily_minutes": 45}},
        {"id": 7, "type": "grant", "created_at": "2026-01-05T10:00:00Z",
         "payload": {"child": "Bình", "target": "total", "minutes": 5, "day": None}},
    ]
    rig.hub.script.append(lambda m, p, b: requests.ConnectionError("x")
                          if p.endswith("/ack") else None)
    assert rig.client().run_once().error == "hub_unreachable"
    rig.hub.script.clear()
    report = rig.client().run_once()
    assert report.applied == [5, 6] and report.rejected == [7]
    assert rig.agent.grants == [("An", "games", 30, actor_for(5))]
    assert rig.agent.limits == [("An", "games", LimitSpec("games", daily=45))]
    # A crash between the grant and the note: the event log shows it was applied.
    rig.hub.acks.clear()
    with rig.store.locked() as state:
        state.commands.clear()
    rig.client().run_once()
    assert len(rig.agent.grants) == 1 and ("5", "applied") in rig.hub.acks


def test_requests_are_forwarded_once_and_answered_from_the_hub() -> None:
    rig = Rig(agent=True)
    req = rig.ledger.add_request(NOW, "An", 20, "please")
    first = rig.client().run_once()
    assert first.forwarded == [req.id] and rig.client().run_once().forwarded == []
    (posted,) = [c["json"] for c in rig.hub.calls if c["url"].endswith("/requests")]
    assert posted == {"client_request_id": posted["client_request_id"], "child": "An",
                      "target": "total", "minutes": 20}  # no message without its own share
    rig.hub.commands = [{"id": 9, "type": "answer_request", "created_at": "2026-01-05T10:00:00Z",
                         "payload": {"request_id": 77,
                                     "client_request_id": posted["client_request_id"],
                                     "approve": True, "child": "An", "target": "total",
                                     "minutes": 15}}]
    assert rig.client().run_once().applied == [9]
    assert rig.ledger.requests()[0].state == "approved"


@pytest.mark.parametrize(("parent", "child", "sent"), [
    (True, True, True), (True, False, False), (False, True, False), (False, False, False)])
def test_the_childs_words_go_only_with_the_parents_and_the_childs_consent_to_them(
        parent: bool, child: bool, sent: bool) -> None:
    rig = Rig(agent=True)
    with rig.store.locked() as state:  # An (12) agreed to the summaries; the words apart
        state.consents = make_consents(
            [ChildInfo("An", 2014)], "Mẹ", ["An"], NOW - dt.timedelta(days=3),
            messages=["An"] if parent else [], child_messages=["an"] if child else [])
        for c in state.consents.values():
            c.recorded = True
    words = "Con làm bài xong rồi ạ\x07\n<b>cho con</b>\t" + "!" * 300
    rig.ledger.add_request(NOW, "An", 20, words)
    rig.ledger.add_request(NOW, "An", 5, " \x00 ")  # nothing left to say once cleaned
    assert rig.client().run_once().ok
    posted = [c["json"] for c in rig.hub.calls if c["url"].endswith("/requests")]
    plain = {"client_request_id", "child", "target", "minutes"}
    assert [set(p) for p in posted] == [plain | ({"message"} if sent else set()), plain]
    if sent:  # only the words: one line, no control characters, 200 characters at most
        message = posted[0]["message"]
        assert message == ("Con làm bài xong rồi ạ <b>cho con</b> " + "!" * 300)[:200]
    # Under 7, the parent's yes is enough.
    young = make_consents([ChildInfo("Bé", 2021)], "Mẹ", [], NOW, messages=["Bé"])
    assert "messages" in young["bé"].shares


@pytest.mark.parametrize("when,expected", [(DAY, "applied"), (DAY - dt.timedelta(days=1),
                                                               "rejected")])
def test_grants_for_another_day(when: dt.date, expected: str) -> None:
    rig = Rig(agent=True)
    rig.hub.commands = [{"id": 3, "type": "grant", "created_at": "2026-01-04T10:00:00Z",
                         "payload": {"child": "An", "target": "games", "minutes": 5,
                                     "day": when.isoformat()}}]
    rig.client().run_once()
    assert rig.hub.acks == [("3", expected)]
    future = Rig(agent=True)
    future.hub.commands = [{**rig.hub.commands[0], "payload": {
        **rig.hub.commands[0]["payload"], "day": (DAY + dt.timedelta(days=1)).isoformat()}}]
    future.client().run_once()
    assert future.hub.acks == []  # tomorrow's grant waits on the hub
