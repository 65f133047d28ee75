"""Sync inside the agent: the 5-minute job, its status and `POST /api/v1/sync/now`."""

from __future__ import annotations

import datetime as dt
import logging
import threading
import time
from collections.abc import Callable
from typing import TYPE_CHECKING, Any, cast

from apscheduler.schedulers.base import BaseScheduler
from apscheduler.triggers.interval import IntervalTrigger
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route

from sync.state import MetaStore, SyncStore
from sync.status_info import sync_info

if TYPE_CHECKING:  # the client (requests, TLS) is imported only once sync is on (issue 15)
    from sync.client import SyncClient, SyncReport
    from sync.pairing import Secrets

__all__ = [
    "ANSWER_SECONDS",
    "NOW_PATH",
    "SYNC_MINUTES",
    "LazySecrets",
    "SyncJob",
    "routes",
    "schedule",
]

log = logging.getLogger("playclock.sync")

SYNC_MINUTES = 5
ANSWER_SECONDS = 20  # how often sync runs while a child's request waits for a parent
NOW_PATH = "/api/v1/sync/now"
_MIN_GAP = 10.0  # seconds between runs asked for through the local API


class LazySecrets:
    """The OS keyring, opened on first use (it may need D-Bus, which can come up late)."""

    def __init__(self, opener: Callable[[], Secrets]) -> None:
        self._opener = opener
        self._store: Secrets | None = None

    def _get(self) -> Secrets:
        if self._store is None:
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
    """Runs the client for the scheduler and the API; never raises into either.

    The client is made on the first run that has something to do: while sync is off (and no
    withdrawal is pending) the agent never loads the HTTP client and TLS.
    """

    def __init__(self, client: Callable[[], SyncClient], ledger: MetaStore) -> None:
        self._make_client = client
        self._client: SyncClient | None = None
        self.ledger = ledger
        self.last: SyncReport | None = None
        self._last_run = 0.0
        self._lock = threading.Lock()

    def __call__(self) -> SyncReport | None:
        """One run (the scheduler's job)."""
        return self._run(idle_when_off=True)

    def _run(self, *, idle_when_off: bool) -> SyncReport | None:
        with self._lock:
            try:
                if idle_when_off and self._client is None:
                    state = SyncStore(self.ledger).load()
                    if not (state.enabled or state.withdraw_pending):
                        return self.last  # off: nothing to send, nothing loaded
                self.last = self.client.run_once()
            except Exception:
                log.exception("sync run failed")
                return None
            finally:
                self._last_run = time.monotonic()
            return self.last

    @property
    def client(self) -> SyncClient:
        """The sync client (made on first use)."""
        if self._client is None:
            self._client = self._make_client()
        return self._client

    def while_waiting(self) -> SyncReport | None:
        """A run when a child's request waits for an answer (and none ran just now), else None."""
        if time.monotonic() - self._last_run < ANSWER_SECONDS / 2:
            return None
        try:
            if self._client is None:
                state = SyncStore(self.ledger).load()
                if not (state.enabled or state.withdraw_pending):
                    return None  # off: no client to ask (nor to load)
            waiting = self.client.waiting_for_answer()
        except Exception:  # the ledger is busy or closing: the next check retries
            log.exception("checking for open requests failed")
            return None
        return self() if waiting else None

    def now(self) -> dict[str, Any]:
        """A run asked for by a person, at most one per 10 s (else the last report)."""
        if self.last is not None and time.monotonic() - self._last_run < _MIN_GAP:
            return {**self.last.as_json(), "throttled": True}
        report = self._run(idle_when_off=False)
        return report.as_json() if report else {"ok": False, "error": "internal_error"}

    def status(self) -> dict[str, Any]:
        """The status document's `agent.sync` part: whether sync is on and what it sends."""
        return {"sync": sync_info(self.ledger)}

    def serve(self, app: Starlette, _ctx: object) -> None:
        """Serve this job's routes on the agent's API app."""
        app.state.sync_job = self
        app.router.routes.extend(routes())


def schedule(
    job: SyncJob,
    scheduler: BaseScheduler,
    *,
    minutes: float = SYNC_MINUTES,
    answer_seconds: float = ANSWER_SECONDS,
) -> None:
    """Run the job every few minutes (with jitter), the first time 30 s after start; while a
    child's request is open, every `answer_seconds`, so the parent's answer arrives soon."""
    scheduler.add_job(
        job,
        IntervalTrigger(minutes=minutes, jitter=30),
        id="sync",
        max_instances=1,
        coalesce=True,
        next_run_time=dt.datetime.now(dt.UTC) + dt.timedelta(seconds=30),
    )
    scheduler.add_job(
        job.while_waiting,
        IntervalTrigger(seconds=answer_seconds),
        id="sync-answers",
        max_instances=1,
        coalesce=True,
    )


def _job(request: Request) -> SyncJob:
    return cast(SyncJob, request.app.state.sync_job)


def sync_now(request: Request) -> JSONResponse:
    """Run sync now (what `playclock sync now` asks the agent for)."""
    return JSONResponse(_job(request).now())


def sync_state(request: Request) -> JSONResponse:
    """Whether sync is on and what it sends."""
    return JSONResponse(sync_info(_job(request).ledger))


def routes() -> list[Route]:
    """`POST /api/v1/sync/now` and `GET /api/v1/sync` (each for its one method, no HEAD)."""
    found = [
        Route(NOW_PATH, sync_now, methods=["POST"]),
        Route("/api/v1/sync", sync_state, methods=["GET"]),
    ]
    for route, method in zip(found, ("POST", "GET"), strict=True):
        route.methods = {method}
    return found
