"""Input idle time of this desktop, as the tray measures it for the agent.

One idle source per kind of desktop: X11, the MIT-SCREEN-SAVER extension
(XScreenSaverQueryInfo) through python-xlib; GNOME on Wayland, Mutter's
`org.gnome.Mutter.IdleMonitor` on the session bus (jeepney); Windows, GetLastInputInfo.
Where none works (another Wayland desktop, no display), `idle_reader()` returns None and the
tray reports nothing: the agent then counts the session as in use (fail closed). On Wayland
the X server (Xwayland) sees only its own clients' input, so it is never asked there.
(macOS: the agent reads HIDIdleTime itself.)
"""

from __future__ import annotations

import contextlib
import os
import threading
import time
from collections.abc import Callable
from functools import cache
from typing import TYPE_CHECKING, Any, Protocol

from agent.platform import os_name

if TYPE_CHECKING:
    import ctypes

__all__ = [
    "MUTTER_IDLE",
    "REPORT_SECONDS",
    "IdleReader",
    "IdleReporter",
    "IdleSource",
    "MutterIdle",
    "TkIdle",
    "TkRunner",
    "WindowsIdle",
    "X11Idle",
    "idle_reader",
]

REPORT_SECONDS = 5.0  # the agent treats a report older than 30 s as "no report" (in use)

IdleReader = Callable[[], float | None]

# Mutter's idle monitor: GetIdletime() -> uint64 milliseconds since the last user input.
MUTTER_IDLE = ("org.gnome.Mutter.IdleMonitor", "/org/gnome/Mutter/IdleMonitor/Core")


class IdleSource(Protocol):
    """Seconds since the last input (None: cannot tell now), and which kind of source."""

    kind: str  # "xscreensaver", "mutter" or "windows"

    def __call__(self) -> float | None: ...

    def close(self) -> None:
        """Release the connection."""
        ...


class X11Idle:
    """Seconds since the last keyboard/mouse input on an X display (one connection)."""

    kind = "xscreensaver"

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


class TkRunner(Protocol):
    """What runs work on the Tk thread (tray.tkhost.TkHost)."""

    root: Any

    def call(self, fn: Callable[[], Any], timeout: float | None = None) -> Any: ...


class TkIdle:
    """Seconds since the last keyboard/mouse input on the X display, asked through the
    connection Tk already has (`tk inactive`: the same MIT-SCREEN-SAVER query), on the Tk
    thread: no X connection of its own (issue 15)."""

    kind = "xscreensaver"

    def __init__(self, host: TkRunner, timeout: float = 2.0) -> None:
        self._host = host
        self._timeout = timeout
        if self() is None:
            raise RuntimeError("Tk cannot tell the idle time (built without XScreenSaver)")

    def __call__(self) -> float | None:
        try:
            millis = int(self._host.call(self._inactive, self._timeout))
        except Exception:  # Tk closing, or busy too long: no answer rather than a wrong one
            return None
        return None if millis < 0 else millis / 1000.0  # -1: Tk cannot tell

    def _inactive(self) -> Any:
        return self._host.root.tk.call("tk", "inactive")

    def close(self) -> None:
        """Nothing to release: the connection is Tk's."""


class MutterIdle:
    """Seconds since the last input in a GNOME (Mutter) session, from its idle monitor on the
    session bus; a lost connection is opened again at the next read."""

    kind = "mutter"

    def __init__(self, bus: str = "SESSION", timeout: float = 2.0) -> None:
        self._bus = bus  # "SESSION" (DBUS_SESSION_BUS_ADDRESS) or an address
        self._timeout = timeout
        self._conn: Any = None
        self._lock = threading.Lock()
        if self() is None:
            self.close()
            raise RuntimeError("no org.gnome.Mutter.IdleMonitor on the session bus")

    def __call__(self) -> float | None:
        from jeepney import DBusAddress, new_method_call
        from jeepney.io.blocking import open_dbus_connection
        from jeepney.wrappers import DBusErrorResponse, unwrap_msg

        name, path = MUTTER_IDLE
        msg = new_method_call(DBusAddress(path, name, name), "GetIdletime")
        with self._lock:
            try:
                if self._conn is None:
                    self._conn = open_dbus_connection(bus=self._bus)
                reply = self._conn.send_and_get_reply(msg, timeout=self._timeout)
            except (OSError, TimeoutError, ConnectionError, KeyError, ValueError):
                self._drop()
                return None
        try:
            (millis,) = unwrap_msg(reply)
        except (DBusErrorResponse, ValueError, TypeError):  # Mutter gone, or not a uint64
            return None
        return float(millis) / 1000.0

    def _drop(self) -> None:
        conn, self._conn = self._conn, None
        if conn is not None:
            with contextlib.suppress(OSError):
                conn.close()

    def close(self) -> None:
        """Close the session bus connection."""
        with self._lock:
            self._drop()


@cache
def _lastinputinfo() -> type[ctypes.Structure]:
    """GetLastInputInfo's structure, made on first use: ctypes only on Windows (issue 15)."""
    import ctypes

    class LASTINPUTINFO(ctypes.Structure):
        _fields_ = [("cbSize", ctypes.c_uint32), ("dwTime", ctypes.c_uint32)]

    return LASTINPUTINFO


def __getattr__(name: str) -> type[ctypes.Structure]:
    """`LASTINPUTINFO`, made when first asked for."""
    if name == "LASTINPUTINFO":
        return _lastinputinfo()
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


class WindowsIdle:
    """Seconds since the last input of this Windows session (GetLastInputInfo); `user32`
    and `kernel32` are injectable for tests."""

    kind = "windows"

    def __init__(self, user32: Any = None, kernel32: Any = None) -> None:
        if user32 is None or kernel32 is None:
            import ctypes

            dlls = vars(ctypes).get("windll")  # only Windows has it
            if dlls is None:
                raise RuntimeError("GetLastInputInfo exists only on Windows")
            user32, kernel32 = dlls.user32, dlls.kernel32
        self._user32 = user32
        self._kernel32 = kernel32

    def __call__(self) -> float | None:
        import ctypes

        struct = _lastinputinfo()
        info = struct()
        info.cbSize = ctypes.sizeof(struct)
        if not self._user32.GetLastInputInfo(ctypes.byref(info)):
            return None
        now = int(self._kernel32.GetTickCount()) & 0xFFFFFFFF
        return ((now - int(info.dwTime)) & 0xFFFFFFFF) / 1000.0  # both wrap after 49.7 days

    def close(self) -> None:
        """Nothing to release."""


def idle_reader(
    env: dict[str, str] | None = None, tk: TkRunner | None = None
) -> IdleSource | None:
    """The idle source of this desktop: Windows; on Wayland Mutter's monitor; on X11 the
    XScreenSaver extension (through Tk's connection when `tk` is given and can, else one of
    its own); else None (nothing is reported: the session counts as in use)."""
    if os_name() == "windows":  # not current(): it loads psutil, which the tray does without
        try:
            return WindowsIdle()
        except (RuntimeError, OSError, AttributeError):
            return None
    env = dict(os.environ if env is None else env)
    if env.get("WAYLAND_DISPLAY") or env.get("XDG_SESSION_TYPE") == "wayland":
        try:
            return MutterIdle(env.get("DBUS_SESSION_BUS_ADDRESS") or "SESSION")
        except RuntimeError:
            return None
    display = env.get("DISPLAY")
    if display:
        if tk is not None:
            try:
                return TkIdle(tk)
            except RuntimeError:
                pass
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
