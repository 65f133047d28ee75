"""Linux: systemd-logind over the system D-Bus, spoken with jeepney (pure Python, no GTK).

`org.freedesktop.login1`: Manager.ListSessions, each session's properties (Active,
LockedHint, IdleHint, IdleSinceHint, Type, Class, User, Seat), Session.Lock,
Manager.TerminateSession and Manager.KillSession. DBUS_SYSTEM_BUS_ADDRESS picks the bus
(tests point it at a private bus with python-dbusmock's logind template).

`LogindChanges` hears logind's signals (a session's PropertiesChanged, Manager.SessionNew and
SessionRemoved) on a connection of its own, so that the agent looks at once instead of at its
next poll; polling stays the fallback when they cannot be subscribed.
"""

from __future__ import annotations

import contextlib
import dataclasses
import logging
import signal
import threading
import time
from collections.abc import Callable
from typing import Any

from agent.platform.base import NotPermitted, PlatformError
from agent.platform.sessions.base import SessionCapabilities, SessionGone, SessionInfo

__all__ = ["LOGIND", "LogindChanges", "LogindSessions"]

log = logging.getLogger("playclock.sessions")

LOGIND = "org.freedesktop.login1"
MANAGER_PATH = "/org/freedesktop/login1"
MANAGER = "org.freedesktop.login1.Manager"
SESSION = "org.freedesktop.login1.Session"

_DENIED = (
    "org.freedesktop.DBus.Error.AccessDenied",
    "org.freedesktop.DBus.Error.InteractiveAuthorizationRequired",
    "org.freedesktop.login1.NotPermitted",  # not a real logind name, but harmless
)
_GONE = (
    "org.freedesktop.login1.NoSuchSession",
    "org.freedesktop.DBus.Error.UnknownObject",
    "org.freedesktop.DBus.Error.UnknownMethod",  # the object went away between calls
)


def _plain(value: Any) -> Any:
    """jeepney returns variants as (signature, value); keep the value."""
    if isinstance(value, tuple) and len(value) == 2 and isinstance(value[0], str):
        return value[1]
    return value


