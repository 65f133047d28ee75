"""One child's consent after pairing: recorded, sent, refused, withdrawn and retried."""

from __future__ import annotations

import argparse
import contextlib
import datetime as dt
import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
import requests

from agent.ledger.memory import MemoryLedger
from agent.ledger.sqlite import SqliteLedger
from agent.security.secret_store import SecretStore, open_store
from agent.testing import MemoryKeyring
from playclock.cli import sync as cli
from playclock.cli.parser import build_parser
from sync.client import SyncClient
from sync.consent_flow import (
    PENDING_KEY,
    NothingToWithdraw,
    NotPaired,
    child_consent,
    record_consent,
    withdraw_child,
)
from sync.consent_records import ChildInfo, ConsentMissing, make_consents
from sync.hub.schemas import ConsentIn
from sync.state import TOKEN_NAME, SyncStore

TZ = dt.timezone(dt.timedelta(hours=7))
DAY = dt.date(2026, 1, 5)
NOW = dt.datetime(2026, 1, 5, 20, 0, tzinfo=TZ)
CHI = ChildInfo("Chi", 2017)  # 9: must agree too
Rule = Callable[[str, str], tuple[int, Any] | Exception | None]


def _response(status: int, body: Any) -> requests.Response:
    r = requests.Response()
    r.status_code = status
    r._content = b"" if body is None else json.dumps(body).encode()
    r.headers["Content-Type"] = "application/json"
    return r


class FakeHub:
    """A session over a tiny hub: consents (one active per child), day summaries, faults."""

    def __init__(self) -> None:
        self.calls: list[tuple[str, str, Any]] = []
        self.consents: dict[str, dict[str, Any]] = {}  # id -> body + withdrawn
        self.days: dict[tuple[str, str], dict[str, Any]] = {}  # (child key, day) -> body
        self.down = False
        self.rules: list[Rule] = []

    def __call__(self) -> FakeHub:
        return self  # the session factory

    def close(self) -> None:
        pass

    def request(self, method: str, url: str, **kw: Any) -> requests.Response:
        path = "/" + url.split("://", 1)[1].split("/", 1)[1]
        self.calls.append((method, path, kw.get("json")))
        if self.down:
            raise requests.ConnectionError("hub down")
        for rule in self.rules:
            reply = rule(method, path)
            if isinstance(reply, Exception):
                raise reply
            if reply is not None:
                return _response(*reply)
        return _response(*self.answer(method, path, kw.get("json")))

    def answer(self, method: str, path: str, body: Any) -> tuple[int, Any]:
        parts = path.split("/")
        if "/consents/" in path and method == "PUT":
            ConsentIn.model_validate(body)
            held = self.consents.get(parts[-1])
            if held is not None and held["withdrawn"]:
                return 409, {"error": "consent_withdrawn", "message": "withdrawn"}
            key = body["child"].casefold()
            if held is None and any(c["child"].casefold() == key and not c["withdrawn"]
                                    for c in self.consents.values()):
                return 409, {"error": "consent_exists", "message": "exists"}
            self.consents[parts[-1]] = {**body, "withdrawn": False}
            return 200, body
        if "/consents/" in path and method == "DELETE":
            held = self.consents.get(parts[-1])
            if held is None:
                return 404, {"error": "consent_not_found", "message": "no"}
            held["withdrawn"] = True
            self.days = {k: v for k, v in self.days.items() if k[0] != held["child"].casefold()}
            return 204, None
        if "/days/" in path and method == "PUT":
            held = self.consents.get(body["consent_id"])
            if held is None or held["withdrawn"]:
                return 403, {"error": "consent_required", "message": "no"}
            self.days[(parts[-2].casefold(), parts[-1])] = body
            return 200, {"stored_revision": body["revision"], "applied": True,
                         "total_seconds": body["total_seconds"]}
        return 404, {"error": "not_found", "message": path}

    def lines(self) -> list[str]:
        return [f"{m} {p}" for m, p, _b in self.calls]


