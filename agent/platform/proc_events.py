"""The Linux kernel's process events (netlink proc connector): fork, exec, uid change and exit."""

from __future__ import annotations

import contextlib
import enum
import errno
import os
import random
import select
import socket
import struct
import time
from dataclasses import dataclass
from types import TracebackType

from agent.platform.base import PlatformError

__all__ = ["EventKind", "ProcEvent", "ProcEvents", "Unavailable"]

NETLINK_CONNECTOR = 11
CN_IDX_PROC = 1
CN_VAL_PROC = 1
PROC_CN_MCAST_LISTEN = 1
PROC_CN_MCAST_IGNORE = 2
NLMSG_DONE = 3
SO_RCVBUFFORCE = 33
CAP_NET_ADMIN = 12
# The inode numbers of the initial user and pid namespaces (fixed by the kernel).
PROC_USER_INIT_INO = 0xEFFFFFFD
PROC_PID_INIT_INO = 0xEFFFFFFC

_NLMSGHDR = struct.Struct("=IHHII")  # len, type, flags, seq, pid
_CN_MSG = struct.Struct("=IIIIHH")  # idx, val, seq, ack, len, flags
_EVENT_HEAD = struct.Struct("=IIQ")  # what, cpu, timestamp_ns
_HEAD = _NLMSGHDR.size + _CN_MSG.size  # where the proc_event starts
_DATA = _HEAD + _EVENT_HEAD.size  # where its event_data union starts
_TWO = struct.Struct("=ii")
_FORK = struct.Struct("=iiii")  # parent pid, parent tgid, child pid, child tgid
_ID = struct.Struct("=iiII")  # pid, tgid, real uid, effective uid
_EXIT = struct.Struct("=iiII")  # pid, tgid, exit code, exit signal


class Unavailable(PlatformError):
    """The kernel or our permissions refuse the proc connector; poll instead."""


class EventKind(enum.IntEnum):
    """The kinds of proc_event the kernel sends (linux/cn_proc.h)."""

    NONE = 0
    FORK = 0x1
    EXEC = 0x2
    UID = 0x4
    GID = 0x40
    SID = 0x80
    PTRACE = 0x100
    COMM = 0x200
    NONZERO_EXIT = 0x20000000
    COREDUMP = 0x40000000
    EXIT = 0x80000000


@dataclass(frozen=True, slots=True)
class ProcEvent:
    """One process event; pid is the thread, tgid the process (both in the initial namespace)."""

    kind: EventKind
    pid: int
    tgid: int
    parent_pid: int = 0  # fork: the forking process
    parent_tgid: int = 0
    ruid: int = -1  # uid change: new real and effective uid
    euid: int = -1
    exit_code: int = 0
    timestamp_ns: int = 0  # when, on CLOCK_MONOTONIC (time.monotonic_ns())

    @property
    def is_thread(self) -> bool:
        """Whether the event concerns a thread other than its process's leader."""
        return self.pid != self.tgid


def _control(op: int, seq: int) -> bytes:
    """A netlink message carrying a proc connector control op; the kernel's acknowledgement
    carries seq + 1 in its ack field."""
    body = struct.pack("=I", op)
    cn = _CN_MSG.pack(CN_IDX_PROC, CN_VAL_PROC, seq, seq, len(body), 0) + body
    return _NLMSGHDR.pack(_NLMSGHDR.size + len(cn), NLMSG_DONE, 0, seq, 0) + cn


def _refusal() -> str | None:
    """Why the kernel would ignore or refuse us, known before asking; None when it should not."""
    try:
        with open("/proc/self/status", encoding="ascii") as f:
            caps = next((ln.split()[1] for ln in f if ln.startswith("CapEff:")), "0")
        user_ns = os.stat("/proc/self/ns/user").st_ino
        pid_ns = os.stat("/proc/self/ns/pid").st_ino
    except (OSError, StopIteration, IndexError):
        return None  # no /proc to tell: let the kernel answer
    if user_ns != PROC_USER_INIT_INO or pid_ns != PROC_PID_INIT_INO:
        return (
            "the agent runs in a user or pid namespace (a container); the kernel only "
            "serves the initial namespaces"
        )
    if not int(caps, 16) & (1 << CAP_NET_ADMIN):
        return "the proc connector needs root (CAP_NET_ADMIN)"
    return None


