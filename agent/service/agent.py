"""The agent's work: each tick probes, lets the core decide, and carries the decisions out."""

from __future__ import annotations

import datetime as dt
import json
import logging
import threading
import unicodedata
from collections.abc import Callable, Iterable, Sequence
from dataclasses import replace
from typing import Any, Protocol

from agent.i18n import _
from agent.ledger.store import Event, EventKind, Identity, Ledger
from agent.platform.base import PlatformError
from agent.platform.probe import ProcessSource
from agent.platform.sessions.base import SessionInfo, SessionSource
from agent.service.clock import GAP_SECONDS, TrustedClock
from agent.service.closer import CloseAction
from agent.service.event_bus import EventBus
from agent.service.rules_file import ConfigSource
from agent.service.screen import IdleReports, ScreenAct, ScreenEnforcer, observe_sessions
from agent.service.status_document import status_document
from agent.service.tamper import DIGEST_KEY, tamper_findings, usage_digest
from rules import decisions
from rules.config import ConfigError
from rules.effective import usable_grant
from rules.limits import ALL, child_limits, day_budgets
from rules.match import Matcher, Running
from rules.model import (
    SCREEN,
    TOTAL,
    ChildStatus,
    Close,
    Config,
    DayState,
    LimitSpec,
    LimitStatus,
    ProcessInfo,
)
from rules.screen import ScreenSession
from rules.timeutil import day_of
from rules.toml_writer import dump_config

__all__ = ["API_KEY", "Agent", "AgentError", "StatusHook"]

# Adds its part to the status document's `agent` object (where data lives, sync).
StatusHook = Callable[[], dict[str, Any]]

log = logging.getLogger("playclock.agent")

FLUSH_SECONDS = 4.0  # usage is made durable at least this often: a crash loses less than 5 s
HEARTBEAT_KEY = "heartbeat"
API_KEY = "api"  # {"listen", "error", "since"}: whether the local API listens, for `status`
PIN_EVENT_PREFIX = "pin."
PIN_EVENTS_KEPT = 1000  # PIN tries and changes kept in the event log, the newest
COUNTDOWN_SECONDS = 60  # the last minute of `screen` before the session is locked
_SCREEN_EVENTS = {
    "lock": EventKind.SCREEN_LOCK,
    "logout": EventKind.SCREEN_LOGOUT,
    "kill": EventKind.SCREEN_LOGOUT,
    "notify": EventKind.SCREEN_BLOCKED,
}


class AgentError(ValueError):
    """A request the agent cannot carry out (unknown child or target, bad minutes).

    `status` is the HTTP status the local API answers with: 400, or 503 when the computer
    refused (rules that cannot be written).
    """

    def __init__(self, message: str, status: int = 400) -> None:
        super().__init__(message)
        self.status = status


class _Closer(Protocol):
    def close(self, pid: int, create_time: float, key: tuple[str, str]) -> list[CloseAction]: ...

    def step(self, now: float) -> list[CloseAction]: ...


