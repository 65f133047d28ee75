"""Reading Linux processes through /proc where psutil falls short, and killing them hard."""

from __future__ import annotations

import bisect
import contextlib
import hashlib
import os
import signal
import stat
import struct
from collections.abc import Collection, Iterator
from dataclasses import dataclass

try:
    import fcntl
except ImportError:  # not a Unix: nothing here is called there
    fcntl = None  # type: ignore[assignment]

from agent.platform.base import CREATE_TIME_TOLERANCE, NotPermitted, PlatformError, ProcessGone

__all__ = [
    "ContentHasher",
    "ExeId",
    "FileKey",
    "SubordinateIds",
    "TaskStat",
    "create_time",
    "exe_id",
    "exe_path",
    "kill_hard",
    "live_task",
    "open_files",
    "process_uids",
    "read_cmdline",
    "read_stat",
    "read_text_as",
    "userns_owners",
]

ExeId = tuple[int, int]  # (st_dev, st_ino) of a process's executable
FileKey = tuple[int, int, int, int]  # (st_dev, st_ino, st_size, st_mtime_ns)

_NSIO = 0xB7
NS_GET_PARENT = (_NSIO << 8) | 0x2
NS_GET_OWNER_UID = (_NSIO << 8) | 0x4
PROC_USER_INIT_INO = 0xEFFFFFFD  # the initial user namespace's inode, fixed by the kernel
_DEAD_STATES = frozenset("ZXx")


def _oserror(exc: OSError, pid: int, what: str) -> PlatformError:
    """Our exception for an OS error while reading or signalling pid."""
    if isinstance(exc, (FileNotFoundError, ProcessLookupError)) or exc.errno == 3:
        return ProcessGone(f"process {pid} is gone")
    if isinstance(exc, PermissionError):
        return NotPermitted(f"not permitted to {what} process {pid}")
    return PlatformError(f"{what} process {pid}: {exc}")


@contextlib.contextmanager
def _translated(pid: int, what: str) -> Iterator[None]:
    """Raise our exceptions for OS errors inside the block."""
    try:
        yield
    except OSError as exc:
        raise _oserror(exc, pid, what) from exc


@dataclass(frozen=True, slots=True)
class TaskStat:
    """The fields of /proc/PID/stat we use; start_ticks identifies the process across pid reuse."""

    pid: int
    comm: str
    state: str
    ppid: int
    pgid: int
    sid: int
    start_ticks: int

    @property
    def dead(self) -> bool:
        """Whether this task is a zombie or dead (it runs no code any more)."""
        return self.state in _DEAD_STATES


def _parse_stat(pid: int, text: str) -> TaskStat:
    """Parse /proc/.../stat text; comm may hold spaces and parentheses."""
    open_at, close_at = text.index("("), text.rindex(")")
    fields = text[close_at + 2 :].split()
    return TaskStat(
        pid=pid,
        comm=text[open_at + 1 : close_at],
        state=fields[0],
        ppid=int(fields[1]),
        pgid=int(fields[2]),
        sid=int(fields[3]),
        start_ticks=int(fields[19]),
    )


def read_stat(pid: int, tid: int | None = None) -> TaskStat:
    """The stat of a process (or of one of its threads)."""
    path = f"/proc/{pid}/stat" if tid is None else f"/proc/{pid}/task/{tid}/stat"
    with _translated(pid, "read"), open(path, encoding="utf-8", errors="replace") as f:
        text = f.read()
    try:
        return _parse_stat(pid, text)
    except (ValueError, IndexError) as exc:
        raise PlatformError(f"unreadable stat of process {pid}") from exc


def live_task(pid: int) -> str:
    """A /proc directory of a live thread of the process: its own, or a thread's when the
    leader is a zombie whose other threads still run (raises ProcessGone when none runs)."""
    if not read_stat(pid).dead:
        return f"/proc/{pid}"
    with _translated(pid, "read"):
        tids = os.listdir(f"/proc/{pid}/task")
    for name in tids:
        tid = int(name)
        if tid == pid:
            continue
        try:
            if not read_stat(pid, tid).dead:
                return f"/proc/{pid}/task/{tid}"
        except ProcessGone:
            continue
    raise ProcessGone(f"process {pid} has exited (no live thread)")


