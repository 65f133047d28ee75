"""The composition root: the only code that knows every part and wires them together."""

from __future__ import annotations

import logging
import sys
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from apscheduler.schedulers.background import BackgroundScheduler
from apscheduler.triggers.cron import CronTrigger

from agent import platform as _platform
from agent.api.app import ApiExtension, ApiServer, split_listen
from agent.api.context import ApiContext
from agent.ledger.sqlite import SqliteLedger
from agent.platform.probe import PsutilSource
from agent.platform.sessions import SessionChanges, session_changes, session_source
from agent.platform.timezone import local_timezone, resolve_timezone
from agent.security.pin.lockout import FileLockoutStore
from agent.security.pin.manager import PinManager, keyring_store
from agent.service.agent import Agent, StatusHook
from agent.service.clock import TrustedClock
from agent.service.closer import Closer
from agent.service.event_bus import EventBus
from agent.service.rules_file import ConfigSource
from sync.agent_job import LazySecrets, SyncJob, schedule

if TYPE_CHECKING:
    from starlette.applications import Starlette

    from agent.platform.exec_watch import ExecWatch
    from sync.client import SyncClient

__all__ = ["Runtime", "build"]

# CPU seconds of reading new processes per tick at most (a burst is read over a few ticks).
READ_BUDGET = 0.012

log = logging.getLogger(__name__)

API_RETRY_SECONDS = 5.0  # how often a local API that could not listen tries again


@dataclass
class Runtime:
    """A wired agent and the things that drive it."""

    agent: Agent
    ledger: SqliteLedger
    data_dir: Path
    scheduler: BackgroundScheduler
    sync: SyncJob
    # Served on the local API's address besides the API itself: the dashboard, sync's routes.
    extensions: list[ApiExtension] = field(default_factory=list)
    api: ApiServer | None = None
    stopped: threading.Event = field(default_factory=threading.Event)
    exec_watch: ExecWatch | None = None
    session_changes: SessionChanges | None = None
    _pins: PinManager | None = None
    _ctx: ApiContext | None = None
    _ticker: threading.Thread | None = None

    def pins(self) -> PinManager:
        """The PIN manager over the OS keyring (opened on first use: it may need D-Bus)."""
        if self._pins is None:
            self._pins = PinManager(
                keyring_store(data_dir=self.data_dir),
                FileLockoutStore(self.data_dir / "pin-lockout.json"),
                log=lambda event, fields: self.agent.log(event, fields, "pin"),
            )
        return self._pins

    def start(self, *, serve_api: bool = True) -> None:
        """Start ticking (and serving the local API)."""
        self.agent.start()
        settings = self.agent.config.settings
        hour, minute = divmod(settings.day_starts, 60)
        self.scheduler.add_job(
            self._rollover,
            CronTrigger(hour=hour, minute=minute, timezone=self.agent.clock.tz),
            id="rollover",
            max_instances=1,
            coalesce=True,
        )
        self.scheduler.start()
        self._ticker = threading.Thread(target=self._tick_loop, name="playclock-tick", daemon=True)
        self._ticker.start()
        self.session_changes = session_changes(self.agent.sessions)
        if self.session_changes is not None:
            # A session locked, unlocked, went idle or came: counted and enforced at once.
            self._tick_on(self.session_changes.wait, "playclock-session-ticks")
        if serve_api:
            _host, port = split_listen(settings.listen)
            self._ctx = ApiContext(self.agent, self.pins, port)
            if not self._serve_api(settings.listen):
                # Another program holds the address: enforce without the API, and keep trying.
                retry = threading.Thread(
                    target=self._retry_api, args=(settings.listen,), name="playclock-api-retry",
                    daemon=True,
                )
                retry.start()

    def _serve_api(self, listen: str) -> bool:
        assert self._ctx is not None
        api = ApiServer(self._ctx, listen, self.extensions)
        try:
            api.start()
        except OSError as exc:
            api.stop()
            self.agent.api_state(listen, str(exc))
            return False
        self.api = api
        self.agent.api_state(listen, None)
        return True

    def _retry_api(self, listen: str) -> None:
        while not self.stopped.wait(API_RETRY_SECONDS):
            if self._serve_api(listen):
                if self.stopped.is_set() and self.api is not None:
                    self.api.stop()  # stopped meanwhile
                return

    def _tick_loop(self) -> None:
        """Tick every `poll_seconds` (a changed value applies from the next tick), a late tick
        not made up for. With the kernel's process events, also tick at once when a watched
        account starts a program while something is blocked: a blocked game is closed within
        a fraction of a second, not at the next poll. One thread, asleep between ticks (no
        scheduler's wake-ups and hand-offs to a worker each second: issue 15)."""
        watch = self.exec_watch
        due = time.monotonic()
        while not self.stopped.is_set():
            wait = due - time.monotonic()
            if wait <= 0:
                self.agent.tick()
                poll = self.agent.config.settings.poll_seconds
                due = max(due + poll, time.monotonic())
            elif watch is None:
                self.stopped.wait(wait)
            elif watch.wait(wait) and self.agent.blocks_any() and not self.stopped.is_set():
                self.agent.tick()

    def _tick_on(self, wait: Callable[[float], object], name: str) -> None:
        """Tick at once each time `wait` reports something (a daemon thread; `wait` returns
        when its source is closed, so the long timeout does not delay the stop)."""

        def loop() -> None:
            while not self.stopped.is_set():
                if wait(60.0) and not self.stopped.is_set():
                    self.agent.tick()

        threading.Thread(target=loop, name=name, daemon=True).start()

    def _rollover(self) -> None:
        """At `day_starts`: tick at once so the new day's budgets apply without waiting."""
        self.agent.tick()

    def _weekly_report(self) -> None:
        """Write last week's report (HTML and JSON) into `<data>/reports/` if it is missing."""
        # Imported here: the reports (Jinja2, Babel) load only when a report is written.
        from agent.reports.archive import write_weekly
        from agent.reports.iso_weeks import format_week, last_complete_week

        try:
            today = self.agent.state.day
            stem = format_week(last_complete_week(today))
            if not (self.data_dir / "reports" / f"{stem}.html").exists():
                with self.agent.lock:
                    self.agent.ledger.flush()
                write_weekly(
                    self.agent.ledger, self.agent.config, self.data_dir, today, self.agent.clock.tz
                )
        except Exception:  # a report must never stop the agent
            log.exception("weekly report failed")

    def stop(self) -> None:
        """Stop serving and ticking, record the stop, close the ledger."""
        if self.stopped.is_set():
            return
        self.stopped.set()
        if self.api is not None:
            self.api.stop()
        if self.exec_watch is not None:
            self.exec_watch.close()  # wakes the tick loop
        if self.session_changes is not None:
            self.session_changes.close()
        if self._ticker is not None:
            self._ticker.join()  # a tick in progress ends first
        self.scheduler.shutdown(wait=True)
        if self._pins is not None:
            self._pins.flush()  # the current lockout episode's refused tries, as one event
        self.agent.stop()
        self.ledger.close()


