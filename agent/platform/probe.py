"""The process source: the running processes of the watched accounts, read incrementally."""

from __future__ import annotations

import math
import os
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Protocol, TypeVar

import psutil

from agent.platform.base import CREATE_TIME_TOLERANCE
from agent.platform.proc_events import EventKind, ProcEvent
from rules.model import ProcessInfo

try:
    import pwd
except ImportError:  # Windows: accounts are matched by name there
    pwd = None  # type: ignore[assignment]

__all__ = ["EventFeed", "ProbeStats", "ProcessSource", "PsutilSource"]

T = TypeVar("T")
# With the kernel's process events, /proc is listed in full only every this many ticks (and
# whenever events were lost), in case one went missing.
LISTING_TICKS = 30


class EventFeed(Protocol):
    """Where the probe takes the kernel's process events from (Linux, root)."""

    overflowed: bool  # some were lost: the probe lists /proc again

    def read(self) -> list[ProcEvent]:
        """The events since the last read."""
        ...


class ProcessSource(Protocol):
    """Anything that can list the running processes of interest."""

    def snapshot(self) -> list[ProcessInfo]:
        """The processes running now (a fresh list the caller may keep or change)."""
        ...

    def watch(self, pids: Iterable[int]) -> None:
        """Re-check these pids on every snapshot (the apps being counted)."""
        ...




@dataclass
class ProbeStats:
    """What the last tick of a PsutilSource did, for tests and benchmarks."""

    ticks: int = 0
    pids: int = 0  # pids listed by the OS
    new: int = 0  # pids seen for the first time (owner read)
    full_reads: int = 0  # name/exe/cmdline reads of our processes
    young: int = 0  # re-reads of processes younger than young_seconds
    revalidated: int = 0  # cached entries re-checked for exec and pid reuse
    dropped: int = 0  # vanished pids forgotten
    events: int = 0  # process events from the kernel
    execs: int = 0  # re-reads because a process ran another program (from the events)
    deferred: int = 0  # new processes left for the next tick (read budget spent)
    total_full_reads: int = 0  # over all ticks


@dataclass(slots=True)
class _Entry:
    """What we know about one pid; info is None when it is not reported (other user, zombie)."""

    create_time: float
    ours: bool
    name: str = ""
    info: ProcessInfo | None = None
    read_ns: int = 0  # when it was read (time.monotonic_ns(), the kernel events' clock)
    uid: int = -1  # Linux: the owner of /proc/PID when that alone said "not ours"


def _optional(read: Callable[[], T], default: T) -> T:
    """A psutil read that some processes refuse (exe of root's processes): default then."""
    try:
        return read()
    except psutil.AccessDenied:
        return default


@dataclass
class _Rotation:
    """A cursor that walks the cached pids a slice per tick."""

    pending: list[int] = field(default_factory=list)

    def take(self, cache: dict[int, _Entry], every: int) -> list[int]:
        """The next ceil(len(cache) / every) pids, restarting the walk when it is done."""
        if not cache:
            return []
        count = math.ceil(len(cache) / every)
        if not self.pending:
            self.pending = list(cache)
        taken, self.pending = self.pending[:count], self.pending[count:]
        return taken