def exe_path(pid: int) -> str:
    """The path of the process's executable (" (deleted)" when replaced), via a live thread."""
    base = live_task(pid)
    with _translated(pid, "read"):
        return os.readlink(f"{base}/exe")


def exe_id(pid: int) -> ExeId:
    """(device, inode) of the process's executable: it changes on every exec of another file."""
    base = live_task(pid)
    with _translated(pid, "read"):
        st = os.stat(f"{base}/exe")
    return (st.st_dev, st.st_ino)


def read_cmdline(pid: int) -> tuple[str, ...]:
    """The process's arguments, read through a live thread (a zombie leader has none)."""
    base = live_task(pid)
    with _translated(pid, "read"), open(f"{base}/cmdline", "rb") as f:
        raw = f.read()
    return tuple(a.decode("utf-8", "surrogateescape") for a in raw.split(b"\0")[:-1])


def process_uids(pid: int) -> tuple[int, int, tuple[int, ...]]:
    """(real uid, effective uid, group ids) of the process, from /proc/PID/status."""
    uid = euid = -1
    gids: list[int] = []
    with _translated(pid, "read"), open(f"/proc/{pid}/status", encoding="utf-8") as f:
        for line in f:
            key, _, value = line.partition(":")
            if key == "Uid":
                uid, euid = (int(v) for v in value.split()[:2])
            elif key == "Gid":
                gids.extend(int(v) for v in value.split()[:2])
            elif key == "Groups":
                gids.extend(int(v) for v in value.split())
    if uid < 0:
        raise PlatformError(f"no uid in the status of process {pid}")
    return uid, euid, tuple(dict.fromkeys(gids))


def open_files(
    pid: int, suffixes: tuple[str, ...] = (".jar",), *, mapped: bool = False
) -> list[str]:
    """Files with these suffixes that the process holds open (a JVM's jars), and with
    `mapped` also those it maps into memory, read through a live thread."""
    base = live_task(pid)
    found: dict[str, None] = {}
    if mapped:
        maps = f"{base}/maps"
        with contextlib.suppress(OSError), open(maps, encoding="utf-8", errors="replace") as f:
            for line in f:
                path = line.rstrip("\n").split(maxsplit=5)[5:]
                if path and path[0].endswith(suffixes):
                    found[path[0]] = None
    with contextlib.suppress(OSError):
        for fd in os.listdir(f"{base}/fd"):
            with contextlib.suppress(OSError):
                target = os.readlink(f"{base}/fd/{fd}")
                if target.endswith(suffixes):
                    found[target] = None
    return list(found)


def _readable_by(st: os.stat_result, uid: int, gids: Collection[int]) -> bool:
    """Whether the permission bits let uid (with gids) read the file."""
    if uid == 0:
        return True
    if st.st_uid == uid:
        return bool(st.st_mode & stat.S_IRUSR)
    if st.st_gid in gids:
        return bool(st.st_mode & stat.S_IRGRP)
    return bool(st.st_mode & stat.S_IROTH)


def read_text_as(pid: int, path: str, limit: int = 65536) -> str | None:
    """A small regular file named by a process (relative to its cwd, inside its root), read
    only when the process's own account could read it; None otherwise (root reads for it)."""
    if os.path.isabs(path):
        full = f"/proc/{pid}/root{path}"
    else:
        full = os.path.join(f"/proc/{pid}/cwd", path)
    try:
        uid, _euid, gids = process_uids(pid)
        fd = os.open(full, os.O_RDONLY | os.O_NONBLOCK | os.O_NOCTTY | os.O_CLOEXEC)
    except (OSError, PlatformError):
        return None
    try:
        st = os.fstat(fd)
        if not stat.S_ISREG(st.st_mode) or not _readable_by(st, uid, gids):
            return None
        return os.read(fd, limit).decode("utf-8", "replace")
    except OSError:
        return None
    finally:
        os.close(fd)


