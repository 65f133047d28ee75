"""Sync inside the agent: the 5-minute job, the status hook and `POST /api/v1/sync/now`."""

from __future__ import annotations

import datetime as dt
import logging
import threading
import time
from collections.abc import Callable
from typing import Any

from apscheduler.triggers.interval import IntervalTrigger

from sync.client import SyncClient, SyncReport
from sync.state import SyncStore
from sync.status_info import sync_info
from sync.transport import new_session

__all__ = ["NOW_PATH", "SYNC_MINUTES", "LazySecrets", "SyncJob", "install"]

log = logging.getLogger("playclock.sync")

SYNC_MINUTES = 5
NOW_PATH = "/api/v1/sync/now"
_MIN_GAP = 10.0  # seconds between runs asked for through the local API


class LazySecrets:
    """The OS keyring, opened on first use (it may need D-Bus, which can come up late)."""

    def __init__(self, opener: Callable[[], Any] | None = None) -> None:
        self._opener = opener
        self._store: Any = None

    def _get(self) -> Any:
        if self._store is None:
            if self._opener is None:
                from agent.security.secret_store import open_store

                self._opener = open_store
            self._store = self._opener()
        return self._store

    def get(self, name: str) -> str | None:
        """The secret, or None."""
        value = self._get().get(name)
        return None if value is None else str(value)

    def set(self, name: str, value: str) -> None:
        """Store a secret."""
        self._get().set(name, value)

    def delete(self, name: str) -> None:
        """Remove a secret."""
        self._get().delete(name)


class SyncJob:
    """Runs the client for the scheduler and the API; never raises into either."""

    def __init__(self, client: SyncClient) -> None:
        self.client = client
        self.last: SyncReport | None = None
        self._last_run = 0.0
        self._lock = threading.Lock()

    def __call__(self) -> SyncReport | None:
        """One run (the scheduler's job)."""
        with self._lock:
            try:
                self.last = self.client.run_once()
            except Exception:
                log.exception("sync run failed")
                return None
            finally:
                self._last_run = time.monotonic()
            return self.last

    def now(self) -> dict[str, Any]:
        """A run asked for by a person, at most one per 10 s (else the last report)."""
        if self.last is not None and time.monotonic() - self._last_run < _MIN_GAP:
            return {**self.last.as_json(), "throttled": True}
        report = self()
        return report.as_json() if report else {"ok": False, "error": "internal_error"}


def install(runtime: Any, *, minutes: float = SYNC_MINUTES) -> SyncJob:
    """Wire sync into a built (not yet started) playclock.compose.Runtime."""
    agent = runtime.agent
    client = SyncClient(
        SyncStore(runtime.ledger), runtime.ledger, LazySecrets(), agent, new_session,
        agent.clock.now,
    )
    job = SyncJob(client)
    runtime.extras.setdefault("status_hooks", []).append(
        lambda: {"sync": sync_info(runtime.ledger)}
    )
    runtime.extras.setdefault("routes", []).append(_routes(job))
    runtime.extras["sync"] = job
    runtime.scheduler.add_job(
        job,
        IntervalTrigger(minutes=minutes, jitter=30),
        id="sync",
        max_instances=1,
        coalesce=True,
        next_run_time=dt.datetime.now(dt.UTC) + dt.timedelta(seconds=30),
    )
    return job


def _routes(job: SyncJob) -> Callable[[Any, Any], None]:
    def add(app: Any, ctx: Any) -> None:
        @app.post(NOW_PATH)
        def sync_now() -> dict[str, Any]:
            """Run sync now (what `playclock sync now` asks the agent for)."""
            return job.now()

        @app.get("/api/v1/sync")
        def sync_state() -> dict[str, Any]:
            """Whether sync is on and what it sends."""
            return sync_info(job.client.ledger)

    return add