class Agent:
    """Holds the day's state and turns ticks into usage, warnings, closes and events."""

    def __init__(
        self,
        source: ConfigSource,
        ledger: Ledger,
        probe_for: Callable[[frozenset[str]], ProcessSource],
        closer_for: Callable[[float], _Closer],
        clock: TrustedClock,
        steady: Callable[[], float],
        bus: EventBus | None = None,
        status_hooks: Sequence[StatusHook] = (),
        sessions: SessionSource | None = None,
    ) -> None:
        self.source = source
        self.ledger = ledger
        self._probe_for = probe_for
        self._closer_for = closer_for
        self.probe: ProcessSource | None = None
        self.closer: _Closer | None = None
        self._accounts: frozenset[str] | None = None
        self._grace: float | None = None
        self.clock = clock
        self.steady = steady
        self.bus = bus or EventBus()
        self.status_hooks = status_hooks
        self.lock = threading.RLock()
        self.config: Config = Config()
        self.matcher = Matcher(self.config)
        # The last tick's processes, the matcher that matched them, and what it found.
        self._matched: tuple[list[ProcessInfo], Matcher | None, Running] = ([], None, {})
        self.state = DayState(day=dt.date.min)
        self.statuses: tuple[ChildStatus, ...] = ()
        self._last_flush = steady()
        self._closing: set[tuple[str, str, int, float]] = set()
        self._shown: dict[str, tuple[Any, ...]] = {}
        self._unwatched: tuple[dt.datetime, float] | None = None  # since, seconds not counted
        self._api_error: str | None = None
        # Content identities of apps' executables (digest -> identity), from the ledger.
        self._identities: dict[str, Identity] = {}
        self._identified: set[tuple[int, float]] = set()
        self.ticks = 0
        # `screen`: the OS's sessions (None: counted while tracked apps run), the trays'
        # idle reports, and what a blocked limit does to the sessions.
        self.sessions = sessions
        self.idle_reports = IdleReports()
        self.screen_enforcer = None if sessions is None else ScreenEnforcer(sessions)
        self._sessions_error: str | None = None
        self._countdowns: set[tuple[dt.date, str]] = set()

    # -- lifecycle ---------------------------------------------------------------------

    def start(self) -> None:
        """Load rules and today's totals, and record the start (and any gap before it)."""
        with self.lock:
            outcome = self.source.load()
            if self.source.config is None:
                raise ConfigError(outcome.error or [])
            self._identities = {i.digest: i for i in self.ledger.identities()}
            self._use(self.source.config)
            now = self.clock.now()
            self.state = self.ledger.load_day(day_of(now, self.config.settings.day_starts))
            self._record_limits(self.state.day)
            last = self.ledger.get_meta(HEARTBEAT_KEY)
            if last:
                stopped = dt.datetime.fromisoformat(last)
                if (now - stopped).total_seconds() > 60:
                    self._event(
                        EventKind.GAP,
                        detail={
                            "from": stopped.isoformat(timespec="seconds"),
                            "to": now.isoformat(timespec="seconds"),
                            "seconds": int((now - stopped).total_seconds()),
                        },
                    )
            self._event(EventKind.AGENT_START, detail={"config": self.source.name})
            self._check_integrity()
            self._heartbeat(now)
            self.statuses = decisions.decide(self.config, self.state, {}, now)

    def stop(self) -> None:
        """Record the stop and make everything durable."""
        with self.lock:
            now = self.clock.now()
            self._watch_resumed(now, 0.0)  # a long failed episode is recorded as a gap
            self._event(EventKind.AGENT_STOP)
            self._flush(now)
            if self.probe is not None:
                self.probe.close()
            if self.sessions is not None:
                self.sessions.close()

    def _flush(self, now: dt.datetime) -> None:
        """Make usage durable, with the heartbeat and the digest that reveals edits by others."""
        self.ledger.flush()
        day = self.state.day
        self.ledger.set_meta(DIGEST_KEY, usage_digest(day, self.ledger.usage(day, day)))
        self._heartbeat(now)

    def _check_integrity(self) -> None:
        """Log a "tamper" event when the ledger or files were changed by someone else."""
        files = [p for p in (self.source.path, getattr(self.ledger, "path", None)) if p]
        stored = self.ledger.get_meta(DIGEST_KEY)
        for detail in tamper_findings(stored, lambda d: self.ledger.usage(d, d), files):
            self._event(EventKind.TAMPER, detail=detail)

    def _use(self, config: Config) -> None:
        self.config = config
        self.matcher = self._matcher()
        accounts = frozenset(a for child in config.children for a in child.accounts)
        if accounts != self._accounts:
            old = self.probe
            self.probe, self._accounts = self._probe_for(accounts), accounts
            if old is not None:
                old.close()
            self._identified.clear()
        self._tell_sizes()
        if config.settings.grace_seconds != self._grace:
            self._grace = config.settings.grace_seconds
            self.closer = self._closer_for(self._grace)
            self._closing.clear()
            if self.screen_enforcer is not None:
                self.screen_enforcer.grace = self._grace

    def _matcher(self) -> Matcher:
        """A matcher for the config, knowing the remembered executables' identities."""
        return Matcher(self.config, {d: i.app for d, i in self._identities.items()})

    def _tell_sizes(self) -> None:
        """Let the probe hash only executables as large as a known one."""
        if self.probe is not None:
            self.probe.know_sizes(
                {i.size for i in self._identities.values() if self.config.app(i.app)}
            )

    def _learn_identities(self, processes: list[ProcessInfo], running: Running) -> None:
        """Remember the content of each executable matched to an app by its own name or
        path, once per process, so a renamed copy is that app too (kept in the ledger)."""
        assert self.probe is not None
        matched = {pid for apps in running.values() for pids in apps.values() for pid in pids}
        if not matched and not self._identified:
            return  # every tick with nothing of an app running: no walk over every process
        learnt = False
        for proc in processes:
            seen = (proc.pid, proc.create_time)
            if proc.pid not in matched or seen in self._identified:
                continue
            self._identified.add(seen)
            apps = self.matcher.identity_apps(proc)
            if len(apps) != 1:
                continue  # not by its executable, or ambiguous
            ident = self.probe.identity(proc.pid)
            if ident is None or ident.digest in self._identities:
                continue
            identity = Identity(ident.digest, ident.size, next(iter(apps)), proc.exe)
            self.ledger.add_identity(identity, self.clock.now())
            self._identities[identity.digest] = identity
            log.info("remembered the executable %s as %s", proc.exe, identity.app)
            learnt = True
        if learnt:
            self.matcher = self._matcher()
            self._tell_sizes()
        alive = {(p.pid, p.create_time) for p in processes}
        self._identified &= alive

    def _event(
        self,
        kind: str,
        child: str | None = None,
        target: str | None = None,
        detail: dict[str, Any] | None = None,
        actor: str = "agent",
    ) -> None:
        now = self.clock.now()
        event = Event(
            kind,
            now,
            day_of(now, self.config.settings.day_starts),
            child,
            target,
            detail or {},
            actor,
        )
        event_id = self.ledger.add_event(event)
        self.bus.publish({**event.as_json(), "id": event_id})

    def _heartbeat(self, now: dt.datetime) -> None:
        self.ledger.set_meta(HEARTBEAT_KEY, now.isoformat())

    # -- the tick ----------------------------------------------------------------------

    def tick(self) -> None:
        """One poll: count, decide, warn, close; never raises into the scheduler."""
        try:
            with self.lock:
                self._tick()
        except Exception:  # the agent must keep enforcing whatever one tick hit
            log.exception("tick failed")

    def _tick(self) -> None:
        reading = self.clock.read()
        now = reading.now
        if reading.jump:
            self._event(EventKind.CLOCK_JUMP, detail={"seconds": round(reading.jump)})
        if reading.gap:
            self._event(
                EventKind.GAP,
                detail={"seconds": round(reading.gap), "to": now.isoformat(timespec="seconds")},
            )
        self.reload()
        day = day_of(now, self.config.settings.day_starts)
        if day != self.state.day:
            self._flush(now)
            self.state = self.ledger.load_day(day)
            self._closing.clear()
            self._record_limits(day)
        assert self.probe is not None and self.closer is not None, "start() first"
        try:
            processes = self.probe.snapshot()
        except Exception as exc:  # out of file descriptors, /proc unreadable...
            self._watch_failed(now, reading.elapsed, exc)
            return
        elapsed = self._watch_resumed(now, reading.elapsed)
        last_processes, last_matcher, running = self._matched
        # Most ticks see the same processes as the last one (equal lists of the probe's same
        # objects compare by identity): what matched then still does (issue 15).
        matcher = self.matcher
        if matcher is not last_matcher or processes != last_processes:
            running = matcher.running(processes)
            self.probe.watch(
                pid for apps in running.values() for pids in apps.values() for pid in pids
            )
            self._learn_identities(processes, running)  # may make a new matcher: matched anew
            self._matched = (processes, matcher, running)
        screen, sessions = self._observe_sessions(running)
        result, self.state = decisions.tick(
            self.config, self.state, running, now, elapsed, screen
        )
        self.ledger.add_usage(result.usage)
        self.statuses = result.statuses
        self._cue_status(now, day)
        for w in result.warnings:
            for minutes in self.config.settings.warn_minutes:
                if (w.child, w.limit, minutes) in self.state.warned:
                    self.ledger.mark_warned(day, w.child, w.limit, minutes)
            self._event(
                EventKind.WARNING,
                w.child,
                w.limit,
                {"minutes": w.minutes, "title": w.title, "left_seconds": w.left_seconds},
            )
        for r in result.reminders:
            self._event(EventKind.REMINDER, r.child, r.limit, {"minutes": r.minutes})
        self._enforce(result.closes + self._screen_closes(running, result.closes), processes)
        self._enforce_screen(day, sessions)
        steady = self.steady()
        if steady - self._last_flush >= FLUSH_SECONDS:
            self._flush(now)
            self._last_flush = steady
        self.ticks += 1

    def _observe_sessions(
        self, running: Running
    ) -> tuple[dict[str, list[ScreenSession]], dict[str, list[SessionInfo]]]:
        """Each child's sessions for `screen`; without a session source, a child counts as
        at the computer while a tracked app of theirs runs (like `total`)."""
        fallback = {child: [ScreenSession("apps")] for child, apps in running.items() if apps}
        if self.sessions is None:
            return fallback, {}
        try:
            infos = self.sessions.sessions()
        except PlatformError as exc:
            if str(exc) != self._sessions_error:
                log.warning("sessions: %s; screen time counts while tracked apps run", exc)
                self._sessions_error = str(exc)
            return fallback, {}
        if self._sessions_error is not None:
            log.info("sessions: reachable again")
            self._sessions_error = None
        return observe_sessions(infos, self.matcher.child_of, self.idle_reports, self.steady())

    def _screen_closes(self, running: Running, closing: Iterable[Close]) -> tuple[Close, ...]:
        """Without sessions to lock (no session source, or it is unreachable), a blocked
        `screen` closes the child's tracked apps, as the blocked total would: it counts
        like the total there, and it must not be a limit that nothing enforces."""
        if self.screen_enforcer is not None and self._sessions_error is None:
            return ()
        out: list[Close] = []
        already = {(c.child, c.app) for c in closing}
        for status in self.statuses:
            row = next((r for r in status.limits if r.kind == "screen"), None)
            if status.paused or row is None or row.state != "blocked":
                continue
            child = self.config.child(status.name)
            if child is not None and child.screen_action == "notify":
                continue  # the parent asked for counting only
            for app_id, pids in sorted(running.get(status.name, {}).items()):
                if (status.name, app_id) not in already:
                    out.append(
                        Close(status.name, app_id, row.id, row.reason or "budget", pids, row.until)
                    )
        return tuple(out)

    def _enforce_screen(self, day: dt.date, sessions: dict[str, list[SessionInfo]]) -> None:
        """The last-minute countdown, then lock / log out / notify while `screen` is blocked."""
        blocked: dict[str, str] = {}
        for status in self.statuses:
            for row in status.limits:
                if row.kind != "screen":
                    continue
                if row.state == "blocked":
                    blocked[status.name] = row.reason or "budget"
                elif row.left_seconds is not None and row.left_seconds > COUNTDOWN_SECONDS:
                    # Time given back (a grant, new rules): a later last minute counts down again.
                    self._countdowns.discard((day, status.name))
                elif (
                    row.active
                    and row.left_seconds is not None
                    and row.left_seconds <= COUNTDOWN_SECONDS
                    and not status.paused
                    and (day, status.name) not in self._countdowns
                ):
                    self._countdowns.add((day, status.name))
                    child = self.config.child(status.name)
                    action: str = child.screen_action if child else "lock"
                    if not self._screen_enforced() and action != "notify":
                        action = "close"  # no session to lock here: the tracked apps close
                    self._event(
                        EventKind.SCREEN_COUNTDOWN,
                        status.name,
                        SCREEN,
                        {"left_seconds": row.left_seconds, "action": action},
                    )
        if self.screen_enforcer is None:
            return
        acts = self.screen_enforcer.step(self.config, blocked, sessions, self.steady())
        for act in acts:
            self._screen_event(act)

    def _screen_event(self, act: ScreenAct) -> None:
        detail: dict[str, Any] = {"reason": act.reason, "action": act.action}
        if act.session:
            detail["session"] = act.session
        if act.action == "kill":
            detail["forced"] = True
        if act.error:
            detail["error"] = act.error
        self._event(_SCREEN_EVENTS[act.action], act.child, SCREEN, detail)

    def _cue_status(self, now: dt.datetime, day: dt.date) -> None:
        """Tell the event stream when what a tray shows of a child changed, so trays wait for
        events instead of polling the status (issue 15); on the stream only, not in the ledger.
        """
        for status in self.statuses:
            shown = (
                status.running,
                status.paused,
                tuple(
                    (
                        lim.id,
                        lim.state,
                        lim.until,
                        None if lim.left_seconds is None else (lim.left_seconds // 60),
                        None if lim.left_seconds is None else -(-lim.left_seconds // 60),
                    )
                    for lim in status.limits
                ),
            )
            if self._shown.get(status.name) != shown:
                first = status.name not in self._shown
                self._shown[status.name] = shown
                if not first:
                    cue = Event(EventKind.STATUS, now, day, status.name, None, {}, "agent")
                    self.bus.publish({**cue.as_json(), "id": None})

    def _watch_failed(self, now: dt.datetime, elapsed: float, exc: Exception) -> None:
        """Keep the time a failed probe could not count, for the next good tick."""
        if self._unwatched is None:  # one log line and one event per episode
            log.error("cannot list processes: %s", exc)
            self._event(EventKind.WATCH_FAILED, detail={"error": str(exc)})
            self._unwatched = (now, 0.0)
        since, seconds = self._unwatched
        self._unwatched = (since, seconds + elapsed)

    def _watch_resumed(self, now: dt.datetime, elapsed: float) -> float:
        """The seconds to count now: with those of a short failed episode; a long one is a gap."""
        if self._unwatched is None:
            return elapsed
        since, seconds = self._unwatched
        self._unwatched = None
        log.info("processes are listed again after %d s", round(seconds))
        if seconds <= GAP_SECONDS:
            return elapsed + seconds
        self._event(
            EventKind.GAP,
            detail={
                "from": since.isoformat(timespec="seconds"),
                "to": now.isoformat(timespec="seconds"),
                "seconds": round(seconds),
                "reason": "not_watched",
            },
        )
        return elapsed

    def reload(self) -> bool:
        """Use the rules file again if it changed (a broken one is logged and kept out)."""
        with self.lock:
            outcome = self.source.poll()
            if outcome.changed and self.source.config is not None:
                self._use(self.source.config)
                name = self.source.name
                self._event(
                    EventKind.CONFIG_LOADED, detail={"file": name, "external": outcome.external}
                )
                if outcome.external:  # changed by someone other than the agent
                    self._event(EventKind.TAMPER, detail={"what": "config", "file": name})
                self._record_limits(self.state.day)
                return True
            if outcome.error:
                log.error("%s", "\n".join(str(i) for i in outcome.error))
                self._event(
                    EventKind.CONFIG_REJECTED, detail={"errors": [str(i) for i in outcome.error]}
                )
            return False

    def _record_limits(self, day: dt.date) -> None:
        """Remember the day's budgets, so that reports judge the day by its own limits."""
        self.ledger.record_limits(day, day_budgets(self.config, day))

    def _enforce(self, closes: tuple[Close, ...], processes: list[ProcessInfo]) -> None:
        assert self.closer is not None
        if not closes and not self._closing:
            # Nothing to close nor closing: only the grace's clock moves on (a tick's cost).
            self._log_kills(self.closer.step(self.steady()))
            return
        born = {p.pid: p.create_time for p in processes}
        for close in closes:
            # Keyed with the create time: a relaunch that got a freed pid again is a new process.
            new = [
                pid
                for pid in close.pids
                if (close.child, close.app, pid, born.get(pid, 0.0)) not in self._closing
            ]
            actions: list[CloseAction] = []
            for pid in close.pids:
                self._closing.add((close.child, close.app, pid, born.get(pid, 0.0)))
                # Every tick, keyed by (child, app): an app that runs on through its grace
                # (whatever its pids) ignored the close and gets no new grace.
                actions += self.closer.close(pid, born.get(pid, 0.0), (close.child, close.app))
            if new:
                until = close.until.isoformat(timespec="minutes") if close.until else None
                self._event(
                    EventKind.CLOSE,
                    close.child,
                    close.app,
                    {
                        "limit": close.limit,
                        "reason": close.reason,
                        "pids": new,
                        "until": until,
                        "app_title": app.title if (app := self.config.app(close.app)) else None,
                    },
                )
            self._log_kills(actions)
        self._log_kills(self.closer.step(self.steady()))
        alive = {(p.pid, p.create_time) for p in processes}
        self._closing = {k for k in self._closing if (k[2], k[3]) in alive}

    def _log_kills(self, actions: Iterable[CloseAction]) -> None:
        """A "kill" event for each forced kill (its child and app from the closer's key)."""
        for action in actions:
            if action.kind != "kill":
                continue
            key = action.key
            child, app = key if isinstance(key, tuple) and len(key) == 2 else (None, None)
            detail: dict[str, Any] = {"pid": action.pid, "pids": list(action.pids)}
            if action.detail:
                detail["detail"] = action.detail
            self._event(EventKind.KILL, child, app, detail)

    # -- views and parent actions ------------------------------------------------------

    def status(self) -> dict[str, Any]:
        """The status document from the agent's live state.

        Read without the lock: a tick replaces each part whole (the statuses, the day's
        state, the config), so a request never waits for a tick in progress (issue 15).
        """
        config, state, statuses = self.config, self.state, self.statuses
        extra = {k: v for hook in self.status_hooks for k, v in hook().items()}
        extra["screen_enforced"] = self._screen_enforced()
        return status_document(
            state.day,
            statuses,
            running=True,
            config=config,
            config_error=self.source.error,
            extra=extra,
        )

    def _screen_enforced(self) -> bool:
        """Whether a blocked `screen` can lock or log out here (sessions are reachable)."""
        return self.screen_enforcer is not None and self._sessions_error is None

    def blocks_any(self) -> bool:
        """Whether some limit of some child is blocked now (so a start would be closed)."""
        return any(lim.state == "blocked" for s in self.statuses for lim in s.limits)

    def child_name(self, name: str) -> str | None:
        """The rules' name of a child, matched case-insensitively and in any Unicode form."""
        wanted = unicodedata.normalize("NFC", name).casefold()
        return next(
            (
                c.name
                for c in self.config.children
                if unicodedata.normalize("NFC", c.name).casefold() == wanted
            ),
            None,
        )

    def _child(self, name: str) -> str:
        found = self.child_name(name)
        if found is None:
            raise AgentError(_("unknown child {name!r}").format(name=name))
        return found

    def _refresh(self, now: dt.datetime | None = None) -> None:
        now = self.clock.now() if now is None else now
        none: tuple[int, ...] = ()
        running = {s.name: dict.fromkeys(s.running, none) for s in self.statuses}
        # Whether each child is at the computer now: as the last tick saw it.
        screen = {
            s.name: any(r.kind == "screen" and r.active for r in s.limits) for s in self.statuses
        }
        self.statuses = decisions.decide(self.config, self.state, running, now, screen=screen)

    def grant(self, child: str, target: str, minutes: int, actor: str) -> dict[str, Any]:
        """Bonus minutes for today on a limit key, or "*" for every limit.

        Returns the grant event's detail: the minutes, and what is really usable of them.
        """
        with self.lock:
            name = self._child(child)
            if not -1440 <= minutes <= 1440 or minutes == 0:
                raise AgentError(_("minutes must be between -1440 and 1440, and not 0"))
            keys = {lim.key for lim in child_limits(self.config, self.config.child(name))}  # type: ignore[arg-type]
            if target not in keys and target != ALL:
                raise AgentError(_("{child} has no limit {key!r}").format(child=name, key=target))
            self.ledger.add_grant(self.state.day, name, target, minutes * 60)
            detail = self._add_bonus(name, target, minutes)
            self._event(EventKind.GRANT, name, target, detail, actor)
            return detail

    def _add_bonus(self, name: str, target: str, minutes: int) -> dict[str, Any]:
        """Add bonus time, refresh, and say what the child really gets of it.

        {"minutes": N}, plus `usable_seconds` and `limited_by` (a limit key) when another
        limit, or the limit's own hours, keeps part of it from being usable today.
        """
        now = self.clock.now()
        self._refresh(now)
        before = self._rows(name)
        key = (name, target)
        self.state.bonus[key] = self.state.bonus.get(key, 0.0) + minutes * 60
        self._refresh(now)
        detail: dict[str, Any] = {"minutes": minutes}
        if minutes > 0:
            usable, by = usable_grant(before, self._rows(name), target, minutes * 60)
            if by is not None:
                detail.update(usable_seconds=usable, limited_by=by)
        return detail

    def _rows(self, name: str) -> tuple[LimitStatus, ...]:
        return next((s.limits for s in self.statuses if s.name == name), ())

    def pause(self, child: str, paused: bool, actor: str) -> None:
        """Pause (or resume) a child's limits for the rest of today."""
        with self.lock:
            name = self._child(child)
            self.ledger.set_paused(self.state.day, name, paused)
            if paused:
                self.state.paused.add(name)
            else:
                self.state.paused.discard(name)
            self._event(EventKind.PAUSE if paused else EventKind.RESUME, name, None, {}, actor)
            self._refresh()

    def ask(self, child: str, minutes: int, message: str) -> dict[str, Any]:
        """A child asks for more time."""
        with self.lock:
            name = self._child(child)
            req = self.ledger.add_request(self.clock.now(), name, minutes, message)
            self._event(
                EventKind.REQUEST,
                name,
                None,
                {"id": req.id, "minutes": minutes, "message": message},
                "child",
            )
            return req.as_json()

    def answer(
        self, request_id: int, approve: bool, minutes: int | None, actor: str
    ) -> dict[str, Any]:
        """Approve (granting time to every limit) or deny a child's request."""
        with self.lock:
            if approve and minutes is None:
                # Approved as asked: record the minutes granted, not "none", in the ledger.
                asked = [r for r in self.ledger.requests("pending") if r.id == request_id]
                minutes = asked[0].minutes if asked else None
            try:
                req = self.ledger.answer_request(request_id, approve, minutes)
            except KeyError:
                raise AgentError(
                    _("no pending request {id}").format(id=request_id)
                ) from None
            usable: dict[str, Any] = {}
            if approve:
                granted = minutes or req.minutes
                self.ledger.add_grant(self.state.day, req.child, ALL, granted * 60)
                usable = self._add_bonus(req.child, ALL, granted)
                usable.pop("minutes")
            self._event(
                EventKind.REQUEST_ANSWERED,
                req.child,
                None,
                {"id": request_id, "approved": approve, "minutes": req.answered_minutes, **usable},
                actor,
            )
            self._refresh()
            answer = req.as_json()
            if usable:  # what of the approved time the child can really use (see `grant`)
                answer["granted"] = {"minutes": req.answered_minutes, **usable}
            return answer

    def report_idle(self, user: str, idle_seconds: float) -> None:
        """A tray's idle report for its OS account (the API checked who sent it)."""
        self.idle_reports.report(user, idle_seconds, self.steady())

    def api_state(self, listen: str, error: str | None) -> None:
        """Record whether the local API listens (one event when it cannot, until it can)."""
        with self.lock:
            if error and self._api_error is None:
                log.error("%s; the limits are still enforced; trying again", error)
                self._event(EventKind.API_UNAVAILABLE, detail={"listen": listen, "error": error})
            elif error is None and self._api_error is not None:
                log.warning("the local API listens on %s now", listen)
            if error != self._api_error or self.ledger.get_meta(API_KEY) is None:
                since = self.clock.now().isoformat(timespec="seconds")
                state = {"listen": listen, "error": error, "since": since}
                self.ledger.set_meta(API_KEY, json.dumps(state))
                self.ledger.flush()
            self._api_error = error

    def log(self, kind: str, detail: dict[str, Any], actor: str = "agent") -> None:
        """Record an event from elsewhere (PIN tries, API changes); never a PIN or token.
        The PIN's events are capped at the newest PIN_EVENTS_KEPT."""
        with self.lock:
            self._event(kind, None, None, detail, actor)
            if kind.startswith(PIN_EVENT_PREFIX):
                self.ledger.trim_events(PIN_EVENT_PREFIX, PIN_EVENTS_KEPT)

    def set_limit(self, child: str, key: str, spec: LimitSpec | None, actor: str) -> None:
        """Change (or with None remove) one of a child's limits, in the rules file."""
        with self.lock:
            name = self._child(child)
            if (
                key not in (TOTAL, SCREEN)
                and self.config.app(key) is None
                and self.config.category(key) is None
            ):
                raise AgentError(_("unknown app or category {key!r}").format(key=key))
            config = self.config
            kid = config.child(name)
            assert kid is not None
            limits = [lim for lim in kid.limits if lim.key != key]
            if spec is not None:
                limits.append(replace(spec, key=key))
            new_kid = replace(kid, limits=tuple(limits))
            new = replace(
                config, children=tuple(new_kid if c is kid else c for c in config.children)
            )
            self.save_rules(
                new,
                actor,
                {
                    "child": name,
                    "key": key,
                    "limit": None
                    if spec is None
                    else {"daily": spec.daily, "weekend": spec.weekend},
                },
            )

    def save_rules(self, config: Config, actor: str, detail: dict[str, Any]) -> None:
        """Write new rules (validated first) and use them at once."""
        with self.lock:
            text = dump_config(config, header="PlayClock rules, saved by the agent for a parent.")
            try:
                path = self.source.save(text)
            except ConfigError as exc:
                raise AgentError("; ".join(str(i) for i in exc.issues)) from None
            except OSError as exc:  # a read-only folder, a full disk: say so, never a 500
                log.error("rules not saved: %s", exc)
                raise AgentError(
                    _("The rules could not be saved ({error}). Nothing was changed.").format(
                        error=exc.strerror or exc
                    ),
                    503,
                ) from None
            assert self.source.config is not None
            self._use(self.source.config)
            self._record_limits(self.state.day)
            self._event(EventKind.RULES_CHANGED, detail={**detail, "file": str(path)}, actor=actor)
            self._refresh()
