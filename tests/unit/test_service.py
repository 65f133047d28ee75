"""The Agent's loop with fakes: a settable process list, a recording closer, hand-moved clocks."""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any

import pytest

from agent.ledger.memory import MemoryLedger
from agent.ledger.store import Event
from agent.platform.probe import ExeIdentity
from agent.platform.sessions.base import SessionSource
from agent.service.agent import Agent, AgentError
from agent.service.clock import TrustedClock
from agent.service.closer import CloseAction
from agent.service.rules_file import ConfigSource
from agent.testing import FakeSource
from rules.config import load_text
from rules.model import LimitSpec, ProcessInfo

TZ = dt.timezone(dt.timedelta(hours=7))
START = dt.datetime(2026, 11, 23, 20, 0, 0, tzinfo=TZ)  # a Monday, 20:00
DAY = START.date()

RULES = """\
version = 1

[settings]
poll_seconds = 1
day_starts = "04:00"
warn_minutes = [5, 1]
grace_seconds = 7

[apps.fakegame]
title = "Fake Game"
category = "games"
names = ["fakegame"]

[apps.notes]
title = "Notes"
names = ["notes"]

[categories.games]
title = "Games"

[[child]]
name = "An"
accounts = ["an"]

[child.limits.games]
daily = {daily}

[child.limits.total]
daily = 120
"""


def rules(daily: int = 10) -> str:
    return RULES.replace("{daily}", str(daily))


def game(pid: int, user: str = "an", name: str = "fakegame") -> ProcessInfo:
    return ProcessInfo(pid=pid, name=name, exe=f"/opt/{name}", user=user, create_time=pid + 0.5)


class FakeCloser:
    """Records what the agent asks to close; `actions` are handed back by the next step.

    The agent asks on every tick for every process still to close (the real closer keeps
    the grace per (child, app)); `closed` records a process when it is first asked for,
    or again after a tick without it (it quit and its pid came back).
    """

    def __init__(self, grace: float) -> None:
        self.grace = grace
        self.closed: list[tuple[int, float]] = []
        self.keys: list[tuple[str, str]] = []
        self.steps: list[float] = []
        self.actions: list[CloseAction] = []
        self._asked: set[tuple[int, float]] = set()
        self._before: set[tuple[int, float]] = set()

    @property
    def pids(self) -> list[int]:
        return [pid for pid, _ct in self.closed]

    def close(self, pid: int, create_time: float, key: tuple[str, str]) -> list[CloseAction]:
        self._asked.add((pid, create_time))
        if (pid, create_time) in self._before:
            return []
        self.closed.append((pid, create_time))
        self.keys.append(key)
        return [CloseAction(pid, "polite", create_time, key=key)]

    def step(self, now: float) -> list[CloseAction]:
        self.steps.append(now)
        self._before, self._asked = self._asked, set()
        out, self.actions = self.actions, []
        return out


class Harness:
    """An Agent wired to fakes; `run` moves both clocks and ticks once per step."""

    def __init__(
        self,
        tmp_path: Path,
        text: str,
        start: dt.datetime = START,
        sessions: SessionSource | None = None,
    ) -> None:
        self.wall = start.timestamp()
        self.steady = 10_000.0
        self.path = tmp_path / "rules.toml"
        self.path.write_text(text, encoding="utf-8")
        self.source = ConfigSource(self.path)
        self.ledger = MemoryLedger()
        self.procs = FakeSource()
        self.closers: list[FakeCloser] = []
        self.accounts: list[frozenset[str]] = []
        self.clock = TrustedClock(TZ, wall=lambda: self.wall, steady=lambda: self.steady)
        self.agent = Agent(
            self.source,
            self.ledger,
            self._probe_for,
            self._closer_for,
            self.clock,
            lambda: self.steady,
            sessions=sessions,
        )

    def _probe_for(self, accounts: frozenset[str]) -> FakeSource:
        self.accounts.append(accounts)
        return self.procs

    def _closer_for(self, grace: float) -> FakeCloser:
        self.closers.append(FakeCloser(grace))
        return self.closers[-1]

    @property
    def closer(self) -> FakeCloser:
        return self.closers[-1]

    def run(self, seconds: float, step: float = 1.0) -> None:
        """Real time passes with a tick every `step` seconds."""
        done = 0.0
        while done < seconds - 1e-9:
            dt_ = min(step, seconds - done)
            self.wall += dt_
            self.steady += dt_
            done += dt_
            self.agent.tick()

    def events(self, kind: str | None = None) -> list[Event]:
        return [e for e in self.ledger.events() if kind is None or e.kind == kind]

    def child(self, name: str = "An") -> dict[str, Any]:
        return next(c for c in self.agent.status()["children"] if c["name"] == name)

    def limit(self, key: str, name: str = "An") -> dict[str, Any]:
        return next(r for r in self.child(name)["limits"] if r["id"] == key)

    def rewrite(self, text: str) -> None:
        self.path.write_text(text, encoding="utf-8")


