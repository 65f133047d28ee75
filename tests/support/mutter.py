"""A private D-Bus session bus with python-dbusmock standing in for GNOME Mutter's idle monitor.

with mock_mutter() as mutter:          # os.environ is untouched; mutter.env has the address
    mutter.set_idle(600.0)              # GetIdletime() now answers 600000 (milliseconds)
    mutter.calls()                      # how often GetIdletime was called

The mock runs under a Python that has dbusmock (this one, else Debian's python3 with
python3-dbusmock); the code under test talks to it with jeepney like to the real Mutter.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import subprocess
import sys
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from tests.support.waiting import wait_until

__all__ = ["MockMutter", "mock_mutter", "mock_mutter_unavailable"]

NAME = "org.gnome.Mutter.IdleMonitor"
PATH = "/org/gnome/Mutter/IdleMonitor/Core"
MOCK_IFACE = "org.freedesktop.DBus.Mock"


def _mock_python() -> str | None:
    for py in (sys.executable, "/usr/bin/python3"):
        if os.path.exists(py):
            done = subprocess.run([py, "-c", "import dbusmock"], capture_output=True, timeout=30)
            if done.returncode == 0:
                return py
    return None


def mock_mutter_unavailable() -> str | None:
    """Why mock_mutter() cannot run here, or None."""
    if shutil.which("dbus-daemon") is None:
        return "dbus-daemon not installed (Debian: apt-get install dbus)"
    try:
        import jeepney  # noqa: F401
    except ImportError:
        return "Python package 'jeepney' not installed"
    if _mock_python() is None:
        return "python-dbusmock not found (Debian: python3-dbusmock)"
    return None


@dataclass
class MockMutter:
    """The running bus and mock; set the idle time it answers, read its calls."""

    address: str
    env: dict[str, str] = field(default_factory=dict)
    _conn: Any = None

    def _mock(self, method: str, sig: str = "", *args: Any) -> Any:
        from jeepney import DBusAddress, new_method_call
        from jeepney.wrappers import unwrap_msg

        msg = new_method_call(DBusAddress(PATH, NAME, MOCK_IFACE), method, sig or None, args)
        return unwrap_msg(self._conn.send_and_get_reply(msg, timeout=10))

    def set_idle(self, seconds: float) -> None:
        """GetIdletime answers `seconds` (as Mutter does: uint64 milliseconds) from now on."""
        code = f"ret = {int(seconds * 1000)}"
        self._mock("AddMethod", "sssss", NAME, "GetIdletime", "", "t", code)

    def calls(self) -> int:
        """How many times GetIdletime was called."""
        (calls,) = self._mock("GetMethodCalls", "s", "GetIdletime")
        return len(calls)


def _owned(conn: Any) -> bool:
    from jeepney import DBusAddress, new_method_call
    from jeepney.wrappers import unwrap_msg

    bus = DBusAddress("/org/freedesktop/DBus", "org.freedesktop.DBus", "org.freedesktop.DBus")
    msg = new_method_call(bus, "NameHasOwner", "s", (NAME,))
    return bool(unwrap_msg(conn.send_and_get_reply(msg, timeout=5))[0])


@contextlib.contextmanager
def mock_mutter(idle_seconds: float = 0.0) -> Iterator[MockMutter]:
    """Start a private session bus and the idle-monitor mock on it; stop both at the end."""
    from jeepney.io.blocking import open_dbus_connection

    python = _mock_python()
    assert python is not None, mock_mutter_unavailable()
    workdir = Path(tempfile.mkdtemp(prefix="playclock-mutter-"))
    address = f"unix:path={workdir / 'session_bus_socket'}"
    daemon = subprocess.Popen(
        ["dbus-daemon", "--session", "--nofork", "--nopidfile", f"--address={address}"],
        stdout=subprocess.DEVNULL,
        stderr=open(workdir / "dbus.log", "wb"),  # noqa: SIM115
    )
    mock: subprocess.Popen[bytes] | None = None
    conn: Any = None
    try:
        wait_until(lambda: (workdir / "session_bus_socket").exists(), 10, message="bus socket")
        env = dict(os.environ, DBUS_SESSION_BUS_ADDRESS=address)
        mock = subprocess.Popen(
            [python, "-m", "dbusmock", "--session", NAME, PATH, NAME],
            env=env,
            stdout=open(workdir / "mock.log", "wb"),  # noqa: SIM115
            stderr=subprocess.STDOUT,
        )
        conn = open_dbus_connection(address)
        wait_until(lambda: mock.poll() is not None or _owned(conn), 20, message="Mutter mock")
        if mock.poll() is not None:
            raise RuntimeError(f"dbusmock exited: {(workdir / 'mock.log').read_text()[-2000:]}")
        mutter = MockMutter(address, {"DBUS_SESSION_BUS_ADDRESS": address}, conn)
        mutter.set_idle(idle_seconds)
        yield mutter
    finally:
        if conn is not None:
            conn.close()
        for proc in (mock, daemon):
            if proc is not None and proc.poll() is None:
                proc.terminate()
                try:
                    proc.wait(10)
                except subprocess.TimeoutExpired:
                    proc.kill()
                    proc.wait()
        shutil.rmtree(workdir, ignore_errors=True)
