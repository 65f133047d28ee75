"""The process source: the running processes of the watched accounts, read incrementally."""

from __future__ import annotations

import math
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Protocol, TypeVar

import psutil

from agent.platform.base import CREATE_TIME_TOLERANCE
from rules.model import ProcessInfo

__all__ = ["ProbeStats", "ProcessSource", "PsutilSource"]

T = TypeVar("T")


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
    total_full_reads: int = 0  # over all ticks


@dataclass(slots=True)
class _Entry:
    """What we know about one pid; info is None when it is not reported (other user, zombie)."""

    create_time: float
    ours: bool
    name: str = ""
    info: ProcessInfo | None = None


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
            self._cache.pop(pid, None)
        else:
            self._cache[pid] = entry

    def _revalidate(self, pid: int) -> None:
        """Re-read a cached pid that became another process (pid reuse) or program (exec)."""
        cached = self._cache.get(pid)
        if cached is None:
            return
        self.stats.revalidated += 1
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

    def watch(self, pids: Iterable[int]) -> None:
        """Re-check these pids (exit, exec, pid reuse) on every snapshot, not once in a while."""
        self._watched = frozenset(pids)

    def snapshot(self) -> list[ProcessInfo]:
        """The running, non-zombie processes of the watched accounts."""
        stats = self.stats
        total = stats.total_full_reads
        stats.ticks += 1
        stats.new = stats.full_reads = stats.young = stats.revalidated = stats.dropped = 0
        pids = psutil.pids()
        stats.pids = len(pids)
        cache = self._cache
        gone = cache.keys() - set(pids)
        for pid in gone:
            del cache[pid]
        stats.dropped = len(gone)
        young_since = self._clock() - self._young_seconds
        for pid in pids:
            entry = cache.get(pid)
            if entry is None:
                stats.new += 1
                self._store(pid, self._read(pid))
            elif entry.create_time > young_since:
                stats.young += 1
                self._store(pid, self._read(pid))
        # The counted apps' few pids every tick (an exit its parent never reaps must stop
        # counting at once), and a rotating slice of everything else.
        for pid in self._watched & cache.keys():
            self._revalidate(pid)
        for pid in self._rotation.take(cache, self._revalidate_every):
            self._revalidate(pid)
        stats.total_full_reads = total + stats.full_reads
        return [e.info for e in cache.values() if e.info is not None]