@pytest.fixture
def h(tmp_path: Path) -> Harness:
    harness = Harness(tmp_path, rules(10))
    harness.agent.start()
    return harness


def prefill(h: Harness, seconds: float, day: dt.date = DAY) -> None:
    h.ledger.add_usage(
        {
            (day, "An", "category", "games"): seconds,
            (day, "An", "app", "fakegame"): seconds,
            (day, "An", "total", "total"): seconds,
        }
    )


# -- start and counting -----------------------------------------------------------------------


def test_start_loads_rules_and_logs(h: Harness) -> None:
    assert h.accounts == [frozenset({"an"})]
    assert h.closer.grace == 7
    (start,) = h.events("agent_start")
    assert start.detail["config"] == str(h.path)
    assert h.ledger.get_meta("heartbeat") is not None
    assert h.agent.status()["day"] == DAY.isoformat()
    assert h.limit("games")["used_seconds"] == 0
    assert h.limit("games")["limit_seconds"] == 600


def test_usage_counted_as_a_union(h: Harness) -> None:
    h.procs.set([game(100), game(101), game(200, name="notes"), game(300, name="bash")])
    h.run(30)
    assert h.limit("games")["used_seconds"] == 30
    assert h.limit("total")["used_seconds"] == 30  # two apps at once count once
    assert h.child()["running"] == ["fakegame", "notes"]
    h.procs.set([])
    h.run(10)
    assert h.limit("games")["used_seconds"] == 30
    usage = h.ledger.usage(DAY, DAY)
    assert usage[(DAY, "An", "app", "fakegame")] == pytest.approx(30)
    assert usage[(DAY, "An", "app", "notes")] == pytest.approx(30)
    assert usage[(DAY, "An", "total", "total")] == pytest.approx(30)
    assert h.closer.closed == []


def test_other_accounts_are_not_counted(h: Harness) -> None:
    h.procs.set([game(100, user="dad")])
    h.run(20)
    assert h.limit("games")["used_seconds"] == 0
    assert h.child()["running"] == []


def test_warnings_logged_once_per_threshold(h: Harness) -> None:
    h.procs.set([game(100)])
    h.run(5 * 60 - 5, step=5)
    assert h.events("warning") == []
    h.run(60, step=5)  # 5 minutes left crossed
    (w5,) = h.events("warning")
    assert (w5.child, w5.target, w5.detail["minutes"]) == ("An", "games", 5)
    assert h.limit("games")["state"] == "warning"
    h.run(3 * 60, step=5)  # 1:05 left: nothing new
    assert len(h.events("warning")) == 1
    h.run(10, step=5)  # under a minute
    assert [e.detail["minutes"] for e in h.events("warning")] == [5, 1]
    assert h.ledger.load_day(DAY).warned >= {("An", "games", 5), ("An", "games", 1)}


