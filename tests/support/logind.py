"""A private D-Bus "system" bus with python-dbusmock's logind template, for tests.

with mock_logind() as logind:          # os.environ is untouched; logind.env has the address
    logind.add_session("c2", "seat0", 1001, "an", active=True)
    logind.set_session("c2", IdleHint=True)
    logind.calls("c2", "Lock")          # recorded method calls

The mock server runs under a Python that has dbusmock and its logind template (which
needs dbus-python and PyGObject): this one, else Debian's python3 with python3-dbusmock.
The code under test talks to it with jeepney like to the real logind.
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

__all__ = ["MockLogind", "mock_logind", "mock_logind_unavailable"]

LOGIND = "org.freedesktop.login1"
MOCK_IFACE = "org.freedesktop.DBus.Mock"
MANAGER_PATH = "/org/freedesktop/login1"
SESSION_IFACE = "org.freedesktop.login1.Session"

# Property types of the logind Session interface that set_session may change.
_TYPES = {
    "Active": "b",
    "IdleHint": "b",
    "LockedHint": "b",
    "Remote": "b",
    "IdleSinceHint": "t",
    "IdleSinceHintMonotonic": "t",
    "Type": "s",
    "Class": "s",
    "State": "s",
}


def _mock_python() -> str | None:
    """A Python that can run dbusmock's logind template, or None."""
    probe = "import dbusmock.templates.logind"
    for py in (sys.executable, "/usr/bin/python3"):
        if not os.path.exists(py):
            continue
        done = subprocess.run([py, "-c", probe], capture_output=True, timeout=30)
        if done.returncode == 0:
            return py
    return None


def mock_logind_unavailable() -> str | None:
    """Why mock_logind() cannot run here, or None."""
    if shutil.which("dbus-daemon") is None:
        return "dbus-daemon not installed (Debian: apt-get install dbus)"
    try:
        import jeepney  # noqa: F401
    except ImportError:
        return "Python package 'jeepney' not installed"
    if _mock_python() is None:
        return "python-dbusmock with its logind template not found (Debian: python3-dbusmock)"
    return None


@dataclass
class MockLogind:
    """The running bus and mock; helpers to drive it and read what was called."""

    address: str
    workdir: Path
    env: dict[str, str] = field(default_factory=dict)
    _conn: Any = None

    def _call(self, path: str, iface: str, method: str, sig: str = "", *args: Any) -> Any:
        from jeepney import DBusAddress, new_method_call
        from jeepney.wrappers import unwrap_msg

        msg = new_method_call(DBusAddress(path, LOGIND, iface), method, sig or None, args)
        return unwrap_msg(self._conn.send_and_get_reply(msg, timeout=10))

    @staticmethod
    def session_path(session_id: str) -> str:
        return f"/org/freedesktop/login1/session/{session_id}"

    def add_session(
        self, session_id: str, seat: str, uid: int, user: str, active: bool = True
    ) -> str:
        """A new session (its seat and user too); returns its object path. Like logind, the
        manager then signals SessionNew (the template does not)."""
        (path,) = self._call(
            MANAGER_PATH, MOCK_IFACE, "AddSession", "ssusb", session_id, seat, uid, user, active
        )
        self._manager_signal("SessionNew", session_id, str(path))
        return str(path)

    def _manager_signal(self, name: str, session_id: str, path: str) -> None:
        self._call(
            MANAGER_PATH,
            MOCK_IFACE,
            "EmitSignal",
            "sssav",
            "org.freedesktop.login1.Manager",
            name,
            "so",
            [("s", session_id), ("o", path)],
        )

    def set_session(self, session_id: str, **props: Any) -> None:
        """Change session properties (emits PropertiesChanged like logind)."""
        changes = {name: (_TYPES[name], value) for name, value in props.items()}
        self._call(
            self.session_path(session_id),
            MOCK_IFACE,
            "UpdateProperties",
            "sa{sv}",
            SESSION_IFACE,
            changes,
        )

    def inhibit(self, what: str, who: str, why: str, mode: str) -> int:
        """Manager.Inhibit; returns the inhibitor's fd (closing it releases the inhibitor).

        The template files every inhibitor under uid 1000."""
        (fd,) = self._call(
            MANAGER_PATH, "org.freedesktop.login1.Manager", "Inhibit", "ssss", what, who, why, mode
        )
        return int(fd.to_raw_fd())

    def remove_session(self, session_id: str) -> None:
        path = self.session_path(session_id)
        self._call(MANAGER_PATH, MOCK_IFACE, "RemoveObject", "o", path)
        self._manager_signal("SessionRemoved", session_id, path)

    def calls(self, session_id: str | None, method: str) -> list[tuple[Any, ...]]:
        """Arguments of each recorded call of method on a session (None: the manager)."""
        path = MANAGER_PATH if session_id is None else self.session_path(session_id)
        (calls,) = self._call(path, MOCK_IFACE, "GetMethodCalls", "s", method)
        return [tuple(v for _sig, v in args) for _ts, args in calls]

    def clear_calls(self, session_id: str | None = None) -> None:
        path = MANAGER_PATH if session_id is None else self.session_path(session_id)
        self._call(path, MOCK_IFACE, "ClearCalls")

    def fix_manager(self) -> None:
        """Make the template's manager closer to logind: KillSession takes (ssi), and
        GetSession fails with NoSuchSession for an unknown id."""
        get_session = (
            'path = "/org/freedesktop/login1/session/" + args[0]\n'
            "if path not in objects:\n"
            '    raise dbus.exceptions.DBusException("No session " + args[0], '
            'name="org.freedesktop.login1.NoSuchSession")\n'
            "ret = path"
        )
        self._call(
            MANAGER_PATH,
            MOCK_IFACE,
            "AddMethod",
            "sssss",
            "org.freedesktop.login1.Manager",
            "GetSession",
            "s",
            "o",
            get_session,
        )
        self._call(
            MANAGER_PATH,
            MOCK_IFACE,
            "AddMethod",
            "sssss",
            "org.freedesktop.login1.Manager",
            "KillSession",
            "ssi",
            "",
            "",
        )


