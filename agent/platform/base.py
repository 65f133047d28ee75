"""The per-OS face of the agent: capabilities, process control and our own error types."""

from __future__ import annotations

import abc
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Literal

import psutil

__all__ = [
    "CREATE_TIME_TOLERANCE",
    "Capabilities",
    "NotPermitted",
    "Platform",
    "PlatformError",
    "PoliteClose",
    "ProcessGone",
    "ServiceManager",
    "same_process",
    "translate_errors",
]

PoliteClose = Literal["sigterm", "wm_close"]
ServiceManager = Literal["systemd", "launchd", "windows-service"]

# psutil's create times have 10 ms granularity on Linux; a pid cannot be reused
# faster than that, so anything closer is the same process.
CREATE_TIME_TOLERANCE = 0.005


class PlatformError(Exception):
    """An OS operation failed."""


class ProcessGone(PlatformError):
    """The process no longer exists (or its pid now belongs to another process)."""


class NotPermitted(PlatformError):
    """The OS refused the operation (another account's process, a protected process)."""


@dataclass(frozen=True)
class Capabilities:
    """What this OS offers, so callers branch on features rather than on OS names."""

    os: str
    polite_close: PoliteClose
    boot_clock_includes_suspend: bool
    service_manager: ServiceManager | None
    can_drop_privileges: bool


@contextmanager
def translate_errors(pid: int | None = None) -> Iterator[None]:
    """Turn psutil and OS errors raised inside the block into our own exceptions."""
    try:
        yield
    except (psutil.NoSuchProcess, ProcessLookupError) as exc:
        raise ProcessGone(f"process {pid} is gone") from exc
    except (psutil.AccessDenied, PermissionError) as exc:
        raise NotPermitted(f"not permitted on process {pid}") from exc
    except (psutil.Error, OSError) as exc:
        raise PlatformError(f"process {pid}: {exc}") from exc


def same_process(proc: psutil.Process, create_time: float | None) -> bool:
    """Whether proc is the process that had create_time (None or <= 0: unknown, accept)."""
    if create_time is None or create_time <= 0:
        return True
    return abs(proc.create_time() - create_time) <= CREATE_TIME_TOLERANCE


class Platform(abc.ABC):
    """Process control and facts about the OS; one instance per process, see `current()`."""

    capabilities: Capabilities

    @abc.abstractmethod
    def close_politely(self, pid: int, create_time: float | None = None) -> bool:
        """Ask the process to quit; False when the OS had no polite way to deliver it."""

    @abc.abstractmethod
    def boot_clock(self) -> float:
        """Seconds on a clock that never jumps; see `capabilities.boot_clock_includes_suspend`."""

    @abc.abstractmethod
    def current_user(self) -> str:
        """The account name this agent runs as (without any domain)."""

    @abc.abstractmethod
    def is_admin(self) -> bool:
        """Whether this agent runs as root / an elevated administrator."""

    def _process(self, pid: int, create_time: float | None) -> psutil.Process:
        """The psutil handle for pid, checked to be the same process (raises ProcessGone)."""
        with translate_errors(pid):
            proc = psutil.Process(pid)
            if not same_process(proc, create_time):
                raise ProcessGone(f"pid {pid} now belongs to another process")
            return proc

    def is_alive(self, pid: int, create_time: float | None = None) -> bool:
        """Whether pid still runs and is the process created at create_time; zombies are not."""
        try:
            proc = self._process(pid, create_time)
            with translate_errors(pid):
                return proc.status() != psutil.STATUS_ZOMBIE
        except ProcessGone:
            return False
        except NotPermitted:
            # It exists; we only may not look at its status.
            return True

    def kill_tree(self, pid: int, create_time: float | None = None) -> list[int]:
        """Force-kill the process and all its descendants; returns the pids signalled."""
        root = self._process(pid, create_time)
        # Freeze the tree top-down first so nobody can fork a new child between our
        # listing and the kill; a stopped parent cannot spawn.
        tree: dict[int, psutil.Process] = {}
        self._freeze(root, tree, required=True)
        for _ in range(5):
            with translate_errors(pid):
                found = [p for p in root.children(recursive=True) if p.pid not in tree]
            if not found:
                break
            for proc in found:
                self._freeze(proc, tree, required=False)
        killed: list[int] = []
        denied = False
        for proc in tree.values():
            try:
                with translate_errors(proc.pid):
                    proc.kill()
                killed.append(proc.pid)
            except ProcessGone:
                continue
            except NotPermitted:
                denied = True
        if denied and root.pid not in killed:
            raise NotPermitted(f"not permitted to kill process {pid}")
        return killed

    @staticmethod
    def _freeze(proc: psutil.Process, tree: dict[int, psutil.Process], required: bool) -> None:
        """Suspend proc and add it to tree; a vanished root (required) raises ProcessGone."""
        try:
            with translate_errors(proc.pid):
                proc.suspend()
        except ProcessGone:
            if required:
                raise
            return
        except NotPermitted:
            pass  # still try the kill below; it reports what the OS refuses
        tree[proc.pid] = proc
