"""Windows: `taskkill` without /F as the polite close (WM_CLOSE), psutil for the forced kill.

Imports only portable modules at the top, so its command construction is testable anywhere.
"""

from __future__ import annotations

import ctypes
import subprocess
import time
from collections.abc import Callable

import psutil

from agent.platform.base import Capabilities, Platform, ProcessGone, translate_errors

__all__ = [
    "CREATE_NO_WINDOW",
    "TASKKILL_NOT_FOUND",
    "Runner",
    "WindowsPlatform",
    "polite_close_command",
]

# subprocess.CREATE_NO_WINDOW exists only on Windows builds of Python.
CREATE_NO_WINDOW = 0x08000000
# taskkill's exit code when no process matches the pid.
TASKKILL_NOT_FOUND = 128

Runner = Callable[..., "subprocess.CompletedProcess[str]"]


def polite_close_command(pid: int) -> list[str]:
    """The taskkill command that asks a process's windows to close (no /F: not forced)."""
    if pid <= 0:
        raise ValueError(f"invalid pid {pid}")
    return ["taskkill", "/PID", str(pid)]


class WindowsPlatform(Platform):
    """Process control on Windows; `run` is injectable so tests can check the commands."""

    def __init__(self, run: Runner = subprocess.run) -> None:
        self._run = run
        self.capabilities = Capabilities(
            os="windows",
            polite_close="wm_close",
            # time.monotonic() is GetTickCount64 (3.11, 3.12) or QueryPerformanceCounter
            # (3.13+); both keep counting through sleep and hibernation.
            boot_clock_includes_suspend=True,
            service_manager="windows-service",
            can_drop_privileges=False,
        )

    def close_politely(self, pid: int, create_time: float | None = None) -> bool:
        """Send WM_CLOSE through taskkill; False when the process has no window to close."""
        self._process(pid, create_time)
        argv = polite_close_command(pid)
        with translate_errors(pid):
            done = self._run(
                argv, capture_output=True, text=True, timeout=10, creationflags=CREATE_NO_WINDOW
            )
        if done.returncode == 0:
            return True
        if done.returncode == TASKKILL_NOT_FOUND or not psutil.pid_exists(pid):
            raise ProcessGone(f"process {pid} is gone")
        # No window to close (console and background processes), or refused: taskkill's
        # messages are localized, so leave the verdict to the forced kill after the grace.
        return False

    def boot_clock(self) -> float:
        """time.monotonic(), which counts through suspend on Windows."""
        return time.monotonic()

    def current_user(self) -> str:
        """The account name of this process, without the DOMAIN\\ prefix."""
        with translate_errors():
            name = psutil.Process().username()
        return name.rpartition("\\")[2]

    def is_admin(self) -> bool:
        """Whether this process runs elevated (shell32.IsUserAnAdmin)."""
        windll = getattr(ctypes, "windll", None)  # only Windows has it
        if windll is None:
            return False
        try:
            return bool(windll.shell32.IsUserAnAdmin())
        except (AttributeError, OSError):
            return False