class Rig:
    """A paired device (An, who agreed) over a MemoryLedger, and its FakeHub."""

    def __init__(self) -> None:
        self.ledger = MemoryLedger()
        self.store = SyncStore(self.ledger)
        self.secrets: SecretStore = open_store(MemoryKeyring())
        self.secrets.set(TOKEN_NAME, "pcd_secret")
        self.hub = FakeHub()
        self.session: Any = self.hub  # a FakeHub quacks like a requests.Session
        with self.store.locked() as state:
            state.enabled, state.hub, state.device_id = True, "https://hub.test", 3
            state.consents = make_consents([ChildInfo("An", 2014), ChildInfo("Bình", 2020)],
                                           "Mẹ", ["An"], NOW - dt.timedelta(days=3))
            for c in state.consents.values():
                self.hub.consents[c.consent_id] = {**c.hub_body(), "withdrawn": False}
                c.recorded = True

    def use(self, seconds: float, child: str, day: dt.date = DAY) -> None:
        self.ledger.add_usage({(day, child, "total", "total"): seconds})

    def run(self) -> Any:
        return SyncClient(self.store, self.ledger, self.secrets, None, self.session,
                          lambda: NOW).run_once()

    def record(self, child: ChildInfo = CHI, agrees: bool = True) -> str | None:
        consent = child_consent(child, "Bố", agrees, NOW)
        return record_consent(self.store, self.ledger, self.secrets, consent,
                              session_factory=self.session, clock=lambda: NOW)

    def withdraw(self, child: str = "Chi") -> str | None:
        return withdraw_child(self.store, self.ledger, self.secrets, child,
                              session_factory=self.session, clock=lambda: NOW)

    def pending(self) -> list[dict[str, Any]]:
        return list(json.loads(self.ledger.get_meta(PENDING_KEY) or "[]"))

    def day_puts(self, child: str) -> list[str]:
        return [line for line in self.hub.lines() if line.startswith(f"PUT /v1/devices/me/days/"
                                                                     f"{child}/")]


def test_a_child_of_seven_or_more_must_agree_and_a_parent_must_be_named() -> None:
    with pytest.raises(ConsentMissing):
        child_consent(CHI, "Bố", False, NOW)
    with pytest.raises(ConsentMissing):
        child_consent(ChildInfo("Cúc"), "Bố", False, NOW)  # age unknown
    with pytest.raises(ConsentMissing):
        child_consent(CHI, "  ", True, NOW)
    young = child_consent(ChildInfo("Dũng", 2021), "Bố", False, NOW)
    assert (young.child_consented, young.child_consented_at) == (False, None)
    ConsentIn.model_validate(young.hub_body())


def test_a_child_added_later_is_sent_only_once_consent_is_recorded() -> None:
    rig = Rig()
    rig.use(600, "Chi")
    rig.use(300, "An")
    assert rig.run().sent == [("An", DAY.isoformat())]
    assert rig.day_puts("Chi") == []
    assert rig.record() is None
    (put,) = [c for c in rig.hub.calls if "/consents/" in c[1]]
    consent = rig.store.load().consent_for("chi")
    assert consent is not None and consent.recorded and consent.child_consented
    assert put[1] == f"/v1/devices/me/consents/{consent.consent_id}" and put[2]["child"] == "Chi"
    (event,) = [e for e in rig.ledger.events() if e.kind == "sync_consent"]
    assert (event.child, event.actor, event.detail["parent_name"]) == ("Chi", "parent", "Bố")
    assert "consent_id" not in event.detail and "pcd_" not in json.dumps(event.as_json())
    report = rig.run()
    assert report.ok and report.sent == [("Chi", DAY.isoformat())]
    assert rig.hub.days[("chi", DAY.isoformat())]["total_seconds"] == 600


def test_a_child_who_turned_seven_agrees_under_the_same_record() -> None:
    rig = Rig()
    with rig.store.locked() as state:
        state.consents["bình"].birth_year = 2019  # 7 this year, had not agreed
    old_id = rig.store.load().consents["bình"].consent_id
    rig.use(200, "Bình")
    assert rig.run().notes == ["child_consent_needed:Bình"]
    assert rig.record(ChildInfo("Bình", 2019)) is None
    consent = rig.store.load().consents["bình"]
    assert consent.consent_id == old_id and consent.child_consented and consent.recorded
    assert rig.run().sent == [("Bình", DAY.isoformat())]


def test_updating_a_record_keeps_when_sharing_started() -> None:
    """Days waiting to be sent under the first record are not dropped by an update."""
    rig = Rig()
    first = rig.store.load().consents["bình"]
    with rig.store.locked() as state:
        state.consents["bình"].birth_year = 2019
    assert rig.record(ChildInfo("Bình", 2019)) is None
    updated = rig.store.load().consents["bình"]
    assert updated.sharing_since == first.parent_consented_at
    assert updated.consented_at == first.consented_at