class SubordinateIds:
    """The subordinate uid ranges of /etc/subuid (what `unshare --map-auto` maps to)."""

    def __init__(self, text: str, uid_of: dict[str, int]) -> None:
        starts: list[tuple[int, int, int]] = []  # (first, end, owner uid)
        for line in text.splitlines():
            parts = line.strip().split(":")
            if len(parts) != 3 or line.lstrip().startswith("#"):
                continue
            owner, first, count = parts
            try:
                uid = int(owner) if owner.isdigit() else uid_of[owner]
                start, size = int(first), int(count)
            except (KeyError, ValueError):
                continue
            if size > 0:
                starts.append((start, start + size, uid))
        starts.sort()
        self._ranges = starts
        self._firsts = [r[0] for r in starts]

    @classmethod
    def load(cls, uid_of: dict[str, int], path: str = "/etc/subuid") -> SubordinateIds:
        """Read the file (missing: no ranges); uid_of maps account names to uids."""
        try:
            with open(path, encoding="utf-8") as f:
                text = f.read()
        except OSError:
            text = ""
        return cls(text, uid_of)

    def owner(self, uid: int) -> int | None:
        """The uid whose subordinate range holds uid, or None."""
        at = bisect.bisect_right(self._firsts, uid) - 1
        if at >= 0:
            first, end, owner = self._ranges[at]
            if first <= uid < end:
                return owner
        return None


def _owner_uid(fd: int) -> int:
    """The uid that created the user namespace open at fd."""
    buf = fcntl.ioctl(fd, NS_GET_OWNER_UID, b"\0\0\0\0")
    return int(struct.unpack("=I", buf)[0])


def userns_owners(pid: int) -> list[int]:
    """The creators' uids of the process's user namespace and its ancestors (innermost first);
    empty for a process in the initial namespace."""
    owners: list[int] = []
    with _translated(pid, "read"):
        fd = os.open(f"/proc/{pid}/ns/user", os.O_RDONLY | os.O_CLOEXEC)
    try:
        for _ in range(33):  # the kernel allows 32 levels of nesting
            if os.fstat(fd).st_ino == PROC_USER_INIT_INO:
                break
            try:
                owners.append(_owner_uid(fd))
                parent = fcntl.ioctl(fd, NS_GET_PARENT)
            except OSError:
                break  # EPERM: the parent is outside our own namespace
            os.close(fd)
            fd = parent
    finally:
        os.close(fd)
    return owners


class ContentHasher:
    """SHA-256 of executables, each file hashed once (cached by device, inode, size, mtime)."""

    def __init__(self, max_entries: int = 4096) -> None:
        self._cache: dict[FileKey, str] = {}
        self._max = max_entries
        self.hashed = 0  # files actually read, for tests and benchmarks

    @staticmethod
    def key(st: os.stat_result) -> FileKey:
        """The cache key of a file's stat."""
        return (st.st_dev, st.st_ino, st.st_size, st.st_mtime_ns)

    def digest_fd(self, fd: int) -> str:
        """The hex digest of the open file (read from its start)."""
        st = os.fstat(fd)
        key = self.key(st)
        cached = self._cache.get(key)
        if cached is not None:
            return cached
        h = hashlib.sha256()
        with os.fdopen(os.dup(fd), "rb") as f:
            f.seek(0)
            while chunk := f.read(1 << 20):
                h.update(chunk)
        self.hashed += 1
        if len(self._cache) >= self._max:
            self._cache.pop(next(iter(self._cache)))
        digest = self._cache[key] = h.hexdigest()
        return digest

    def digest_path(self, path: str) -> str:
        """The hex digest of a file by path (raises PlatformError when unreadable)."""
        try:
            fd = os.open(path, os.O_RDONLY | os.O_CLOEXEC)
        except OSError as exc:
            raise PlatformError(f"cannot read {path}: {exc}") from exc
        try:
            return self.digest_fd(fd)
        finally:
            os.close(fd)

    def exe_size(self, pid: int) -> int:
        """The size of the process's executable (cheap: compare before hashing)."""
        base = live_task(pid)
        with _translated(pid, "read"):
            return os.stat(f"{base}/exe").st_size

    def digest_exe(self, pid: int) -> str:
        """The hex digest of the process's executable, opened through /proc (so a file
        replaced or deleted since the exec is still the one that runs)."""
        base = live_task(pid)
        with _translated(pid, "read"):
            fd = os.open(f"{base}/exe", os.O_RDONLY | os.O_CLOEXEC)
        try:
            return self.digest_fd(fd)
        except OSError as exc:
            raise _oserror(exc, pid, "hash") from exc
        finally:
            os.close(fd)


