"""Helpers for the sync tests (no tests here): a device with a ledger, clock and keyring."""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest

from agent.ledger.sqlite import SqliteLedger
from agent.ledger.store import Event
from agent.security.secret_store import SecretStore, open_store
from agent.service.agent import Agent
from agent.service.clock import TrustedClock
from agent.service.closer import CloseAction
from agent.service.rules_file import ConfigSource
from agent.testing import FakeSource, MemoryKeyring
from sync.client import SyncClient
from sync.consent_records import ChildInfo, make_consents
from sync.pairing import PairResult, pair
from sync.state import SyncStore
from sync.transport import hub_retry, new_session
from tests.support.hubserver import HubApi, HubServer, free_port
from tests.support.postgres import database_url

__all__ = [
    "AN",
    "BASE",
    "BINH",
    "FAST_TIMEOUT",
    "PRIVATE",
    "TZ",
    "Device",
    "at",
    "bodies",
    "expected_day",
    "fast_session",
    "hub_day",
    "rules_text",
    "start_hub",
]

TZ = ZoneInfo("Asia/Ho_Chi_Minh")
YEAR = dt.datetime.now(TZ).year
# Simulated days lie in the recent past: the hub refuses days after its own tomorrow.
BASE = dt.datetime.now(TZ).date() - dt.timedelta(days=12)
AN, BINH = "An", "Bình"  # An is 7 or older (both consent); Bình is under 7 (parent only)
FAST_TIMEOUT = (2.0, 5.0)
# Strings from the rules and the event log that must never reach the hub.
PRIVATE = ("Secret Title", "secret-dir", "net.minecraft.secret", "/home/an", "please mum",
           "https://", "Minecraft", "C:\\Users")


def at(day: dt.date, hour: int = 9) -> dt.datetime:
    """A local time in Ho Chi Minh City."""
    return dt.datetime.combine(day, dt.time(hour), TZ)


def fast_session() -> Any:
    """The production session with quicker backoff (still 5 retries with jitter)."""
    return new_session(hub_retry(total=5, backoff_factor=0.02, backoff_jitter=0.02))


def rules_text(port: int) -> str:
    """Rules with private-looking titles, paths and command lines, and two children."""
    return f"""\
version = 1

[settings]
listen = "127.0.0.1:{port}"
timezone = "Asia/Ho_Chi_Minh"

[apps.minecraft]
title = "Minecraft Secret Title"
category = "games"
names = ["minecraft-launcher"]
paths = ["*/secret-dir/*"]
cmdline = ['net\\.minecraft\\.secret']

[apps.roblox]
title = "Roblox"
category = "games"
names = ["roblox"]

[apps.notes]
title = "Notes"
names = ["notes"]

[categories.games]
title = "Games"

[[child]]
name = "{AN}"
accounts = ["an"]
birth_year = {YEAR - 11}

[child.limits.games]
daily = 60

[child.limits.total]
daily = 180

[[child]]
name = "{BINH}"
accounts = ["binh"]
birth_year = {YEAR - 5}

[child.limits.total]
daily = 120
"""


class _Closer:
    def close(self, pid: int, create_time: float) -> list[CloseAction]:
        return []

    def step(self, now: float) -> list[CloseAction]:
        return []