def _parse(data: bytes) -> ProcEvent | None:
    """The event in one netlink message; None for kinds we do not use."""
    if len(data) < _DATA:
        return None
    what, _cpu, ts = _EVENT_HEAD.unpack_from(data, _HEAD)
    try:
        kind = EventKind(what)
    except ValueError:
        return None
    if kind is EventKind.FORK:
        ppid, ptgid, pid, tgid = _FORK.unpack_from(data, _DATA)
        return ProcEvent(kind, pid, tgid, parent_pid=ppid, parent_tgid=ptgid, timestamp_ns=ts)
    if kind is EventKind.UID:
        pid, tgid, ruid, euid = _ID.unpack_from(data, _DATA)
        return ProcEvent(kind, pid, tgid, ruid=ruid, euid=euid, timestamp_ns=ts)
    if kind is EventKind.EXIT:
        pid, tgid, code, _signal = _EXIT.unpack_from(data, _DATA)
        return ProcEvent(kind, pid, tgid, exit_code=code, timestamp_ns=ts)
    if kind in (EventKind.EXEC, EventKind.SID, EventKind.COMM, EventKind.GID):
        pid, tgid = _TWO.unpack_from(data, _DATA)
        return ProcEvent(kind, pid, tgid, timestamp_ns=ts)
    return None


class ProcEvents:
    """A non-blocking subscription to process events; raises Unavailable when refused.

    The kernel only serves listeners with CAP_NET_ADMIN in the initial user and pid
    namespaces (elsewhere it silently ignores the request, which we detect by the missing
    acknowledgement). When the socket overflows, events were lost: `overflowed` turns true
    and the caller must rescan every process.
    """

    def __init__(self, *, ack_timeout: float = 1.0, buffer_bytes: int = 4 << 20) -> None:
        self.overflowed = False
        refusal = _refusal()
        if refusal is not None:
            raise Unavailable(refusal)
        try:
            sock = socket.socket(socket.AF_NETLINK, socket.SOCK_DGRAM, NETLINK_CONNECTOR)
        except OSError as exc:
            raise Unavailable(f"no netlink proc connector in this kernel: {exc}") from exc
        self._sock = sock
        try:
            try:
                sock.setsockopt(socket.SOL_SOCKET, SO_RCVBUFFORCE, buffer_bytes)
            except OSError:
                sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, buffer_bytes)
            sock.bind((0, CN_IDX_PROC))
            self._seq = random.randrange(1, 1 << 31)
            sock.send(_control(PROC_CN_MCAST_LISTEN, self._seq))
            self._await_ack(ack_timeout)
            sock.setblocking(False)
        except PermissionError as exc:
            sock.close()
            raise Unavailable(f"the proc connector needs root (CAP_NET_ADMIN): {exc}") from exc
        except OSError as exc:
            sock.close()
            raise Unavailable(f"the proc connector refused to listen: {exc}") from exc
        except Unavailable:
            sock.close()
            raise

    def _await_ack(self, timeout: float) -> None:
        """Wait for the kernel's answer to our listen request (events may come first)."""
        deadline = time.monotonic() + timeout
        while True:
            left = deadline - time.monotonic()
            if left <= 0 or not select.select([self._sock], [], [], left)[0]:
                raise Unavailable("the kernel did not answer the proc connector's listen request")
            data = self._sock.recv(65536)
            if len(data) < _DATA + 4:
                continue
            ack = _CN_MSG.unpack_from(data, _NLMSGHDR.size)[3]
            what = _EVENT_HEAD.unpack_from(data, _HEAD)[0]
            if what != EventKind.NONE or ack != self._seq + 1:
                continue  # another listener's acknowledgement, or an event
            err = struct.unpack_from("=I", data, _DATA)[0]
            if err == errno.EPERM:
                raise Unavailable("the proc connector needs root (CAP_NET_ADMIN)")
            if err:
                raise Unavailable(f"the proc connector refused to listen: {os.strerror(err)}")
            return

    def fileno(self) -> int:
        """The socket, for select/poll."""
        return self._sock.fileno()

    def read(self, limit: int = 100_000) -> list[ProcEvent]:
        """Every event waiting now (at most limit), without blocking."""
        events: list[ProcEvent] = []
        sock = self._sock
        while len(events) < limit:
            try:
                data = sock.recv(65536)
            except BlockingIOError:
                break
            except OSError as exc:
                if exc.errno == errno.ENOBUFS:
                    self.overflowed = True
                    continue
                raise PlatformError(f"reading process events: {exc}") from exc
            event = _parse(data)
            if event is not None:
                events.append(event)
        return events

    def wait(self, timeout: float) -> bool:
        """Block until events are waiting or timeout passes; whether any are waiting."""
        return bool(select.select([self._sock], [], [], timeout)[0])

    def close(self) -> None:
        """Stop listening (the kernel counts listeners) and close the socket."""
        if self._sock.fileno() < 0:
            return
        with contextlib.suppress(OSError):
            self._sock.send(_control(PROC_CN_MCAST_IGNORE, self._seq))
        self._sock.close()

    def __enter__(self) -> ProcEvents:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()