class PsutilSource:
    """Processes of some OS accounts via psutil, reading each new process once.

    Each tick lists pids (cheap), reads new pids (owner first: other accounts' processes
    are never read further), re-reads processes younger than `young_seconds` (a fork
    still shows its parent's name until it execs), and re-checks a 1/`revalidate_every`
    slice of the cache for exec and pid reuse.
    """

    def __init__(
        self,
        users: frozenset[str] | None = None,
        *,
        young_seconds: float = 5.0,
        revalidate_every: int = 30,
        clock: Callable[[], float] = time.time,
        events: EventFeed | None = None,
        read_budget: float | None = None,
    ) -> None:
        if revalidate_every < 1:
            raise ValueError("revalidate_every must be at least 1")
        if users is None:
            users = frozenset({psutil.Process().username()})
        self._users = frozenset(u.casefold() for u in users)
        self._young_seconds = young_seconds
        self._revalidate_every = revalidate_every
        # Wall clock, because psutil's create times are wall-clock timestamps.
        self._clock = clock
        self._cache: dict[int, _Entry] = {}
        self._watched: frozenset[int] = frozenset()
        self._rotation = _Rotation()
        # The kernel's process events (fork, exec, uid change): with them a young process
        # needs no re-read, nothing needs the rotation and /proc is rarely listed.
        self._events = events
        self._since_listing = LISTING_TICKS  # list /proc on the first tick
        # CPU seconds of full reads per tick at most: when thousands of the child's
        # processes start at once no tick takes long; the rest are read on the next ticks.
        self._read_budget = read_budget
        self._pending: set[int] = set()  # new pids left for the next tick
        self._execs: set[int] = set()  # pids that exec'd since the last tick
        # Linux: the watched accounts' uids, to judge a new process by one stat of /proc/PID.
        self._uids: frozenset[int] | None = None
        if pwd is not None and os.path.isdir("/proc/self"):
            try:
                self._uids = frozenset(pwd.getpwnam(u).pw_uid for u in self._users)
            except KeyError:
                self._uids = None  # an account unknown here: by name, through psutil
        self.stats = ProbeStats()

    @property
    def users(self) -> frozenset[str]:
        """The watched account names, case-folded."""
        return self._users

    def _is_ours(self, username: str) -> bool:
        """Whether an OS account name (maybe DOMAIN\\user) is one we watch."""
        folded = username.casefold()
        return folded in self._users or folded.rpartition("\\")[2] in self._users

    def _read(self, pid: int) -> _Entry | None:
        """Read one pid from scratch; None when it vanished meanwhile."""
        started = time.monotonic_ns()  # events after this are news to this read
        entry = self._read_now(pid)
        if entry is not None:
            entry.read_ns = started
        return entry

    def _read_now(self, pid: int) -> _Entry | None:
        if self._uids is not None:
            # The owner of /proc/PID first, one stat: another account's process is never
            # read further. Root's (and non-dumpable processes, which /proc shows as root's)
            # are judged by their real account below, as a setuid program's is.
            try:
                uid = os.stat(f"/proc/{pid}").st_uid
            except OSError:
                return None
            if uid != 0 and uid not in self._uids:
                return _Entry(0.0, ours=False, uid=uid)
        create_time = 0.0
        try:
            proc = psutil.Process(pid)
            with proc.oneshot():
                create_time = proc.create_time()
                username = _optional(proc.username, "")
                if not self._is_ours(username):
                    return _Entry(create_time, ours=False)
                self.stats.full_reads += 1
                name = proc.name()
                entry = _Entry(create_time, ours=True, name=name)
                if proc.status() == psutil.STATUS_ZOMBIE:
                    return entry
                exe = _optional(proc.exe, "")
                no_args: list[str] = []
                cmdline = tuple(_optional(proc.cmdline, no_args))
        except psutil.ZombieProcess:
            return _Entry(create_time, ours=False)
        except psutil.NoSuchProcess:
            return None
        except psutil.AccessDenied:
            # Not even the create time (protected Windows processes): not ours to judge.
            return _Entry(0.0, ours=False)
        entry.info = ProcessInfo(
            pid=pid,
            name=name,
            exe=exe,
            cmdline=cmdline,
            user=username.rpartition("\\")[2],
            create_time=create_time,
        )
        return entry

    def _store(self, pid: int, entry: _Entry | None) -> None:
        """Cache a fresh read, or forget a pid that vanished."""
        if entry is None:
            if self._cache.pop(pid, None) is not None:
                self.stats.dropped += 1
        else:
            self._cache[pid] = entry

    def _revalidate(self, pid: int) -> None:
        """Re-read a cached pid that became another process (pid reuse) or program (exec)."""
        cached = self._cache.get(pid)
        if cached is None:
            return
        self.stats.revalidated += 1
        if cached.uid >= 0:  # another account's, known by /proc/PID's owner alone
            try:
                uid = os.stat(f"/proc/{pid}").st_uid
            except OSError:
                self._cache.pop(pid, None)
                return
            if uid != cached.uid:  # setuid to a watched account, or the pid reused
                self._store(pid, self._read(pid))
            return
        try:
            proc = psutil.Process(pid)
            with proc.oneshot():
                changed = abs(proc.create_time() - cached.create_time) > CREATE_TIME_TOLERANCE
                if not changed and cached.ours:
                    changed = (
                        cached.info is None
                        or proc.name() != cached.name
                        or proc.status() == psutil.STATUS_ZOMBIE
                    )
                elif not changed:
                    # A process that switched to a watched account after we looked (setuid).
                    changed = self._is_ours(_optional(proc.username, ""))
        except psutil.NoSuchProcess:
            self._cache.pop(pid, None)
            return
        except psutil.AccessDenied:
            return
        if changed:
            self._store(pid, self._read(pid))

    def _changed_by_events(self) -> dict[int, int] | None:
        """Pids that started, exec'd or changed uid since the last tick, with when they last
        did; None without events, or when some were lost (then /proc is listed)."""
        events = self._events
        if events is None:
            return None
        read = events.read()
        self.stats.events = len(read)
        if events.overflowed:
            events.overflowed = False
            return None
        changed: dict[int, int] = {}
        self._execs = set()
        for e in read:
            if e.kind in (EventKind.EXEC, EventKind.UID):
                self._execs.add(e.tgid)
            elif e.kind not in (EventKind.FORK, EventKind.EXIT) or e.is_thread:
                continue
            changed[e.tgid] = max(changed.get(e.tgid, 0), e.timestamp_ns)
        return changed

    def watch(self, pids: Iterable[int]) -> None:
        """Re-check these pids (exit, exec, pid reuse) on every snapshot, not once in a while."""
        self._watched = frozenset(pids)

    def snapshot(self) -> list[ProcessInfo]:
        """The running, non-zombie processes of the watched accounts."""
        stats = self.stats
        total = stats.total_full_reads
        stats.ticks += 1
        stats.new = stats.full_reads = stats.young = stats.revalidated = stats.dropped = 0
        stats.events = stats.execs = stats.deferred = 0
        cache = self._cache
        changed = self._changed_by_events()
        if changed is not None and self._since_listing < LISTING_TICKS:
            # The kernel said which processes started or ran another program: look at
            # those (and the ones a burst left for this tick) only, not at all of /proc.
            self._since_listing += 1
            # What exec'd first (a program started), then what only forked: when a burst
            # leaves some for the next tick, a game just started is not among them.
            execs = self._execs
            pids = sorted(changed.keys() | self._pending, key=lambda pid: pid not in execs)
        else:
            self._since_listing = 0
            pids = psutil.pids()
            gone = cache.keys() - set(pids)
            for pid in gone:
                del cache[pid]
            stats.dropped = len(gone)
        self._pending = set()
        stats.pids = len(pids)
        now = self._clock()
        # With events an exec is never missed, so a young process is not read again.
        young_since = now - self._young_seconds if changed is None else math.inf
        budget = self._read_budget
        deadline = math.inf if budget is None else time.thread_time() + budget
        for pid in pids:
            entry = cache.get(pid)
            if entry is None:
                if stats.full_reads and time.thread_time() > deadline:
                    stats.deferred += 1  # read next tick
                    self._pending.add(pid)
                    continue
                stats.new += 1
                self._store(pid, self._read(pid))
            elif changed is not None and changed.get(pid, 0) > entry.read_ns:
                # Started (a reused pid), exec'd or changed uid after it was read.
                stats.execs += 1
                self._store(pid, self._read(pid))
            elif entry.create_time > young_since and time.thread_time() <= deadline:
                stats.young += 1
                self._store(pid, self._read(pid))
        # The counted apps' few pids every tick (an exit its parent never reaps must stop
        # counting at once), and, without events, a rotating slice of everything else.
        for pid in self._watched & cache.keys():
            self._revalidate(pid)
        if changed is None:
            for pid in self._rotation.take(cache, self._revalidate_every):
                self._revalidate(pid)
        stats.total_full_reads = total + stats.full_reads
        return [e.info for e in cache.values() if e.info is not None]