def _exec_watch(agents: list[Agent]) -> ExecWatch | None:
    """On Linux as root, the kernel's process events for the probe and for prompt closes;
    None elsewhere (or when refused): the probe polls, a close waits for the next poll."""
    if not sys.platform.startswith("linux"):
        return None
    from agent.platform.exec_watch import ExecWatch, Unavailable, uids_of

    known: dict[frozenset[str], frozenset[int]] = {}

    def uids() -> frozenset[int]:
        if not agents:
            return frozenset()
        children = agents[0].config.children
        accounts = frozenset(a for c in children for a in c.accounts)
        if accounts not in known:
            known.clear()
            known[accounts] = uids_of(accounts)
        return known[accounts]

    try:
        return ExecWatch(uids, wanted=lambda: bool(agents) and agents[0].blocks_any())
    except Unavailable as exc:
        log.info("no process events (%s): the probe polls, closes wait for the next poll", exc)
        return None


def _open_store(data_dir: Path) -> Any:
    """The OS keyring (imported on first use: keyring and its backends weigh ~8 MB)."""
    from agent.security.secret_store import open_store

    return open_store(data_dir=data_dir)


def _dashboard(app: Starlette, ctx: ApiContext) -> None:
    """The dashboard's pages on the API app (imported when the API starts, not for `build`)."""
    from agent import dashboard

    dashboard.mount(app, ctx)


def _sync_client(
    ledger: SqliteLedger, agent: Agent, clock: TrustedClock, data_dir: Path
) -> SyncClient:
    """The sync client (imported on first use: `requests` and TLS only when sync runs)."""
    from sync.client import SyncClient
    from sync.state import SyncStore
    from sync.transport import new_session

    return SyncClient(
        SyncStore(ledger),
        ledger,
        LazySecrets(lambda: _open_store(data_dir)),
        agent,
        new_session,
        clock.now,
    )


def build(
    config_path: Path | None,
    data_dir: Path,
    *,
    demo_user: str | None = None,
    process_events: bool = True,
) -> Runtime:
    """Wire a real agent: SQLite ledger, psutil probe, the OS's closer, a trusted clock, sync."""
    plat = _platform.current()
    saved = data_dir / "rules.toml"
    if config_path is None and saved.is_file():
        config_path = saved  # rules a parent changed from the demo's
    source = ConfigSource(config_path, demo_user=demo_user, save_path=saved)
    source.load()
    tz = local_timezone()
    if source.config is not None:
        tz = resolve_timezone(source.config.settings.timezone)
    if not data_dir.exists():
        # Usage history is a child's personal data: only the agent's account reads it.
        data_dir.mkdir(parents=True, mode=0o700)
    ledger = SqliteLedger(data_dir / "ledger.sqlite")
    clock = TrustedClock(tz, steady=plat.boot_clock)

    agents: list[Agent] = []  # the one agent, once made (the watch asks for its accounts)
    # process_events=False: poll only, as where the kernel refuses (benchmarks compare).
    watch = _exec_watch(agents) if process_events else None

    def probe_for(accounts: frozenset[str]) -> PsutilSource:
        events = process_events if watch is None else watch.feed()
        return PsutilSource(accounts or None, events=events, read_budget=READ_BUDGET)

    def closer_for(grace: float) -> Closer:
        return Closer(plat, grace, clock=plat.boot_clock)

    def where() -> dict[str, object]:
        return {
            "mode": "demo" if source.demo else "config",
            "config": source.name,
            "data_dir": str(data_dir),
        }

    hooks: list[StatusHook] = [where]
    agent = Agent(
        source, ledger, probe_for, closer_for, clock, plat.boot_clock, EventBus(),
        status_hooks=hooks, sessions=session_source(),
    )
    agents.append(agent)
    scheduler = BackgroundScheduler(timezone=tz)
    job = SyncJob(lambda: _sync_client(ledger, agent, clock, data_dir), ledger)
    schedule(job, scheduler)  # idle while sync is off
    hooks.append(job.status)
    runtime = Runtime(agent, ledger, data_dir, scheduler, job, [_dashboard, job.serve])
    runtime.exec_watch = watch
    return runtime