def test_warnings_are_not_repeated_after_a_restart(tmp_path: Path) -> None:
    first = Harness(tmp_path, rules(10))
    first.agent.start()
    first.procs.set([game(100)])
    first.run(5 * 60 + 5, step=5)
    assert [e.detail["minutes"] for e in first.events("warning")] == [5]
    first.agent.stop()
    second = Harness(tmp_path, rules(10), start=START + dt.timedelta(seconds=310))
    second.ledger = second.agent.ledger = first.ledger  # the same ledger, a new agent
    second.agent.start()
    second.procs.set([game(101)])
    second.run(30, step=5)
    assert [e.detail["minutes"] for e in first.events("warning")] == [5]
    assert second.limit("games")["used_seconds"] == 335


def test_closes_the_right_pids_when_the_budget_is_used(h: Harness) -> None:
    prefill(h, 590)
    h.agent.start()  # reload the day with the prefilled usage
    others = [game(200, name="notes"), game(300, user="dad"), game(400, name="bash")]
    h.procs.set([game(100), game(101), *others])
    h.run(5)
    assert h.closer.closed == []
    h.run(6)
    assert h.limit("games")["state"] == "blocked"
    assert h.limit("games")["reason"] == "budget"
    assert sorted(h.closer.pids) == [100, 101]
    assert dict(h.closer.closed)[100] == 100.5  # with its create time (pid reuse guard)
    (close,) = h.events("close")
    assert (close.child, close.target) == ("An", "fakegame")
    assert close.detail["limit"] == "games" and close.detail["reason"] == "budget"
    assert sorted(close.detail["pids"]) == [100, 101]


def test_a_stubborn_process_is_closed_once_and_kill_logged(h: Harness) -> None:
    prefill(h, 600)
    h.agent.start()
    h.procs.set([game(100)])
    h.run(5)
    # Asked on every tick, keyed by (child, app): the closer keeps the grace per app.
    assert h.closer.pids == [100]
    assert set(h.closer.keys) == {("An", "fakegame")}
    assert h.closer.steps and h.closer.steps[-1] == h.steady
    h.closer.actions = [CloseAction(100, "kill", 100.5, pids=(100,), key=("An", "fakegame"))]
    h.run(1)
    (kill,) = h.events("kill")
    assert kill.detail["pid"] == 100
    assert (kill.child, kill.target, kill.detail["pids"]) == ("An", "fakegame", [100])


def test_relaunch_while_blocked_is_closed_at_the_next_tick(h: Harness) -> None:
    prefill(h, 600)
    h.agent.start()
    h.procs.set([game(100)])
    h.run(1)
    assert h.closer.pids == [100]
    h.procs.set([])  # it quit
    h.run(1)
    h.procs.set([game(101)])  # and came back under a new pid
    h.run(1)
    assert h.closer.pids == [100, 101]
    # A pid that died and was reused by the game again is closed again too.
    h.procs.set([])
    h.run(1)
    h.procs.set([game(100)])
    h.run(1)
    assert h.closer.pids == [100, 101, 100]


def test_a_pid_reused_at_once_by_a_relaunch_is_closed_again(h: Harness) -> None:
    """Windows hands a freed pid out again quickly: a new process with the same pid is new."""
    prefill(h, 600)
    h.agent.start()
    h.procs.set([game(100)])
    h.run(1)
    h.procs.set([ProcessInfo(100, "fakegame", "/opt/fakegame", user="an", create_time=900.0)])
    h.run(1)
    assert h.closer.closed == [(100, 100.5), (100, 900.0)]
    h.run(2)
    assert len(h.closer.closed) == 2  # and each process only once


# -- time -------------------------------------------------------------------------------------


def test_wall_clock_jump_does_not_reset_the_budget(h: Harness) -> None:
    prefill(h, 600)
    h.agent.start()
    h.procs.set([game(100)])
    h.run(1)
    assert h.limit("games")["state"] == "blocked"
    h.wall += 86400  # the child sets tomorrow's date
    h.procs.set([game(101)])
    h.run(1)
    (jump,) = h.events("clock_jump")
    assert jump.detail["seconds"] == pytest.approx(86400, abs=2)
    assert h.agent.status()["day"] == DAY.isoformat()
    assert h.limit("games")["state"] == "blocked"
    assert h.closer.pids == [100, 101]
    h.run(5)
    assert len(h.events("clock_jump")) == 1
    assert h.limit("games")["used_seconds"] == 607  # elapsed still counted from the steady clock


