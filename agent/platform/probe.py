"""The process source: the running processes of the watched accounts, read incrementally."""

from __future__ import annotations

import contextlib
import logging
import math
import os
import time
from collections.abc import Callable, Collection, Iterable
from dataclasses import dataclass, field
from typing import Protocol, TypeVar

import psutil

from agent.platform import current
from agent.platform import linux_proc as lp
from agent.platform.base import CREATE_TIME_TOLERANCE, PlatformError
from agent.platform.proc_events import EventKind, ProcEvent, ProcEvents, Unavailable
from rules.model import ProcessInfo
from rules.programs import (
    argfile_names,
    expand_argfiles,
    holds_jars,
    is_interpreted,
    program_of,
)

try:
    import pwd
except ImportError:  # Windows: accounts are matched by name there
    pwd = None  # type: ignore[assignment]

__all__ = ["EventFeed", "ExeIdentity", "ProbeStats", "ProcessSource", "PsutilSource"]

log = logging.getLogger("playclock.probe")

T = TypeVar("T")

# A JVM opens its program (a jar) some time after it starts: it is read again on every
# tick for this long.
JVM_START_SECONDS = 60.0
# With the kernel's process events, /proc is listed in full only every this many ticks (and
# whenever events were lost), in case one went missing.
LISTING_TICKS = 30
# A tick's reads stop after this many times their CPU budget on the clock (issue 15: other
# programs' CPU use must not make a burst's ticks long).
WALL_PER_CPU = 1.5


@dataclass(frozen=True, slots=True)
class ExeIdentity:
    """The content identity of a process's executable: its SHA-256 and size."""

    digest: str
    size: int


class EventFeed(Protocol):
    """Where the probe takes the kernel's process events from (a ProcEvents, or a reader
    that shares one subscription with others)."""

    overflowed: bool

    def read(self) -> list[ProcEvent]:
        """The events since the last read."""
        ...

    def close(self) -> None:
        """The probe needs no more events."""
        ...


class ProcessSource(Protocol):
    """Anything that can list the running processes of interest."""

    def snapshot(self) -> list[ProcessInfo]:
        """The processes running now (a fresh list the caller may keep or change)."""
        ...

    def watch(self, pids: Iterable[int]) -> None:
        """Re-check these pids on every snapshot (the apps being counted)."""
        ...

    def identity(self, pid: int) -> ExeIdentity | None:
        """The content identity of a running process's executable; None when unknown."""
        ...

    def know_sizes(self, sizes: Collection[int]) -> None:
        """The sizes of executables with a known identity (a renamed copy has one of them)."""
        ...

    def close(self) -> None:
        """Release what the source holds (the kernel's process events)."""
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
    exe_checks: int = 0  # executables compared by (device, inode), without process events
    events: int = 0  # process events read from the kernel
    execs: int = 0  # re-reads because a process ran another program
    deferred: int = 0  # new processes left for the next tick (more than max_reads started)
    total_full_reads: int = 0  # over all ticks


@dataclass(slots=True)
class _Entry:
    """What we know about one pid; info is None when it is not reported (other user, dead)."""

    create_time: float
    ours: bool
    name: str = ""
    read_ns: int = 0  # when it was read (time.monotonic_ns(), the kernel events' clock)
    exe_id: lp.ExeId | None = None
    jvm: bool = False  # a JVM: the jar it runs is opened some time after it starts
    uid: int = -1  # Linux: the owner of /proc/PID when that alone said "not ours"
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


class _Owners:
    """Which watched account a Linux uid belongs to: its own, one of its /etc/subuid ranges,
    or a user namespace the account created."""

    def __init__(self, users: frozenset[str]) -> None:
        self._users = users
        self._names: dict[int, str] = {}
        self._missing = True
        self._loaded_at = -math.inf
        self._subordinate = lp.SubordinateIds("", {})
        self._system: dict[int, bool] = {}

    def refresh(self, now: float) -> None:
        """Look the accounts up again (one created after the start, a new subuid range)."""
        if now - self._loaded_at < 60.0:
            return
        self._loaded_at = now
        names: dict[int, str] = {}
        for user in self._users:
            with contextlib.suppress(KeyError):
                entry = pwd.getpwnam(user)
                names[entry.pw_uid] = entry.pw_name
        self._names = names
        self._subordinate = lp.SubordinateIds.load({n: u for u, n in names.items()})
        self._system.clear()

    def _named(self, uid: int) -> bool:
        """Whether uid has an account of its own (a subordinate uid has none)."""
        known = self._system.get(uid)
        if known is None:
            try:
                pwd.getpwuid(uid)
                known = True
            except KeyError:
                known = False
            self._system[uid] = known
        return known

    def of(self, pid: int, uid: int) -> str | None:
        """The watched account a process with this real uid counts for, or None."""
        name = self._names.get(uid)
        if name is not None:
            return name
        owner = self._subordinate.owner(uid)
        if owner is not None:
            return self._names.get(owner)
        if self._named(uid):
            return None
        try:
            owners = lp.userns_owners(pid)
        except PlatformError:
            return None
        return next((self._names[o] for o in owners if o in self._names), None)


