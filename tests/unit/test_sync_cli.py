"""Wiring: the agent's sync job, its local API routes, `hub serve` and the CLI's words."""

from __future__ import annotations

import argparse
import datetime as dt
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import pytest
from apscheduler.schedulers.background import BackgroundScheduler
from starlette.applications import Starlette
from starlette.testclient import TestClient

from agent.ledger.memory import MemoryLedger
from playclock.cli import sync as cli
from rules.model import Config
from sync.agent_job import NOW_PATH, LazySecrets, SyncJob, schedule
from sync.client import SyncClient
from sync.state import SyncStore

TZ = dt.timezone(dt.timedelta(hours=7))


def _runtime() -> Any:
    agent = SimpleNamespace(
        clock=SimpleNamespace(now=lambda: dt.datetime(2026, 1, 5, 9, tzinfo=TZ)),
        config=Config(), log=lambda *a, **k: None,
    )
    return SimpleNamespace(agent=agent, ledger=MemoryLedger(),
                           scheduler=BackgroundScheduler(timezone=dt.UTC))


def test_the_job_runs_every_five_minutes_reports_its_status_and_serves_its_routes() -> None:
    rt = _runtime()
    secrets = LazySecrets(lambda: pytest.fail("no keyring while sync is off"))
    client = SyncClient(SyncStore(rt.ledger), rt.ledger, secrets, rt.agent,
                        clock=rt.agent.clock.now)
    job = SyncJob(lambda: client, rt.ledger)
    schedule(job, rt.scheduler)
    scheduled = rt.scheduler.get_job("sync")
    assert scheduled is not None and scheduled.trigger.interval == dt.timedelta(minutes=5)
    assert scheduled.max_instances == 1 and scheduled.coalesce is True
    assert job.status()["sync"]["enabled"] is False
    app = Starlette()
    job.serve(app, None)
    http = TestClient(app)
    first = http.post(NOW_PATH).json()
    assert first["ok"] is True and first["skipped"] == "disabled" and "throttled" not in first
    assert http.post(NOW_PATH).json()["throttled"] is True  # at most one run per 10 s
    assert http.get("/api/v1/sync").json()["enabled"] is False
    assert job.last is not None


def test_the_client_is_made_only_when_sync_has_something_to_do() -> None:
    rt = _runtime()
    job = SyncJob(lambda: pytest.fail("no sync client while sync is off"), rt.ledger)
    assert job() is None and job.status()["sync"]["enabled"] is False


def test_the_keyring_opens_lazily_and_once() -> None:
    opened: list[int] = []
    box: dict[str, str] = {}

    class Store:
        def get(self, name: str) -> str | None:
            return box.get(name)

        def set(self, name: str, value: str) -> None:
            box[name] = value

        def delete(self, name: str) -> None:
            box.pop(name, None)

    def opener() -> Store:
        opened.append(1)
        return Store()

    secrets = LazySecrets(opener)
    assert opened == []
    secrets.set("sync-token", "x")
    assert secrets.get("sync-token") == "x"
    secrets.delete("sync-token")
    assert secrets.get("sync-token") is None and opened == [1]


def test_hub_serve_passes_the_database_and_address(monkeypatch: pytest.MonkeyPatch) -> None:
    import sync.hub

    seen: list[tuple[str | None, str | None, dict[str, object]]] = []

    def serve(db: str | None, listen: str | None, **options: object) -> int:
        seen.append((db, listen, options))
        return 0

    monkeypatch.setattr(sync.hub, "serve", serve)
    args = argparse.Namespace(db="sqlite:////tmp/x.sqlite", listen="127.0.0.1:7390",
                              tls_cert=None, tls_key=None, access_log=False,
                              hub_config=Path("/tmp/hub.toml"))
    from playclock.cli.hub import cmd_hub_serve

    assert cmd_hub_serve(args) == 0
    assert seen == [("sqlite:////tmp/x.sqlite", "127.0.0.1:7390", {
        "ssl_certfile": None, "ssl_keyfile": None, "access_log": False,
        "config_path": Path("/tmp/hub.toml")})]


def test_status_when_off_says_usage_stays_here(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    args = argparse.Namespace(config=None, data_dir=str(tmp_path))
    assert cli.cmd_status(args) == 0
    assert "off" in capsys.readouterr().out


def test_reports_read_as_sentences(capsys: pytest.CaptureFixture[str]) -> None:
    cli.print_report({"ok": False, "sent": [["An", "2026-01-05"]], "unchanged": 2,
                      "pending": [["Bình", "2026-01-06"]], "applied": [1], "rejected": [],
                      "forwarded": [4], "notes": ["child_consent_needed:Bình"],
                      "error": "hub_unreachable"})
    out = capsys.readouterr()
    assert "An 2026-01-05" in out.out and "Bình 2026-01-06" in out.out
    assert "Bình is 7 or older" in out.out
    assert "could not be reached" in out.err