def test_wall_clock_set_back_does_not_refill(h: Harness) -> None:
    prefill(h, 600)
    h.agent.start()
    h.wall -= 86400
    h.procs.set([game(100)])
    h.run(1)
    assert [e.detail["seconds"] for e in h.events("clock_jump")] == [pytest.approx(-86400, abs=2)]
    assert h.limit("games")["state"] == "blocked"
    assert h.closer.pids == [100]


def test_a_gap_is_not_counted_and_is_logged(h: Harness) -> None:
    h.procs.set([game(100)])
    h.run(10)
    h.wall += 3600  # suspended for an hour with the game open
    h.steady += 3600
    h.agent.tick()
    h.run(2)
    assert h.limit("games")["used_seconds"] == 12
    (gap,) = h.events("gap")
    assert gap.detail["seconds"] == 3600
    assert gap.detail["to"].startswith("2026-11-23T21:00:10")


def test_restart_after_a_long_stop_logs_a_gap(tmp_path: Path) -> None:
    first = Harness(tmp_path, rules(10))
    first.agent.start()
    first.agent.stop()
    assert [e.kind for e in first.events()] == ["agent_start", "agent_stop"]
    second = Harness(tmp_path, rules(10), start=START + dt.timedelta(minutes=30))
    second.ledger = first.ledger
    second.agent.ledger = first.ledger
    second.agent.start()
    gap = first.events("gap")[-1]
    assert gap.detail["seconds"] == 1800


def test_day_rollover_starts_fresh_budgets(tmp_path: Path) -> None:
    h = Harness(tmp_path, rules(10), start=dt.datetime(2026, 11, 24, 3, 59, 0, tzinfo=TZ))
    prefill(h, 600)  # the budget day of 03:59 is still the 23rd (day_starts = 04:00)
    h.agent.start()
    assert h.agent.status()["day"] == "2026-11-23"
    h.procs.set([game(100)])
    h.run(1)
    assert h.closer.pids == [100]
    h.procs.set([])
    h.run(58.5, step=0.5)  # 03:59:59.5
    assert h.agent.status()["day"] == "2026-11-23"
    h.procs.set([game(101)])
    h.run(2)  # crosses 04:00:00 during the first of these ticks
    assert h.agent.status()["day"] == "2026-11-24"
    assert h.limit("games")["state"] == "ok"
    assert h.limit("games")["used_seconds"] == 1  # only the part after 04:00
    assert 101 not in h.closer.pids
    usage = h.ledger.usage(dt.date(2026, 11, 23), dt.date(2026, 11, 24))
    assert usage[(dt.date(2026, 11, 24), "An", "category", "games")] == pytest.approx(1.5)
    assert usage[(dt.date(2026, 11, 23), "An", "category", "games")] == pytest.approx(601.5)


# -- the rules file ---------------------------------------------------------------------------


def test_broken_config_keeps_the_old_rules_then_a_fix_loads(h: Harness) -> None:
    prefill(h, 600)
    h.agent.start()
    broken = rules(10).replace("daily = 10", 'daily = "ten"')
    line = broken.splitlines().index('daily = "ten"') + 1
    h.rewrite(broken)
    h.procs.set([game(100)])
    h.run(1)
    assert h.closer.pids == [100]  # still enforcing
    error = h.agent.status()["agent"]["config_error"]
    assert error is not None
    assert f"{h.path}:{line}:" in error
    assert "child[0].limits.games.daily" in error
    (rejected,) = h.events("config_rejected")
    h.run(3)
    assert len(h.events("config_rejected")) == 1  # once per change, not every tick
    assert rejected.detail["errors"][0].startswith(f"{h.path}:{line}:")

    h.rewrite(rules(30))
    h.run(1)
    assert h.agent.status()["agent"]["config_error"] is None
    assert h.limit("games")["limit_seconds"] == 1800
    assert h.limit("games")["state"] in ("ok", "warning")
    (loaded,) = h.events("config_loaded")
    assert loaded.detail["external"] is True


