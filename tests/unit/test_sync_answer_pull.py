"""While a child's request waits for a parent, sync runs every 20 s instead of every 5 minutes."""

from __future__ import annotations

import datetime as dt
from typing import Any

from apscheduler.schedulers.background import BackgroundScheduler

from sync.agent_job import ANSWER_SECONDS, SyncJob, schedule
from sync.client import SyncReport


class FakeClient:
    """Counts runs; says whether a request waits."""

    def __init__(self) -> None:
        self.waiting = False
        self.runs = 0
        self.ledger: Any = None

    def run_once(self) -> SyncReport:
        self.runs += 1
        return SyncReport()

    def waiting_for_answer(self) -> bool:
        return self.waiting


def test_runs_only_while_a_request_waits() -> None:
    client = FakeClient()
    job = SyncJob(client)  # type: ignore[arg-type]
    assert job.while_waiting() is None and client.runs == 0
    client.waiting = True
    assert job.while_waiting() is not None and client.runs == 1
    assert job.while_waiting() is None  # it just ran: the next check is the one that runs
    job._last_run -= ANSWER_SECONDS
    assert job.while_waiting() is not None and client.runs == 2


def test_the_answer_check_is_scheduled_at_most_30_seconds_apart() -> None:
    scheduler = BackgroundScheduler()
    schedule(SyncJob(FakeClient()), scheduler)  # type: ignore[arg-type]
    jobs = {j.id: j for j in scheduler.get_jobs()}
    assert jobs["sync"].trigger.interval == dt.timedelta(minutes=5)
    assert jobs["sync-answers"].trigger.interval <= dt.timedelta(seconds=30)
