"""Prompt closes: the kernel tells when a watched account starts a program (Linux, root).

One thread reads the proc connector for the agent: it keeps what the probe needs (starts,
execs, uid changes and ends of processes) until the probe's next tick takes them, and wakes
whoever waits in `wait` when a process of a watched account execs or takes on a watched uid.
The agent then ticks at once instead of at the next poll, so a game started while it is
blocked is closed within a fraction of a second (issue 15). One subscription serves both: the
kernel's events cost their reader a little each, and a busy machine sends many.
"""

from __future__ import annotations

import logging
import os
import threading
import time
from collections.abc import Callable, Iterable

from agent.platform.base import PlatformError
from agent.platform.proc_events import EventKind, ProcEvent, ProcEvents, Unavailable

try:
    import pwd
except ImportError:  # Windows: no uids, no proc connector
    pwd = None  # type: ignore[assignment]

__all__ = ["ExecWatch", "Unavailable", "uids_of"]

log = logging.getLogger("playclock.exec_watch")

# Events are taken in batches at most this often: a machine that forks thousands of times a
# second costs the watch little, and a start is still seen well within 0.3 s.
BATCH_SECONDS = 0.1
# Events kept for the probe at most; more (a probe that stopped taking them) count as lost.
BACKLOG = 200_000
_STARTS = (EventKind.EXEC, EventKind.UID)
_FOR_PROBE = (EventKind.EXEC, EventKind.UID, EventKind.FORK, EventKind.EXIT)


def _subscribe() -> ProcEvents:
    return ProcEvents(kinds=EventKind.FORK | EventKind.EXEC | EventKind.UID)


def uids_of(accounts: Iterable[str]) -> frozenset[int]:
    """The uids of the accounts that exist here."""
    out: set[int] = set()
    for name in accounts:
        try:
            out.add(pwd.getpwnam(name).pw_uid)
        except (KeyError, AttributeError):
            continue
    return frozenset(out)


class _Feed:
    """The probe's side of the watch: the events since its last tick (see EventFeed)."""

    def __init__(self, watch: ExecWatch) -> None:
        self._watch = watch

    @property
    def overflowed(self) -> bool:
        return self._watch.lost

    @overflowed.setter
    def overflowed(self, value: bool) -> None:
        self._watch.lost = value

    def read(self) -> list[ProcEvent]:
        return self._watch.take()

    def close(self) -> None:
        """The watch outlives a probe (a new one comes with new accounts)."""


class ExecWatch:
    """Pids of watched accounts that started a program since the last `wait`."""

    def __init__(
        self,
        uids: Callable[[], frozenset[int]],
        events: Callable[[], ProcEvents] | None = None,
        wanted: Callable[[], bool] = lambda: True,
    ) -> None:
        self._uids = uids
        # Whether a start matters now (something is blocked): when not, the starts' owners
        # are not looked up, one stat per exec of every account on a busy machine (issue 15).
        self._wanted = wanted
        # Only the kinds used (where the kernel can filter): thread exits, the bulk of a busy
        # machine's events, are not even sent. Raises Unavailable: the caller polls only.
        self._events = (events or _subscribe)()
        self._cond = threading.Condition()
        self._pids: set[int] = set()
        self._backlog: list[ProcEvent] = []
        self.lost = False  # events were dropped (by the kernel, or a full backlog)
        self._stopped = False
        self._thread = threading.Thread(target=self._run, name="playclock-exec-watch", daemon=True)
        self._thread.start()

    def feed(self) -> _Feed:
        """The events for a probe (PsutilSource(events=...))."""
        return _Feed(self)

    def take(self) -> list[ProcEvent]:
        """The probe's events since the last call."""
        with self._cond:
            out, self._backlog = self._backlog, []
            return out

    def _run(self) -> None:
        events = self._events
        while not self._stopped:
            if not events.wait(1.0):
                continue
            try:
                batch = events.read()
            except PlatformError as exc:
                log.warning("process events failed (%s); closes wait for the next poll", exc)
                with self._cond:
                    self.lost = True
                return
            uids = self._uids() if self._wanted() else frozenset()
            found: set[int] = set()
            kept: list[ProcEvent] = []
            for event in batch:
                if event.kind not in _FOR_PROBE or (event.is_thread and event.kind not in _STARTS):
                    continue
                kept.append(event)
                if event.kind in _STARTS and uids:
                    try:
                        owner = os.stat(f"/proc/{event.tgid}").st_uid
                    except OSError:
                        continue  # gone already
                    if owner in uids:
                        found.add(event.tgid)
            with self._cond:
                if events.overflowed:
                    events.overflowed = False
                    self.lost = True
                if len(self._backlog) + len(kept) > BACKLOG:
                    self._backlog, self.lost = [], True
                self._backlog += kept
                if found:
                    self._pids |= found
                    self._cond.notify_all()
            time.sleep(BATCH_SECONDS)

    def wait(self, timeout: float) -> set[int]:
        """The pids seen since the last call, waiting up to `timeout` seconds for one."""
        with self._cond:
            self._cond.wait_for(lambda: bool(self._pids) or self._stopped, timeout)
            found, self._pids = self._pids, set()
            return found

    def close(self) -> None:
        """Stop listening."""
        with self._cond:
            self._stopped = True
            self._cond.notify_all()
        self._thread.join(timeout=5)
        self._events.close()
