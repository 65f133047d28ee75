"""Linux and macOS: SIGTERM as the polite close, SIGKILL of the whole tree as the forced one."""

from __future__ import annotations

import os
import pwd
import time
from typing import Literal

from agent.platform.base import (
    Capabilities,
    NotPermitted,
    Platform,
    PlatformError,
    ProcessGone,
    ServiceManager,
    translate_errors,
)

__all__ = ["PosixFlavour", "PosixPlatform"]

PosixFlavour = Literal["linux", "macos", "other"]


def _service_manager(flavour: PosixFlavour) -> ServiceManager | None:
    """The init system that would run the installed agent, if any."""
    if flavour == "macos":
        return "launchd"
    # The documented way to tell that systemd is PID 1 (sd_booted(3)).
    if os.path.isdir("/run/systemd/system"):
        return "systemd"
    return None


class PosixPlatform(Platform):
    """Process control through signals; `flavour` comes from `agent.platform.current()`."""

    def __init__(self, flavour: PosixFlavour = "linux") -> None:
        self.flavour = flavour
        # CLOCK_BOOTTIME (Linux) keeps counting while suspended; macOS's monotonic does not.
        self._boottime_id: int | None = getattr(time, "CLOCK_BOOTTIME", None)
        self.capabilities = Capabilities(
            os=flavour,
            polite_close="sigterm",
            boot_clock_includes_suspend=self._boottime_id is not None,
            service_manager=_service_manager(flavour),
            can_drop_privileges=True,
        )

    def close_politely(self, pid: int, create_time: float | None = None) -> bool:
        """Send SIGTERM to the process (not its children: a well-behaved parent passes it on)."""
        proc = self._process(pid, create_time)
        with translate_errors(pid):
            proc.terminate()
        return True

    def is_alive(self, pid: int, create_time: float | None = None) -> bool:
        """Whether pid still runs; on Linux a zombie leader whose other threads run does."""
        if self.flavour != "linux":
            return super().is_alive(pid, create_time)
        from agent.platform import linux_proc

        try:
            self._process(pid, create_time)
            linux_proc.live_task(pid)
        except ProcessGone:
            return False
        except (NotPermitted, PlatformError):
            return True  # it exists; we only may not look closer
        return True

    def kill_tree(self, pid: int, create_time: float | None = None) -> list[int]:
        """Force-kill the process and its tree; on Linux through a pidfd, with its process
        group and session when those are the game's own (see `linux_proc.kill_hard`)."""
        if self.flavour != "linux":
            return super().kill_tree(pid, create_time)
        from agent.platform import linux_proc

        return linux_proc.kill_hard(pid, create_time)

    def boot_clock(self) -> float:
        """CLOCK_BOOTTIME where the OS has it, else time.monotonic()."""
        if self._boottime_id is not None:
            return time.clock_gettime(self._boottime_id)
        return time.monotonic()

    def current_user(self) -> str:
        """The name of the effective user, falling back to the numeric uid."""
        uid = os.geteuid()
        try:
            return pwd.getpwuid(uid).pw_name
        except KeyError:
            return str(uid)

    def is_admin(self) -> bool:
        """Whether the effective uid is root."""
        return os.geteuid() == 0