def _owned(conn: Any) -> bool:
    from jeepney import DBusAddress, new_method_call
    from jeepney.wrappers import unwrap_msg

    bus = DBusAddress("/org/freedesktop/DBus", "org.freedesktop.DBus", "org.freedesktop.DBus")
    msg = new_method_call(bus, "NameHasOwner", "s", (LOGIND,))
    return bool(unwrap_msg(conn.send_and_get_reply(msg, timeout=5))[0])


@contextlib.contextmanager
def mock_logind() -> Iterator[MockLogind]:
    """Start a private bus and the logind mock on it; stop both at the end."""
    from jeepney.io.blocking import open_dbus_connection

    python = _mock_python()
    assert python is not None, mock_logind_unavailable()
    workdir = Path(tempfile.mkdtemp(prefix="playclock-logind-"))
    address = f"unix:path={workdir / 'system_bus_socket'}"
    daemon = subprocess.Popen(
        ["dbus-daemon", "--session", "--nofork", "--nopidfile", f"--address={address}"],
        stdout=subprocess.DEVNULL,
        stderr=open(workdir / "dbus.log", "wb"),  # noqa: SIM115
    )
    mock: subprocess.Popen[bytes] | None = None
    conn: Any = None
    try:
        wait_until(lambda: (workdir / "system_bus_socket").exists(), 10, message="bus socket")
        env = dict(os.environ, DBUS_SYSTEM_BUS_ADDRESS=address)
        env.pop("DBUS_SESSION_BUS_ADDRESS", None)
        mock = subprocess.Popen(
            [python, "-m", "dbusmock", "--system", "--template", "logind"],
            env=env,
            stdout=open(workdir / "mock.log", "wb"),  # noqa: SIM115
            stderr=subprocess.STDOUT,
        )
        conn = open_dbus_connection(address, enable_fds=True)
        wait_until(lambda: mock.poll() is not None or _owned(conn), 20, message="logind mock")
        if mock.poll() is not None:
            raise RuntimeError(f"dbusmock exited: {(workdir / 'mock.log').read_text()[-2000:]}")
        logind = MockLogind(address, workdir, {"DBUS_SYSTEM_BUS_ADDRESS": address}, conn)
        logind.fix_manager()
        yield logind
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
