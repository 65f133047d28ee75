"""Input idle time of this desktop, as the tray measures it for the agent.

X11: the MIT-SCREEN-SAVER extension (XScreenSaverQueryInfo) through python-xlib; Windows:
GetLastInputInfo. Where no reader works (Wayland without a supported monitor, no display),
`idle_reader()` returns None and the tray reports nothing: the agent then counts the
session as in use. (macOS: the agent reads HIDIdleTime itself.)
"""

from __future__ import annotations

import ctypes
import os
import threading
import time
from collections.abc import Callable
from typing import Any

from agent.platform import os_name

__all__ = [
    "LASTINPUTINFO",
    "REPORT_SECONDS",
    "IdleReader",
    "IdleReporter",
    "WindowsIdle",
    "X11Idle",
    "idle_reader",
]

REPORT_SECONDS = 5.0  # the agent treats a report older than 30 s as "no report" (in use)

IdleReader = Callable[[], float | None]


class X11Idle:
    """Seconds since the last keyboard/mouse input on an X display (one connection)."""

    def __init__(self, display: str | None = None) -> None:
        from Xlib.display import Display

        self._display: Any = Display(display)
        if not self._display.has_extension("MIT-SCREEN-SAVER"):
            self._display.close()
            raise RuntimeError("the X server has no MIT-SCREEN-SAVER extension")
        self._root = self._display.screen().root
        self._lock = threading.Lock()

    def __call__(self) -> float | None:
        with self._lock:
            try:
                info = self._root.screensaver_query_info()
            except Exception:  # a broken connection: no answer rather than a wrong one
                return None
        return float(info.idle) / 1000.0

    def close(self) -> None:
        """Close the X connection."""
        with self._lock:
            self._display.close()


class LASTINPUTINFO(ctypes.Structure):
    _fields_ = [("cbSize", ctypes.c_uint32), ("dwTime", ctypes.c_uint32)]


class WindowsIdle:
    """Seconds since the last input of this Windows session (GetLastInputInfo); `user32`
    and `kernel32` are injectable for tests."""

    def __init__(self, user32: Any = None, kernel32: Any = None) -> None:
        if user32 is None or kernel32 is None:
            dlls = vars(ctypes).get("windll")  # only Windows has it
            if dlls is None:
                raise RuntimeError("GetLastInputInfo exists only on Windows")
            user32, kernel32 = dlls.user32, dlls.kernel32
        self._user32 = user32
        self._kernel32 = kernel32

    def __call__(self) -> float | None:
        info = LASTINPUTINFO()
        info.cbSize = ctypes.sizeof(LASTINPUTINFO)
        if not self._user32.GetLastInputInfo(ctypes.byref(info)):
            return None
        now = int(self._kernel32.GetTickCount()) & 0xFFFFFFFF
        return ((now - int(info.dwTime)) & 0xFFFFFFFF) / 1000.0  # both wrap after 49.7 days


def idle_reader(env: dict[str, str] | None = None) -> IdleReader | None:
    """The best idle reader for this desktop, or None."""
    if os_name() == "windows":  # not current(): it loads psutil, which the tray does without
        try:
            return WindowsIdle()
        except (RuntimeError, OSError, AttributeError):
            return None
    env = dict(os.environ if env is None else env)
    display = env.get("DISPLAY")
    if display:
        try:
            return X11Idle(display)
        except Exception:
            return None
    return None


class IdleReporter:
    """Reads idle every `check` seconds and sends it to the agent every `interval` seconds,
    and at once when input resumes (idle drops), so the agent's view is never late by more
    than a check. A failed send is retried at the next check."""

    def __init__(
        self,
        read: IdleReader,
        send: Callable[[float], object],
        interval: float = REPORT_SECONDS,
        check: float = 1.0,
        stop: threading.Event | None = None,
    ) -> None:
        self._read = read
        self._send = send
        self.interval = interval
        self.check = check
        self._last_sent: tuple[float, float] | None = None  # (idle, at)
        self._stop = stop or threading.Event()
        self._thread: threading.Thread | None = None

    def step(self, now: float) -> bool:
        """One check; True when a report was sent."""
        idle = self._read()
        if idle is None:
            return False
        last = self._last_sent
        # Due every `interval`, and at once when idle fell (input came since the last report).
        due = (
            last is None
            or now - last[1] >= self.interval
            or idle < last[0] + (now - last[1]) - 0.5
        )
        if not due:
            return False
        try:
            self._send(idle)
        except Exception:  # the agent restarting: try again at the next check
            return False
        self._last_sent = (idle, now)
        return True

    def start(self) -> None:
        """Report from a daemon thread until stop() (or the shared stop event)."""

        def loop() -> None:
            while not self._stop.is_set():
                self.step(time.monotonic())
                self._stop.wait(self.check)

        self._thread = threading.Thread(target=loop, name="playclock-idle", daemon=True)
        self._thread.start()

    def stop(self) -> None:
        """Stop reporting."""
        self._stop.set()
        if self._thread is not None:
            self._thread.join(5)