def test_an_unreachable_hub_keeps_the_consent_for_the_next_run() -> None:
    rig = Rig()
    rig.use(100, "Chi")
    rig.hub.down = True
    assert rig.record() == "hub_unreachable"
    consent = rig.store.load().consent_for("Chi")
    assert consent is not None and not consent.recorded
    rig.hub.down = False
    rig.hub.calls.clear()
    assert rig.run().sent == [("Chi", DAY.isoformat())]
    assert rig.hub.lines()[0] == f"PUT /v1/devices/me/consents/{consent.consent_id}"


def test_a_refused_consent_changes_nothing() -> None:
    rig = Rig()
    before = rig.store.load().consents
    rig.hub.rules.append(lambda m, p: (422, {"error": "validation_error", "message": "bad"})
                         if "/consents/" in p else None)
    with pytest.raises(cli.HubError):
        rig.record()
    assert rig.store.load().consents == before


def test_nothing_is_recorded_or_sent_unless_paired() -> None:
    rig = Rig()
    with rig.store.locked() as state:
        state.enabled = False
    with pytest.raises(NotPaired):
        rig.record()
    with pytest.raises(NotPaired):
        rig.withdraw("An")
    paired = Rig()
    paired.secrets.delete(TOKEN_NAME)
    with pytest.raises(NotPaired):
        paired.record()
    assert rig.hub.calls == paired.hub.calls == []
    assert rig.store.load().consent_for("Chi") is None
    assert [e.kind for e in rig.ledger.events()] == []


def test_withdrawing_one_child_deletes_their_data_and_stops_sending() -> None:
    rig = Rig()
    rig.use(100, "An")
    rig.use(200, "Bình")
    rig.run()
    an_id = rig.store.load().consents["an"].consent_id
    assert rig.withdraw("an") is None
    assert f"DELETE /v1/devices/me/consents/{an_id}" in rig.hub.lines()
    assert rig.hub.consents[an_id]["withdrawn"] and ("an", DAY.isoformat()) not in rig.hub.days
    state = rig.store.load()
    assert "an" not in state.consents and not any(k.startswith("an|") for k in state.days)
    assert rig.pending() == []
    (event,) = [e for e in rig.ledger.events() if e.kind == "sync_consent_withdrawn"]
    assert (event.child, event.actor) == ("An", "parent")
    rig.use(50, "An")
    rig.use(50, "Bình")
    rig.hub.calls.clear()
    assert rig.run().sent == [("Bình", DAY.isoformat())]
    assert rig.day_puts("An") == []
    with pytest.raises(NothingToWithdraw):
        rig.withdraw("An")


def test_a_withdrawal_the_hub_missed_is_retried_and_nothing_is_sent_meanwhile() -> None:
    rig = Rig()
    rig.use(100, "An")
    rig.run()
    an_id = rig.store.load().consents["an"].consent_id
    rig.hub.down = True
    assert rig.withdraw("An") == "hub_unreachable"
    assert [p["consent_id"] for p in rig.pending()] == [an_id]
    assert rig.store.load().consent_for("An") is None
    assert rig.run().error == "hub_unreachable"
    assert ("an", DAY.isoformat()) in rig.hub.days  # not yet deleted
    # The only child left is under a pending withdrawal: the run still asks the hub.
    with rig.store.locked() as state:
        del state.consents["bình"]
    rig.hub.down = False
    rig.hub.calls.clear()
    rig.use(60, "An")
    report = rig.run()
    assert report.ok and report.sent == []
    assert rig.hub.lines() == [f"DELETE /v1/devices/me/consents/{an_id}"]
    assert rig.pending() == [] and ("an", DAY.isoformat()) not in rig.hub.days
    rig.hub.calls.clear()
    assert rig.run().skipped == "no_consent" and rig.hub.calls == []