class LogindSessions:
    """The logind session source; one D-Bus connection, reopened after a failure."""

    capabilities = SessionCapabilities(
        lock=True,
        logout=True,
        force_logout=True,
        reports_locked=True,
        reports_idle=True,
        signals=True,
    )

    def __init__(
        self,
        timeout: float = 5.0,
        monotonic: Callable[[], float] = time.monotonic,
        wall: Callable[[], float] = time.time,
    ) -> None:
        self._timeout = timeout
        self._monotonic = monotonic
        self._wall = wall
        self._conn: Any = None
        self._lock = threading.Lock()

    # -- D-Bus plumbing ---------------------------------------------------------------------

    def _connection(self) -> Any:
        if self._conn is None:
            from jeepney.io.blocking import open_dbus_connection

            try:
                self._conn = open_dbus_connection(bus="SYSTEM")
            except (OSError, ValueError, KeyError) as exc:
                raise PlatformError(f"the system D-Bus is not reachable: {exc}") from exc
        return self._conn

    def _call(self, path: str, interface: str, method: str, sig: str = "", *args: Any) -> Any:
        from jeepney import DBusAddress, new_method_call
        from jeepney.wrappers import DBusErrorResponse, unwrap_msg

        msg = new_method_call(DBusAddress(path, LOGIND, interface), method, sig or None, args)
        with self._lock:
            try:
                reply = self._connection().send_and_get_reply(msg, timeout=self._timeout)
            except (OSError, TimeoutError, ConnectionError) as exc:
                self._drop()
                raise PlatformError(f"logind {method}: {exc}") from exc
        try:
            return unwrap_msg(reply)
        except DBusErrorResponse as exc:
            detail = f"logind {method}: {exc.name}: {' '.join(map(str, exc.data))}".strip()
            if exc.name in _DENIED:
                raise NotPermitted(detail) from exc
            if exc.name in _GONE:
                raise SessionGone(detail) from exc
            if exc.name == "org.freedesktop.DBus.Error.ServiceUnknown":
                raise PlatformError(f"logind is not running ({exc.name})") from exc
            raise PlatformError(detail) from exc

    def _drop(self) -> None:
        conn, self._conn = self._conn, None
        if conn is not None:
            with contextlib.suppress(OSError):
                conn.close()

    def close(self) -> None:
        """Close the D-Bus connection (a later call opens a new one)."""
        with self._lock:
            self._drop()

    # -- facts -----------------------------------------------------------------------------

    def sessions(self) -> list[SessionInfo]:
        """Every session logind knows, with its lock and idle state."""
        (listed,) = self._call(MANAGER_PATH, MANAGER, "ListSessions")
        inhibiting = self._idle_inhibitors()
        out: list[SessionInfo] = []
        for session_id, uid, user, seat, path in listed:
            try:
                (props,) = self._call(
                    path, "org.freedesktop.DBus.Properties", "GetAll", "s", SESSION
                )
            except SessionGone:
                continue  # ended between the list and the look
            info = self._info(session_id, int(uid), user, seat, props)
            if int(uid) in inhibiting:
                info = dataclasses.replace(info, inhibited=True)
            out.append(info)
        return out

    def _idle_inhibitors(self) -> set[int]:
        """Uids holding a blocking "idle" inhibitor (ListInhibitors: what, who, why, mode,
        uid, pid); an older logind without the call gives none."""
        try:
            (listed,) = self._call(MANAGER_PATH, MANAGER, "ListInhibitors")
        except SessionGone:  # UnknownMethod
            return set()
        return {
            int(uid)
            for what, _who, _why, mode, uid, _pid in listed
            if "idle" in str(what).split(":") and mode == "block"
        }

    def _info(
        self, session_id: str, uid: int, user: str, seat: str, props: dict[str, Any]
    ) -> SessionInfo:
        p = {k: _plain(v) for k, v in props.items()}
        idle: float | None = 0.0
        if p.get("IdleHint"):
            idle = self._idle_for(p)
        locked = p.get("LockedHint")
        return SessionInfo(
            id=str(session_id),
            user=str(p.get("Name") or user),
            uid=uid,
            seat=str(seat or ""),
            active=bool(p.get("Active", False)),
            locked=None if locked is None else bool(locked),
            idle_seconds=idle,
            kind=str(p.get("Type", "")),
            session_class=str(p.get("Class", "user")),
            remote=bool(p.get("Remote", False)),
        )

    def _idle_for(self, p: dict[str, Any]) -> float:
        """Seconds since the session went idle (IdleSinceHint*, microseconds)."""
        mono = int(p.get("IdleSinceHintMonotonic") or 0)
        if mono > 0:
            return max(0.0, self._monotonic() - mono / 1e6)
        wall = int(p.get("IdleSinceHint") or 0)
        if wall > 0:
            return max(0.0, self._wall() - wall / 1e6)
        return 0.0  # idle, since an unknown time: treat as just now

    # -- actions ---------------------------------------------------------------------------

    def _path(self, session_id: str) -> str:
        (path,) = self._call(MANAGER_PATH, MANAGER, "GetSession", "s", session_id)
        return str(path)

    def lock(self, session_id: str) -> None:
        """Session.Lock: the desktop shows its lock screen."""
        self._call(self._path(session_id), SESSION, "Lock")

    def logout(self, session_id: str) -> None:
        """Manager.TerminateSession: the session's processes get SIGTERM, then SIGKILL."""
        self._call(MANAGER_PATH, MANAGER, "TerminateSession", "s", session_id)

    def kill(self, session_id: str) -> None:
        """Manager.KillSession(id, "all", SIGKILL): for sessions that survive TerminateSession."""
        self._call(
            MANAGER_PATH, MANAGER, "KillSession", "ssi", session_id, "all", int(signal.SIGKILL)
        )


SESSIONS_PATH = "/org/freedesktop/login1/session"
PROPERTIES = "org.freedesktop.DBus.Properties"
# The session properties that change what `screen` counts or does.
_WATCHED = frozenset(
    {"Active", "LockedHint", "IdleHint", "IdleSinceHint", "IdleSinceHintMonotonic", "State"}
)
RESUBSCRIBE_SECONDS = 5.0