def test_rules_changed_by_someone_else_are_tamper_evidence(h: Harness) -> None:
    """An edit from outside logs "tamper"; the agent's own save (a parent's change) does not."""
    h.agent.start()
    h.agent.set_limit("An", "games", LimitSpec(key="games", daily=45), "parent")
    h.run(1)
    assert h.events("tamper") == []
    h.rewrite(rules(30))
    h.run(1)
    (tamper,) = h.events("tamper")
    assert tamper.detail == {"what": "config", "file": str(h.path)}


def test_unreadable_toml_keeps_the_old_rules(h: Harness) -> None:
    h.rewrite(rules(0) + "\n[oops\n")
    h.procs.set([game(100)])
    h.run(1)
    assert h.limit("games")["limit_seconds"] == 600  # the old limit, not the new daily = 0
    assert h.closer.closed == []
    assert f"{h.path}:" in h.agent.status()["agent"]["config_error"]


def test_a_deleted_rules_file_is_reported_once_and_the_old_rules_kept(h: Harness) -> None:
    prefill(h, 600)
    h.agent.start()
    h.path.unlink()
    h.procs.set([game(100)])
    h.run(5)
    assert h.closer.pids == [100]
    assert f"{h.path}:1:" in h.agent.status()["agent"]["config_error"]
    assert len(h.events("config_rejected")) == 1  # not one event per poll
    h.rewrite(rules(20))
    h.run(1)
    assert h.agent.status()["agent"]["config_error"] is None
    assert h.limit("games")["limit_seconds"] == 1200


def test_a_changed_grace_gets_a_new_closer(h: Harness) -> None:
    h.rewrite(rules(10).replace("grace_seconds = 7", "grace_seconds = 3"))
    h.run(1)
    assert [c.grace for c in h.closers] == [7, 3]


# -- parent actions ---------------------------------------------------------------------------


def test_grant_adds_time_and_is_logged(h: Harness) -> None:
    prefill(h, 600)
    h.agent.start()
    h.procs.set([game(100)])
    h.run(1)
    assert h.limit("games")["state"] == "blocked"
    h.agent.grant("an", "games", 5, "parent")  # child names are case-insensitive
    row = h.limit("games")
    assert (row["bonus_seconds"], row["state"]) == (300, "warning")
    assert row["left_seconds"] == pytest.approx(299, abs=1)
    (grant,) = h.events("grant")
    assert (grant.child, grant.target, grant.actor) == ("An", "games", "parent")
    assert grant.detail == {"minutes": 5}
    assert h.ledger.load_day(DAY).bonus == {("An", "games"): 300}
    h.procs.set([game(101)])
    h.run(1)
    assert 101 not in h.closer.pids


def test_a_capped_grant_tells_the_child_what_they_really_get(h: Harness) -> None:
    """Issue: the toast said "30 min more" when the total left only 1 of them usable."""
    from tray.notify import notice_for

    h.ledger.add_usage({(DAY, "An", "category", "games"): 600, (DAY, "An", "total", "total"): 7140})
    h.agent.start()
    answer = h.agent.grant("An", "games", 30, "parent")
    assert answer == {"minutes": 30, "usable_seconds": 60, "limited_by": "total"}
    (grant,) = h.events("grant")
    assert grant.detail == answer
    notice = notice_for(grant.as_json(), "An", {"games": "Games"})
    assert notice is not None
    assert notice.text == (
        "A parent gave you 30 min more today. "
        "But because of Total screen time you can only use 1 min of it today."
    )

    h.run(61)  # the total is used up: another grant to games cannot be used at all
    again = h.agent.grant("An", "games", 15, "parent")
    assert again == {"minutes": 15, "usable_seconds": 0, "limited_by": "total"}
    notice = notice_for(h.events("grant")[-1].as_json(), "An")
    assert notice is not None and notice.text.endswith(
        "But Total screen time does not allow it now, so you cannot use it yet."
    )

    from agent.i18n.limit_text import grant_note

    assert grant_note(h.child(), again) == (
        "Note: because of Total screen time, An cannot use this time now."
    )
    assert grant_note(h.child(), answer) == (
        "Note: because of Total screen time, An can only use 1 min of it today."
    )

    # Given to everything, the grant is whole: nothing caps it, and the toast says just that.
    assert h.agent.grant("An", "*", 10, "parent") == {"minutes": 10}
    notice = notice_for(h.events("grant")[-1].as_json(), "An")
    assert notice is not None and notice.text == "A parent gave you 10 min more today."


