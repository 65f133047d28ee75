"""Sync inside the agent: the 5-minute job, its status and `POST /api/v1/sync/now`."""

from __future__ import annotations

import datetime as dt
import logging
import threading
import time
from collections.abc import Callable
from typing import Annotated, Any, cast

from apscheduler.schedulers.base import BaseScheduler
from apscheduler.triggers.interval import IntervalTrigger
from fastapi import APIRouter, Depends, FastAPI, Request

from sync.client import SyncClient, SyncReport
from sync.pairing import Secrets
from sync.status_info import sync_info

__all__ = [
    "ANSWER_SECONDS",
    "NOW_PATH",
    "SYNC_MINUTES",
    "LazySecrets",
    "SyncJob",
    "router",
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

    def while_waiting(self) -> SyncReport | None:
        """A run when a child's request waits for an answer (and none ran just now), else None."""
        if time.monotonic() - self._last_run < ANSWER_SECONDS / 2:
            return None
        try:
            waiting = self.client.waiting_for_answer()
        except Exception:  # the ledger is busy or closing: the next check retries
            log.exception("checking for open requests failed")
            return None
        return self() if waiting else None

    def now(self) -> dict[str, Any]:
        """A run asked for by a person, at most one per 10 s (else the last report)."""
        if self.last is not None and time.monotonic() - self._last_run < _MIN_GAP:
            return {**self.last.as_json(), "throttled": True}
        report = self()
        return report.as_json() if report else {"ok": False, "error": "internal_error"}

    def status(self) -> dict[str, Any]:
        """The status document's `agent.sync` part: whether sync is on and what it sends."""
        return {"sync": sync_info(self.client.ledger)}

    def serve(self, app: FastAPI, _ctx: object) -> None:
        """Serve this job's routes on the agent's API app."""
        app.state.sync_job = self
        app.include_router(router)


def schedule(job: SyncJob, scheduler: BaseScheduler, *, minutes: float = SYNC_MINUTES,
             answer_seconds: float = ANSWER_SECONDS) -> None:
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


Job = Annotated[SyncJob, Depends(_job)]
router = APIRouter()


@router.post(NOW_PATH)
def sync_now(job: Job) -> dict[str, Any]:
    """Run sync now (what `playclock sync now` asks the agent for)."""
    return job.now()


@router.get("/api/v1/sync")
def sync_state(job: Job) -> dict[str, Any]:
    """Whether sync is on and what it sends."""
    return sync_info(job.client.ledger)