def test_a_new_consent_waits_until_the_hub_deleted_the_old_one() -> None:
    rig = Rig()
    an_id = rig.store.load().consents["an"].consent_id
    rig.hub.down = True
    assert rig.withdraw("An") == "hub_unreachable"
    assert rig.record(ChildInfo("An", 2014)) == "hub_unreachable"
    new_id = rig.store.load().consents["an"].consent_id
    assert new_id != an_id
    rig.use(100, "An")
    rig.hub.rules.append(lambda m, p: (500, {"error": "internal_error", "message": "x"})
                         if m == "DELETE" else None)
    rig.hub.down = False
    report = rig.run()  # the deletion fails: An's new consent and days wait
    assert report.error == "internal_error" and rig.day_puts("An") == []
    assert not any("PUT /v1/devices/me/consents/" in line for line in rig.hub.lines())
    rig.hub.rules.clear()
    rig.hub.calls.clear()
    rig.run()
    rig.run()
    lines = rig.hub.lines()
    assert lines.index(f"DELETE /v1/devices/me/consents/{an_id}") < lines.index(
        f"PUT /v1/devices/me/consents/{new_id}")
    assert rig.hub.days[("an", DAY.isoformat())]["consent_id"] == new_id


def test_withdrawals_of_an_earlier_pairing_and_of_a_revoked_device_are_done() -> None:
    rig = Rig()
    rig.ledger.set_meta(PENDING_KEY, json.dumps([
        {"consent_id": "old", "child": "An", "device_id": 1, "at": "2026-01-01T00:00:00+07:00"}]))
    rig.run()
    assert rig.pending() == [] and not any("old" in line for line in rig.hub.lines())
    rig.hub.rules.append(lambda m, p: (401, {"error": "unauthorized", "message": "gone"}))
    assert rig.withdraw("An") == "unauthorized"
    assert rig.pending() == [] and rig.secrets.get(TOKEN_NAME) is None
    assert rig.store.load().enabled is False


# -- the command line ------------------------------------------------------------------------


RULES = """\
version = 1

[[child]]
name = "An"
accounts = ["an"]
birth_year = {an}

[child.limits.total]
daily = 120

[[child]]
name = "Chi"
accounts = ["chi"]
birth_year = {chi}

[child.limits.total]
daily = 120

[[child]]
name = "Dũng"
accounts = ["dung"]
birth_year = {dung}

[child.limits.total]
daily = 120
"""


class Cli:
    """`playclock sync consent` against a data dir, a rules file and a FakeHub."""

    def __init__(self, tmp: Path, monkeypatch: pytest.MonkeyPatch, *, paired: bool = True) -> None:
        year = dt.datetime.now().year
        self.rules = tmp / "rules.toml"
        self.rules.write_text(RULES.format(an=year - 11, chi=year - 9, dung=year - 4), "utf-8")
        self.dir = tmp
        self.hub = FakeHub()
        self.secrets: SecretStore = open_store(MemoryKeyring())
        monkeypatch.setattr(cli, "open_secrets", lambda _data=None: self.secrets)
        monkeypatch.setattr(cli, "session_factory", self.hub)
        monkeypatch.setattr("sys.stdin.isatty", lambda: False)
        if paired:
            self.secrets.set(TOKEN_NAME, "pcd_secret")
            with self.ledger() as led, SyncStore(led).locked() as state:
                state.enabled, state.hub, state.device_id = True, "https://hub.test", 3

    def ledger(self) -> contextlib.closing[SqliteLedger]:
        """The device's ledger, closed after the `with`."""
        return contextlib.closing(SqliteLedger(self.dir / "ledger.sqlite"))

    def __call__(self, *argv: str) -> int:
        args = build_parser().parse_args(
            ["--config", str(self.rules), "--data-dir", str(self.dir), "sync", "consent", *argv])
        return int(args.func(args))

    def state(self) -> Any:
        with self.ledger() as led:
            return SyncStore(led).load()


def test_the_command_refuses_with_one_line_when_a_consent_or_the_pairing_is_missing(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
        capsys: pytest.CaptureFixture[str]) -> None:
    run = Cli(tmp_path, monkeypatch)
    refused = [
        (("Chi", "--parent-name", "Bố"), "--child-agrees"),  # 9: Chi must agree
        (("Chi", "--child-agrees"), "--parent-name"),
        (("Nobody", "--parent-name", "Bố", "--child-agrees"), "Nobody"),
        (("Nobody", "--withdraw"), "Nobody"),
    ]
    for argv, named in refused:
        assert run(*argv) == 2, argv
        err = capsys.readouterr().err
        assert named in err and err.count("\n") == 1, err
    assert run("An", "--withdraw") == 0  # known, but not shared
    assert "not shared" in capsys.readouterr().out
    assert run.hub.calls == [] and run.state().consents == {}
    (tmp_path / "unpaired").mkdir()
    alone = Cli(tmp_path / "unpaired", monkeypatch, paired=False)
    for argv in (("Chi", "--parent-name", "Bố", "--child-agrees"), ("Chi", "--withdraw")):
        assert alone(*argv) == 2
        err = capsys.readouterr().err
        assert "not paired" in err and err.count("\n") == 1
    assert alone.hub.calls == []