class PsutilSource:
    """Processes of some OS accounts via psutil, reading each new process once.

    Each tick lists pids (cheap), reads new pids (owner first: other accounts' processes
    are never read further), re-reads processes younger than `young_seconds` (a fork
    still shows its parent's name until it execs; a JVM during its first
    `JVM_START_SECONDS`, as it opens its jar late), re-reads every process that ran
    another program (from the kernel's process events, or by comparing each watched
    process's executable (device, inode) when those are unavailable), and re-checks a
    1/`revalidate_every` slice of the cache for pid reuse.

    On Linux a process counts for an account also when it runs as one of the account's
    subordinate uids (a user namespace), and a zombie leader whose threads run on is a
    running process.
    """

    def __init__(
        self,
        users: frozenset[str] | None = None,
        *,
        young_seconds: float = 5.0,
        revalidate_every: int = 30,
        clock: Callable[[], float] = time.time,
        events: bool | EventFeed = True,
        read_budget: float | None = None,
    ) -> None:
        if revalidate_every < 1:
            raise ValueError("revalidate_every must be at least 1")
        # Seconds of this thread's CPU time for full reads (name, executable, command line)
        # per tick at most: when thousands of the child's processes start at once, no tick
        # takes long; the rest are read on the next ticks. None: every new process at once.
        # On a busy computer the reads take longer than their CPU time: they stop as well
        # after WALL_PER_CPU times the budget has passed on the clock.
        self._read_budget = read_budget
        self._pending: set[int] = set()  # new pids left for the next tick
        self._execs: set[int] = set()  # pids that exec'd since the last tick
        self._since_listing = LISTING_TICKS  # list /proc on the first tick
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
        self._linux = current().capabilities.os == "linux"
        self._owners = _Owners(self._users) if self._linux else None
        self._hasher = lp.ContentHasher()
        self._sizes: frozenset[int] = frozenset()
        self._events: EventFeed | None = None
        self.events_unavailable = "" if self._linux else "not Linux"
        if self._linux and events is not True and events is not False:
            self._events = events
        elif self._linux and events:
            try:
                self._events = ProcEvents()
            except Unavailable as exc:
                self.events_unavailable = str(exc)
                log.info("process events unavailable (%s); comparing executables each tick", exc)
        self.stats = ProbeStats()

    @property
    def users(self) -> frozenset[str]:
        """The watched account names, case-folded."""
        return self._users

    @property
    def uses_events(self) -> bool:
        """Whether execs are learnt from the kernel's process events."""
        return self._events is not None

    def close(self) -> None:
        """Stop listening to process events."""
        if self._events is not None:
            self._events.close()
            self._events = None

    def know_sizes(self, sizes: Collection[int]) -> None:
        """The sizes of the executables with a known identity: only a process whose
        executable has one of these sizes is hashed to find renamed copies."""
        self._sizes = frozenset(sizes)

    def identity(self, pid: int) -> ExeIdentity | None:
        """The content identity of a running process's executable (hashed once per file)."""
        if not self._linux:
            return None
        try:
            digest = self._hasher.digest_exe(pid)
            return ExeIdentity(digest, self._hasher.exe_size(pid))
        except PlatformError:
            return None

    def _is_ours(self, username: str) -> bool:
        """Whether an OS account name (maybe DOMAIN\\user) is one we watch."""
        folded = username.casefold()
        return folded in self._users or folded.rpartition("\\")[2] in self._users

    def _owner(self, proc: psutil.Process) -> str | None:
        """The watched account the process counts for (its own name), or None."""
        if self._owners is not None:
            return self._owners.of(proc.pid, proc.uids().real)
        username = _optional(proc.username, "")
        return username.rpartition("\\")[2] if self._is_ours(username) else None

    def _read(self, pid: int) -> _Entry | None:
        """Read one pid from scratch; None when it vanished meanwhile."""
        started = time.monotonic_ns()  # events after this are news to this read
        entry = self._read_now(pid)
        if entry is not None:
            entry.read_ns = started
        return entry

    def _read_now(self, pid: int) -> _Entry | None:
        """The fields of one pid as they are now."""
        if self._owners is not None:
            # The owner of /proc/PID first, one stat: another account's process is never
            # read further. Root's (and non-dumpable processes, which /proc shows as root's)
            # are judged by their real uid below, as a setuid program's is.
            try:
                uid = os.stat(f"/proc/{pid}").st_uid
            except OSError:
                return None
            if uid != 0 and self._owners.of(pid, uid) is None:
                return _Entry(0.0, ours=False, uid=uid)
        create_time = 0.0
        base = f"/proc/{pid}"
        try:
            proc = psutil.Process(pid)
            with proc.oneshot():
                create_time = proc.create_time()
                user = self._owner(proc)
                if user is None:
                    return _Entry(create_time, ours=False)
                self.stats.full_reads += 1
                name = proc.name()
                entry = _Entry(create_time, ours=True, name=name)
                if proc.status() == psutil.STATUS_ZOMBIE:
                    if not self._linux:
                        return entry
                    try:  # a zombie leader whose threads run on: read it through one of them
                        base = lp.live_task(pid)
                        exe = os.readlink(f"{base}/exe").removesuffix(" (deleted)")
                        cmdline = lp.read_cmdline(pid)
                    except (OSError, PlatformError):
                        return entry
                else:
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
        if self._linux:
            return self._read_linux(pid, base, entry, exe, cmdline, user)
        entry.info = ProcessInfo(pid, name, exe, cmdline, user, create_time)
        return entry

    def _read_linux(
        self, pid: int, base: str, entry: _Entry, exe: str, cmdline: tuple[str, ...], user: str
    ) -> _Entry:
        """The Linux extras of our process: what a loader or interpreter runs (with Java's
        argument files and jars), the executable's (device, inode) to see an exec, and its
        content identity when its size is one of a known app's."""
        try:
            st: os.stat_result | None = os.stat(f"{base}/exe")
        except OSError:
            st = None
        files: list[str] = []
        if is_interpreted(exe, cmdline):
            entry.jvm = holds_jars(exe, cmdline)
            if entry.jvm and argfile_names(cmdline):
                cmdline = expand_argfiles(cmdline, lambda path: lp.read_text_as(pid, path))
            files = self._program_files(pid, base, exe, cmdline, jars=entry.jvm)
        digest = ""
        if st is not None:
            entry.exe_id = (st.st_dev, st.st_ino)
            if st.st_size in self._sizes and st.st_uid != 0 and not files:
                with contextlib.suppress(PlatformError):
                    digest = self._hasher.digest_exe(pid)
        entry.info = ProcessInfo(
            pid, entry.name, exe, cmdline, user, entry.create_time, tuple(files), digest
        )
        return entry

    @staticmethod
    def _program_files(
        pid: int, base: str, exe: str, cmdline: tuple[str, ...], *, jars: bool
    ) -> list[str]:
        """Absolute paths of what a loader or interpreter runs, and the jars a JVM holds."""
        out: list[str] = []
        try:
            cwd = os.readlink(f"{base}/cwd")
        except OSError:
            cwd = ""
        for program in program_of(exe, cmdline):
            if "/" in program or "." in program.rsplit("/", 1)[-1]:
                out.append(os.path.normpath(os.path.join(cwd, program)) if cwd else program)
        if jars:
            with contextlib.suppress(PlatformError):
                out.extend(lp.open_files(pid))
        return list(dict.fromkeys(out))

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
                        or (proc.status() == psutil.STATUS_ZOMBIE and not self._runs_on(pid))
                    )
                elif not changed:
                    # A process that switched to a watched account after we looked (setuid).
                    changed = self._owner(proc) is not None
        except psutil.NoSuchProcess:
            self._cache.pop(pid, None)
            return
        except psutil.AccessDenied:
            return
        if changed:
            self._store(pid, self._read(pid))

    def _runs_on(self, pid: int) -> bool:
        """Whether a zombie leader's other threads still run (Linux)."""
        if not self._linux:
            return False
        try:
            lp.live_task(pid)
        except PlatformError:
            return False
        return True

    def _execed(self, pid: int, entry: _Entry) -> bool:
        """Whether our process now runs another executable than when it was read."""
        if entry.exe_id is None:
            return False
        self.stats.exe_checks += 1
        try:
            st = os.stat(f"/proc/{pid}/exe")
            now = (st.st_dev, st.st_ino)
        except PermissionError:
            return False
        except OSError:
            try:
                now = lp.exe_id(pid)  # a zombie leader: through a live thread
            except PlatformError:
                return True  # it stopped running: read again (and report nothing)
        return now != entry.exe_id

    def _changed_by_events(self) -> dict[int, int] | None:
        """Pids that exec'd or changed uid since the last tick, with when they last did;
        None when every process must be compared instead (no events, or some were lost)."""
        events = self._events
        if events is None:
            return None
        try:
            read = events.read()
        except PlatformError as exc:
            log.warning("process events failed (%s); comparing executables each tick", exc)
            self.close()
            return None
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
            # A fork and an exit too: the probe need not list /proc to find them.
            changed[e.tgid] = max(changed.get(e.tgid, 0), e.timestamp_ns)
        return changed

    def watch(self, pids: Iterable[int]) -> None:
        """Re-check these pids (exit, exec, pid reuse) on every snapshot, not once in a while."""
        self._watched = frozenset(pids)

    def snapshot(self) -> list[ProcessInfo]:
        """The running processes of the watched accounts (a zombie is not running)."""
        stats = self.stats
        total = stats.total_full_reads
        stats.ticks += 1
        stats.new = stats.full_reads = stats.young = stats.revalidated = stats.dropped = 0
        stats.exe_checks = stats.events = stats.execs = 0
        now = self._clock()
        if self._owners is not None:
            self._owners.refresh(time.monotonic())
        changed = self._changed_by_events()
        cache = self._cache
        if changed is not None and self._since_listing < LISTING_TICKS:
            # The kernel said which processes started, ran another program or ended: look
            # at those (and the ones a burst left for this tick) only, not at all of /proc.
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
            stats.dropped += len(gone)
        self._pending = set()
        stats.pids = len(pids)
        # With the kernel's events an exec is never missed: a young process needs no re-read
        # (it is re-read when it execs) and nothing needs the rotation (an exit is told, so
        # a reused pid is read as new). Without them, both, as before.
        young_since = now - self._young_seconds if changed is None else math.inf
        starting_since = now - JVM_START_SECONDS
        budget = self._read_budget
        deadline = math.inf if budget is None else time.thread_time() + budget
        wall_deadline = math.inf if budget is None else time.monotonic() + budget * WALL_PER_CPU

        def spent() -> bool:
            return time.thread_time() > deadline or time.monotonic() > wall_deadline

        for pid in pids:
            entry = cache.get(pid)
            if entry is None:
                if stats.full_reads and spent():
                    stats.deferred += 1  # read next tick
                    self._pending.add(pid)
                    continue
                stats.new += 1
                self._store(pid, self._read(pid))
            elif not entry.ours:
                if changed is not None and changed.get(pid, 0) > entry.read_ns:
                    self._store(pid, self._read(pid))
            elif entry.create_time > young_since or (
                entry.jvm and entry.create_time > starting_since
            ):
                if not spent():
                    stats.young += 1
                    self._store(pid, self._read(pid))
            elif changed is not None:
                if changed.get(pid, 0) > entry.read_ns:  # not an exec we have read already
                    if entry.create_time > now - self._young_seconds:
                        stats.young += 1  # a fork that exec'd: what the young window was for
                    else:
                        stats.execs += 1
                    self._store(pid, self._read(pid))
            elif self._execed(pid, entry):
                stats.execs += 1
                self._store(pid, self._read(pid))
        # The counted apps' few pids every tick (an exit its parent never reaps must stop
        # counting at once), and without events a rotating slice of everything else.
        for pid in self._watched & cache.keys():
            self._revalidate(pid)
        if changed is None:
            for pid in self._rotation.take(cache, self._revalidate_every):
                self._revalidate(pid)
        stats.total_full_reads = total + stats.full_reads
        return [e.info for e in cache.values() if e.info is not None]