class Device:
    """One computer: a ledger file, a memory keyring, a hand-moved clock, maybe a real Agent."""

    def __init__(self, tmp: Path, start: dt.datetime, *, with_agent: bool = False) -> None:
        self.dir = tmp
        self.wall = start.timestamp()
        self.steady = 10_000.0
        self.port = free_port()
        self.rules = tmp / "rules.toml"
        self.rules.write_text(rules_text(self.port), encoding="utf-8")
        self.ledger = SqliteLedger(tmp / "ledger.sqlite")
        self.store = SyncStore(self.ledger)
        self.secrets: SecretStore = open_store(MemoryKeyring())
        self.agent: Agent | None = None
        if with_agent:
            clock = TrustedClock(TZ, wall=lambda: self.wall, steady=lambda: self.steady)
            self.agent = Agent(ConfigSource(self.rules), self.ledger, lambda _a: FakeSource(),
                               lambda _g: _Closer(), clock, lambda: self.steady)
            self.agent.start()

    def now(self) -> dt.datetime:
        """The device's time."""
        return dt.datetime.fromtimestamp(self.wall, TZ)

    def move_to(self, day: dt.date, hour: int = 20) -> None:
        """Jump the clock forward to `day` at `hour`:00, and let the agent see the new day."""
        target = dt.datetime.combine(day, dt.time(hour), TZ).timestamp()
        assert target >= self.wall, "the device clock only moves forward"
        self.steady += target - self.wall
        self.wall = target
        if self.agent is not None:
            self.agent.tick()

    def client(self, **kwargs: Any) -> SyncClient:
        """The sync client as the agent would build it (with quicker retries)."""
        kwargs.setdefault("timeout", FAST_TIMEOUT)
        return SyncClient(self.store, self.ledger, self.secrets, self.agent,
                          kwargs.pop("session_factory", fast_session), self.now, **kwargs)

    def pair(self, url: str, code: str, ca_bundle: str | None = None, *,
             messages: tuple[str, ...] = ()) -> PairResult:
        """Both children, the parent's consent and An's (and to share `messages`' words)."""
        kids = [ChildInfo(AN, YEAR - 11), ChildInfo(BINH, YEAR - 5)]
        consents = make_consents(kids, "Mẹ", [AN], self.now(), messages=messages,
                                 child_messages=messages)
        return pair(self.store, self.ledger, self.secrets, url, code, consents,
                    device_name="PC phòng khách", ca_bundle=ca_bundle,
                    session_factory=fast_session, clock=self.now, timeout=FAST_TIMEOUT)

    def use(self, day: dt.date, child: str, apps: dict[str, int], *, warnings: int = 0,
            closes: int = 0, grants: int = 0, requests: int = 0) -> None:
        """Usage and events in the ledger, as the agent records them (apps one after another)."""
        records: dict[Any, float] = {}
        for app, seconds in apps.items():
            records[(day, child, "app", app)] = seconds + 0.25
            if app in ("minecraft", "roblox"):
                key = (day, child, "category", "games")
                records[key] = records.get(key, 0.0) + seconds + 0.25
        records[(day, child, "total", "total")] = sum(apps.values()) + 0.25 * len(apps)
        self.ledger.add_usage(records)
        self.ledger.flush()
        ts = dt.datetime.combine(day, dt.time(12), TZ)
        private = {"title": "Minecraft Secret Title", "exe": "/home/an/secret-dir/mc",
                   "cmdline": "java net.minecraft.secret", "url": "https://example.vn/x",
                   "message": "please mum", "path": "C:\\Users\\an"}
        for kind, n in (("warning", warnings), ("close", closes), ("grant", grants),
                        ("request", requests)):
            for _i in range(n):
                self.ledger.add_event(Event(kind, ts, day, child, "games", private, "agent"))
        # Events that are not counted, and another child's, must not change anything.
        self.ledger.add_event(Event("reminder", ts, day, child, "games", private, "agent"))

    def close(self) -> None:
        """Release the ledger."""
        self.ledger.close()


def expected_day(ledger: SqliteLedger, child: str, day: dt.date) -> dict[str, Any]:
    """The day as the ledger has it, computed without sync's own code."""
    usage = ledger.usage(day, day)
    out: dict[str, Any] = {"total_seconds": 0, "apps": {}, "categories": {},
                           "counts": {"warnings": 0, "closes": 0, "grants": 0, "requests": 0,
                                      "gaps": 0, "gap_seconds": 0, "tamper": 0}}
    for (_d, who, kind, ident), seconds in usage.items():
        if who != child:
            continue
        if kind == "total":
            out["total_seconds"] = round(seconds)
        else:
            out["apps" if kind == "app" else "categories"][ident] = round(seconds)
    names = {"warning": "warnings", "close": "closes", "grant": "grants", "request": "requests"}
    device = {"gap": "gaps", "tamper": "tamper", "clock_jump": "tamper"}
    for e in ledger.events(limit=100_000):
        if e.day == day and e.child is None and e.kind in device:  # the computer's own events
            out["counts"][device[e.kind]] += 1
            if e.kind == "gap":
                # A day cannot have more than a day without PlayClock running.
                seconds = out["counts"]["gap_seconds"] + int(e.detail.get("seconds", 0))
                out["counts"]["gap_seconds"] = min(86_400, seconds)
        if e.day != day or e.child != child:
            continue
        if e.kind in names:
            out["counts"][names[e.kind]] += 1
        elif e.kind == "request_answered" and e.detail.get("approved"):
            out["counts"]["grants"] += 1
    return out


def hub_day(api: HubApi, parent: str, child: str, day: dt.date) -> dict[str, Any]:
    """The hub's view of a child's day (summed over devices), as `expected_day` shapes it."""
    r = api.call("GET", f"/v1/children/{child}/days/{day.isoformat()}", parent)
    assert r.status_code == 200, r.text
    body = r.json()
    return {k: body[k] for k in ("total_seconds", "apps", "categories", "counts")}


def start_hub(request: pytest.FixtureRequest, tmp: Path, backend: str = "sqlite"
              ) -> Iterator[HubServer]:
    """A real hub on loopback for one module."""
    with HubServer(database_url(backend, tmp, request), log_dir=tmp) as server:
        yield server


def bodies(records: list[Any]) -> str:
    """Every recorded request line, header and body, as one text to search."""
    return "\n".join(
        f"{r.line} {json.dumps(r.headers)} {r.body.decode('utf-8', 'replace')}" for r in records
    )