def test_the_command_records_sends_and_withdraws(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
        capsys: pytest.CaptureFixture[str]) -> None:
    run = Cli(tmp_path, monkeypatch)
    assert run("chi", "--parent-name", "Bố", "--child-agrees") == 0
    assert "Chi is shared from now on" in capsys.readouterr().out
    assert run("Dũng", "--parent-name", "Bố") == 0  # 4: the parent's consent is enough
    consents = run.state().consents
    assert {k: (c.child, c.recorded, c.child_consented) for k, c in consents.items()} == {
        "chi": ("Chi", True, True), "dũng": ("Dũng", True, False)}
    run.hub.down = True
    assert run("Chi", "--withdraw") == 1
    assert "asked for again" in capsys.readouterr().err
    assert run("Chi", "--withdraw") == 1  # still waiting: asked again
    capsys.readouterr()
    assert "chi" not in run.state().consents
    assert cli.cmd_status(argparse.Namespace(config=None, data_dir=str(tmp_path))) == 0
    assert "Consent for Chi was withdrawn" in capsys.readouterr().out
    run.hub.down = False
    assert run("Chi", "--withdraw") == 0
    chi_id = consents["chi"].consent_id
    assert run.hub.consents[chi_id]["withdrawn"]
    with run.ledger() as led:
        kinds = [(e.kind, e.child, e.actor) for e in led.events()]
    assert kinds == [("sync_consent", "Chi", "parent"), ("sync_consent", "Dũng", "parent"),
                     ("sync_consent_withdrawn", "Chi", "parent")]


def test_on_a_terminal_the_child_is_asked(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
        capsys: pytest.CaptureFixture[str]) -> None:
    run = Cli(tmp_path, monkeypatch)
    monkeypatch.setattr("sys.stdin.isatty", lambda: True)
    answers = iter(["Bố", "n", "Bố", "y", "y", "y"])
    asked: list[str] = []

    def answer(prompt: str = "") -> str:
        asked.append(prompt)
        return next(answers)

    monkeypatch.setattr("builtins.input", answer)
    assert run("Chi") == 2
    assert "Does Chi agree" in asked[1]
    assert run("Chi") == 0
    out = capsys.readouterr().out
    assert "Nothing else leaves this computer" in out
    assert run.state().consents["chi"].child_consented
    # The words of requests are asked apart, of the parent and then of the child.
    assert "Share the words of Chi's requests" in asked[4] and "Does Chi agree" in asked[5]
    assert "messages" in run.state().consents["chi"].shares


def test_the_words_of_requests_are_shared_only_with_both_yeses_and_taken_back_by_omission(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
        capsys: pytest.CaptureFixture[str]) -> None:
    run = Cli(tmp_path, monkeypatch)
    assert run("Chi", "--parent-name", "Bố", "--child-agrees", "--share-messages") == 0
    assert "messages" not in run.state().consents["chi"].shares  # Chi (9) did not say yes
    assert "The words of Chi's requests stay on this computer" in capsys.readouterr().out
    assert run("Chi", "--parent-name", "Bố", "--child-agrees", "--share-messages",
               "--child-shares-messages") == 0
    first = run.state().consents["chi"]
    assert first.shares == ["total", "apps", "categories", "counts", "messages"]
    assert run("Dũng", "--parent-name", "Bố", "--share-messages") == 0  # 4: the parent's yes
    assert "messages" in run.state().consents["dũng"].shares
    # Recorded again without it: the same record, narrowed (the hub deletes the words).
    assert run("Chi", "--parent-name", "Bố", "--child-agrees") == 0
    again = run.state().consents["chi"]
    assert again.consent_id == first.consent_id and "messages" not in again.shares
    puts = [body for method, _path, body in run.hub.calls if method == "PUT"]
    assert [("messages" in p["shares"]) for p in puts if p["child"] == "Chi"] == [
        False, True, False]