@pytest.mark.parametrize(
    ("child", "target", "minutes"),
    [("Nobody", "games", 5), ("An", "chess", 5), ("An", "games", 0), ("An", "*", 1441)],
)
def test_bad_grants_are_refused(h: Harness, child: str, target: str, minutes: int) -> None:
    with pytest.raises(AgentError):
        h.agent.grant(child, target, minutes, "parent")
    assert h.events("grant") == []
    assert h.ledger.load_day(DAY).bonus == {}


def test_pause_stops_closing_and_resume_starts_again(h: Harness) -> None:
    prefill(h, 600)
    h.agent.start()
    h.agent.pause("An", True, "parent")
    assert h.child()["paused"] is True
    assert h.limit("games")["state"] == "ok"
    h.procs.set([game(100)])
    h.run(2)
    assert h.closer.closed == []
    h.agent.pause("An", False, "dashboard")
    assert h.child()["paused"] is False
    assert h.limit("games")["state"] == "blocked"
    h.run(1)
    assert h.closer.pids == [100]
    assert [(e.kind, e.child, e.actor) for e in h.events() if e.kind in ("pause", "resume")] == [
        ("pause", "An", "parent"),
        ("resume", "An", "dashboard"),
    ]
    assert h.ledger.load_day(DAY).paused == set()


def test_ask_and_answer(h: Harness) -> None:
    prefill(h, 600)
    h.agent.start()
    req = h.agent.ask("An", 15, "xin thêm 15 phút")
    assert req["state"] == "pending"
    (asked,) = h.events("request")
    assert (asked.child, asked.actor, asked.detail["minutes"]) == ("An", "child", 15)

    answered = h.agent.answer(req["id"], True, None, "parent")
    assert answered["state"] == "approved"
    assert answered["answered_minutes"] == 15  # the minutes granted, not "none"
    for key in ("games", "total"):
        assert h.limit(key)["bonus_seconds"] == 900
    assert h.limit("games")["state"] != "blocked"
    (done,) = h.events("request_answered")
    assert (done.child, done.actor) == ("An", "parent")
    assert done.detail == {"id": req["id"], "approved": True, "minutes": 15}
    with pytest.raises(AgentError):
        h.agent.answer(req["id"], True, None, "parent")
    assert h.limit("games")["bonus_seconds"] == 900


def test_deny_grants_nothing(h: Harness) -> None:
    req = h.agent.ask("An", 30, "")
    denied = h.agent.answer(req["id"], False, None, "parent")
    assert denied["state"] == "denied"
    assert h.limit("games")["bonus_seconds"] == 0
    assert h.events("request_answered")[0].detail["approved"] is False


def test_set_limit_rewrites_the_rules_and_applies(h: Harness) -> None:
    prefill(h, 600)
    h.agent.start()
    h.procs.set([game(100)])
    h.run(1)
    assert h.closer.pids == [100]
    h.agent.set_limit("An", "games", LimitSpec(key="ignored", daily=20), "parent")
    on_disk = load_text(h.path.read_text(encoding="utf-8"), str(h.path))
    (kid,) = on_disk.children
    assert {s.key: s.daily for s in kid.limits} == {"games": 20, "total": 120}
    assert h.path.with_suffix(".toml.bak").read_text(encoding="utf-8") == rules(10)
    assert h.limit("games")["limit_seconds"] == 1200
    assert h.limit("games")["state"] != "blocked"
    (changed,) = h.events("rules_changed")
    assert changed.actor == "parent"
    assert changed.detail["key"] == "games" and changed.detail["limit"]["daily"] == 20
    h.procs.set([game(101)])
    h.run(2)
    assert h.closer.pids == [100]
    assert h.events("config_loaded") == []  # its own write is not "a change from outside"
    # Removing the limit works the same way.
    h.agent.set_limit("An", "games", None, "parent")
    assert [lim["id"] for lim in h.child()["limits"]] == ["total"]
    with pytest.raises(AgentError):
        h.agent.set_limit("An", "chess", LimitSpec(key="chess", daily=5), "parent")