def _all_stats() -> list[TaskStat]:
    """The stat of every process."""
    out: list[TaskStat] = []
    for name in os.listdir("/proc"):
        if name.isdigit():
            with contextlib.suppress(PlatformError):
                out.append(read_stat(int(name)))
    return out


def _uid(pid: int) -> int | None:
    """The real uid of pid, None when gone."""
    try:
        return process_uids(pid)[0]
    except PlatformError:
        return None


def _leader_ours(leader: int, allowed: Collection[int], stats: dict[int, TaskStat]) -> bool:
    """Whether a group's or session's leader may go down with the game: it is one of the
    game's own pids, or it no longer runs (an orphaned group or session)."""
    if leader in allowed:
        return True
    st = stats.get(leader)
    return st is None or st.dead


def _runs(st: TaskStat) -> bool:
    """Whether a process still runs code (a zombie leader may have live threads)."""
    if not st.dead:
        return True
    try:
        live_task(st.pid)
    except PlatformError:
        return False
    return True


def _victims(pid: int, uid: int | None, also: Collection[int]) -> set[int]:
    """pid, its descendants, and the same-uid members of its group and session when their
    leader is one of the app's pids or gone."""
    stats = {st.pid: st for st in _all_stats()}
    first = stats.get(pid)
    if first is None:
        return set()
    allowed = {pid, *also}
    mine = {os.getpgid(0), os.getsid(0), 0, 1}
    pgid = first.pgid if first.pgid not in mine and _leader_ours(first.pgid, allowed, stats) else 0
    sid = first.sid if first.sid not in mine and _leader_ours(first.sid, allowed, stats) else 0
    victims = {pid}
    for st in stats.values():
        member = (pgid and st.pgid == pgid) or (sid and st.sid == sid)
        if member and _runs(st) and _uid(st.pid) == uid:
            victims.add(st.pid)
    children: dict[int, list[int]] = {}
    for st in stats.values():
        children.setdefault(st.ppid, []).append(st.pid)
    todo = list(victims)
    while todo:
        for child in children.get(todo.pop(), ()):
            if child not in victims and _runs(stats[child]):
                victims.add(child)
                todo.append(child)
    return victims


def _signal(pid: int, signum: int) -> bool:
    """Send signum through a pidfd; whether it was delivered."""
    try:
        fd = os.pidfd_open(pid)
    except OSError:
        return False
    try:
        signal.pidfd_send_signal(fd, signum)
        return True
    except OSError:
        return False
    finally:
        os.close(fd)


def create_time(pid: int) -> float:
    """When the process started, in epoch seconds (the same figure as psutil's)."""
    global _BOOT_TIME
    if _BOOT_TIME is None:
        with open("/proc/stat", encoding="ascii") as f:
            _BOOT_TIME = next(int(ln.split()[1]) for ln in f if ln.startswith("btime"))
    return _BOOT_TIME + read_stat(pid).start_ticks / os.sysconf("SC_CLK_TCK")


_BOOT_TIME: int | None = None


def kill_hard(
    pid: int,
    created: float | None = None,
    *,
    also: Collection[int] = (),
) -> list[int]:
    """SIGKILL a process through a pidfd (no pid-reuse race), its descendants, and the
    same-uid members of its process group and session when their leader is the process,
    one of `also` (the same app's pids) or gone. Everything is stopped first so nothing
    forks away meanwhile. `created` (a create time) guards against a reused pid. Returns
    the pids killed."""
    with _translated(pid, "kill"):
        pidfd = os.pidfd_open(pid)
    try:
        if created and abs(create_time(pid) - created) > CREATE_TIME_TOLERANCE:
            raise ProcessGone(f"pid {pid} now belongs to another process")
        with _translated(pid, "kill"):
            signal.pidfd_send_signal(pidfd, signal.SIGSTOP)
        uid = _uid(pid)
        stopped: set[int] = {pid}
        for _ in range(5):  # stop what forked while we looked, until nothing new
            found = _victims(pid, uid, also) - stopped
            if not found:
                break
            stopped.update(v for v in found if _signal(v, signal.SIGSTOP))
        with _translated(pid, "kill"):
            signal.pidfd_send_signal(pidfd, signal.SIGKILL)
        killed = [pid]
        killed.extend(v for v in sorted(stopped - {pid}) if _signal(v, signal.SIGKILL))
        return killed
    finally:
        os.close(pidfd)