def _rules() -> list[Any]:
    from jeepney.bus_messages import MatchRule

    return [
        MatchRule(
            type="signal",
            sender=LOGIND,
            interface=PROPERTIES,
            member="PropertiesChanged",
            path_namespace=SESSIONS_PATH,
        ),
        MatchRule(type="signal", sender=LOGIND, interface=MANAGER, member="SessionNew"),
        MatchRule(type="signal", sender=LOGIND, interface=MANAGER, member="SessionRemoved"),
    ]


def _relevant(msg: Any) -> bool:
    """A new or ended session, or a change of a watched property of one."""
    from jeepney.low_level import HeaderFields, MessageType

    header = msg.header
    if header.message_type != MessageType.signal:
        return False
    member = header.fields.get(HeaderFields.member)
    if member in ("SessionNew", "SessionRemoved"):
        return True
    if member != "PropertiesChanged" or len(msg.body) < 3:
        return False
    interface, changed, invalidated = msg.body[:3]
    return interface == SESSION and bool(_WATCHED & (set(changed) | set(invalidated)))


class LogindChanges:
    """logind's change signals on a system-bus connection of its own, heard by a daemon
    thread; `wait` returns as soon as one came. Raises PlatformError when they cannot be
    subscribed (the caller then polls only); a connection lost later is subscribed again
    every RESUBSCRIBE_SECONDS, and its loss counts as a change (nothing was heard meanwhile).
    """

    def __init__(self, bus: str = "SYSTEM", retry: float = RESUBSCRIBE_SECONDS) -> None:
        self._bus = bus
        self._retry = retry
        self._cond = threading.Condition()
        self._changed = False
        self._stopped = threading.Event()
        self._conn: Any = self._subscribe()
        self._thread = threading.Thread(
            target=self._run, name="playclock-logind-signals", daemon=True
        )
        self._thread.start()

    def _subscribe(self) -> Any:
        from jeepney.bus_messages import message_bus
        from jeepney.io.blocking import open_dbus_connection
        from jeepney.wrappers import DBusErrorResponse, unwrap_msg

        conn: Any = None
        try:
            conn = open_dbus_connection(bus=self._bus)
            for rule in _rules():
                unwrap_msg(conn.send_and_get_reply(message_bus.AddMatch(rule), timeout=5))
        except (OSError, TimeoutError, ValueError, KeyError, DBusErrorResponse) as exc:
            if conn is not None:
                with contextlib.suppress(OSError):
                    conn.close()
            raise PlatformError(f"cannot hear logind's signals: {exc}") from exc
        return conn

    def _changed_now(self) -> None:
        with self._cond:
            self._changed = True
            self._cond.notify_all()

    def _run(self) -> None:
        while not self._stopped.is_set():
            if self._conn is None:
                if self._stopped.wait(self._retry):
                    return
                try:
                    self._conn = self._subscribe()
                except PlatformError:
                    continue
                log.info("logind's signals are heard again")
                self._changed_now()
                continue
            try:
                msg = self._conn.receive(timeout=1.0)
            except TimeoutError:
                continue
            except (OSError, ConnectionError, ValueError) as exc:
                if self._stopped.is_set():
                    return
                log.warning("logind's signals lost (%s); polling until they are back", exc)
                with contextlib.suppress(OSError):
                    self._conn.close()
                self._conn = None
                self._changed_now()
                continue
            if _relevant(msg):
                self._changed_now()

    def wait(self, timeout: float) -> bool:
        """True as soon as a session changed since the last call; False after `timeout`."""
        with self._cond:
            self._cond.wait_for(lambda: self._changed or self._stopped.is_set(), timeout)
            changed, self._changed = self._changed, False
            return changed

    def close(self) -> None:
        """Stop listening and close the connection."""
        self._stopped.set()
        with self._cond:
            self._cond.notify_all()
        self._thread.join(timeout=5)
        conn, self._conn = self._conn, None
        if conn is not None:
            with contextlib.suppress(OSError):
                conn.close()