def test_set_limit_to_zero_closes_at_the_next_tick(h: Harness) -> None:
    h.procs.set([game(100)])
    h.run(1)
    h.agent.set_limit("An", "fakegame", LimitSpec(key="fakegame", daily=0), "parent")
    h.run(1)
    assert h.closer.pids == [100]
    assert h.events("close")[0].detail["limit"] == "fakegame"


def test_a_tick_that_fails_does_not_raise(h: Harness, monkeypatch: pytest.MonkeyPatch) -> None:
    def boom() -> list[ProcessInfo]:
        raise RuntimeError("probe exploded")

    monkeypatch.setattr(h.procs, "snapshot", boom)
    ticks = h.agent.ticks
    h.agent.tick()  # logged, not raised
    assert h.agent.ticks == ticks
    monkeypatch.undo()
    h.agent.tick()
    assert h.agent.ticks == ticks + 1


def test_a_failing_probe_keeps_the_time_and_logs_one_event(
    h: Harness, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    """Out of file descriptors for 30 s: the time counts at the next good tick, one event."""
    h.procs.set([game(100)])
    h.run(10)

    def boom() -> list[ProcessInfo]:
        raise OSError(24, "Too many open files")

    monkeypatch.setattr(h.procs, "snapshot", boom)
    with caplog.at_level("ERROR"):
        h.run(30)
    assert len([r for r in caplog.records if r.levelname == "ERROR"]) == 1
    (failed,) = h.events("watch_failed")
    assert "Too many open files" in failed.detail["error"]
    monkeypatch.undo()
    h.run(1)
    assert h.limit("games")["used_seconds"] == 41
    assert h.events("gap") == []


def test_a_long_failed_probe_is_a_gap_of_time_not_watched(
    h: Harness, monkeypatch: pytest.MonkeyPatch
) -> None:
    h.procs.set([game(100)])
    monkeypatch.setattr(h.procs, "snapshot", lambda: (_ for _ in ()).throw(OSError(24, "x")))
    h.run(120, step=5)
    monkeypatch.undo()
    h.run(1)
    assert h.limit("games")["used_seconds"] == 1
    (gap,) = h.events("gap")
    assert (gap.detail["seconds"], gap.detail["reason"]) == (120, "not_watched")
    assert len(h.events("watch_failed")) == 1


# -- the day's limits, for reports ------------------------------------------------------------

NOTES_WINDOWS = """
[child.limits.notes]
allowed = ["08:00-22:00"]
"""


def limits_rules(games: int) -> str:
    """Games with a Tuesday budget and `each`, the total, and notes with windows only."""
    games_table = f"daily = {games}\ndays = {{ tue = 25 }}\neach = 4\n"
    return rules(10).replace("daily = 10\n", games_table) + NOTES_WINDOWS


def test_day_limits_recorded_at_start_on_rules_changes_and_new_days(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Recorded at start, again when the rules change (file or parent), and for each new day."""
    monday, tuesday = DAY, DAY + dt.timedelta(days=1)
    # 03:50 on Tuesday is still Monday's budget day (day_starts = 04:00).
    h = Harness(tmp_path, limits_rules(10), start=dt.datetime(2026, 11, 24, 3, 50, tzinfo=TZ))
    calls: list[dt.date] = []
    record = h.ledger.record_limits

    def counting(day: dt.date, limits: Any) -> None:
        calls.append(day)
        record(day, limits)

    monkeypatch.setattr(h.ledger, "record_limits", counting)
    h.agent.start()
    assert h.ledger.day_limits(monday, tuesday) == {
        (monday, "An", "games"): ("category", 600),
        (monday, "An", "fakegame"): ("app", 240),  # the implicit limit of `each`
        (monday, "An", "total"): ("total", 7200),
        (monday, "An", "notes"): ("app", None),  # windows, no budget
    }
    h.procs.set([game(100)])
    h.run(30)
    assert calls == [monday]  # not on every tick

    h.rewrite(limits_rules(15))  # the parent edits the file
    h.run(1)
    assert calls == [monday] * 2
    assert h.ledger.day_limits(monday, monday)[(monday, "An", "games")] == ("category", 900)
    h.rewrite(limits_rules(15).replace("daily = 15", 'daily = "x"'))  # rejected: nothing new
    h.run(2)
    assert calls == [monday] * 2

    spec = LimitSpec(key="games", daily=20, days=(("tue", 25),), each=4)
    h.agent.set_limit("An", "games", spec, "parent")  # a parent's save
    assert calls == [monday] * 3
    assert h.ledger.day_limits(monday, monday)[(monday, "An", "games")] == ("category", 1200)

    h.run(600)  # past 04:00: Tuesday
    assert h.agent.status()["day"] == tuesday.isoformat()
    assert calls == [monday] * 3 + [tuesday]
    assert h.ledger.day_limits(tuesday, tuesday) == {
        (tuesday, "An", "games"): ("category", 1500),  # Tuesday's own budget
        (tuesday, "An", "fakegame"): ("app", 240),
        (tuesday, "An", "total"): ("total", 7200),
        (tuesday, "An", "notes"): ("app", None),
    }
    assert h.ledger.day_limits(monday, monday)[(monday, "An", "games")] == ("category", 1200)

    h.agent.set_limit("An", "games", None, "parent")  # removed: the day's rows are replaced
    assert calls[-1] == tuesday
    assert {k for _d, _c, k in h.ledger.day_limits(tuesday, tuesday)} == {"total", "notes"}
    assert len(h.ledger.day_limits(monday, monday)) == 4


# -- content identities (issue 12) -------------------------------------------------------------


def test_a_matched_executable_is_remembered_and_a_renamed_copy_counts(tmp_path: Path) -> None:
    """The game's executable content is learnt once; a copy under another name is the game,
    also for a new agent on the same ledger (after a restart)."""
    h = Harness(tmp_path, rules(10))
    h.agent.start()
    digest = "ab" * 32
    h.procs.identities[100] = ExeIdentity(digest, 4096)
    h.procs.set([game(100)])
    h.run(2)
    assert [(i.digest, i.size, i.app) for i in h.ledger.identities()] == [
        (digest, 4096, "fakegame")
    ]
    assert h.procs.sizes == {4096}  # the probe hashes only files of that size
    h.procs.set([])
    h.run(1)

    again = Harness(tmp_path, rules(10))
    again.ledger = h.ledger
    again.agent = Agent(again.source, h.ledger, again._probe_for, again._closer_for,
                        again.clock, lambda: again.steady)  # fmt: skip
    again.agent.start()
    assert again.procs.sizes == {4096}
    copy = ProcessInfo(200, "homework", "/home/an/homework", (), "an", 200.5, exe_digest=digest)
    again.procs.set([copy])
    again.run(3)
    assert again.child()["running"] == ["fakegame"]


def test_no_identity_is_learnt_from_an_interpreter_or_the_command_line(h: Harness) -> None:
    """python3 running the game's script is the game, but python3 itself is not."""
    script = ProcessInfo(100, "python3", "/usr/bin/python3.11", ("python3", "fakegame.py"), "an",
                         100.5)  # fmt: skip
    h.procs.identities[100] = ExeIdentity("cd" * 32, 999)
    h.procs.set([script])
    h.run(2)
    assert h.child()["running"] == ["fakegame"]
    assert h.ledger.identities() == []
