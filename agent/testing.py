"""Fakes for tests of the layers above: keyring, lockout store, process and session sources
in memory."""

from __future__ import annotations

import dataclasses
import threading
from collections.abc import Collection, Iterable
from typing import Any

from keyring.backend import KeyringBackend
from keyring.compat import properties
from keyring.errors import PasswordDeleteError

from agent.i18n import _
from agent.platform.probe import ExeIdentity
from agent.platform.sessions.base import SessionCapabilities, SessionGone, SessionInfo
from agent.security.pin.lockout import LockoutState
from agent.security.root_keyring import UNPICKABLE
from rules.model import ProcessInfo

__all__ = ["FakeSessions", "FakeSource", "MemoryKeyring", "MemoryLockoutStore"]


class MemoryKeyring(KeyringBackend):
    """Secrets in a dict, for tests; never picked automatically."""

    @properties.classproperty
    def priority(cls) -> float:
        """Never picked automatically."""
        return UNPICKABLE

    def __init__(self) -> None:
        super().__init__()  # type: ignore[no-untyped-call]  # keyring's base is untyped
        self._items: dict[tuple[str, str], str] = {}
        self._lock = threading.Lock()

    def get_password(self, service: str, username: str) -> str | None:
        """The secret stored for (service, username), or None."""
        with self._lock:
            return self._items.get((service, username))

    def set_password(self, service: str, username: str, password: str) -> None:
        """Store a secret."""
        with self._lock:
            self._items[(service, username)] = password

    def delete_password(self, service: str, username: str) -> None:
        """Remove a secret; PasswordDeleteError when there is none."""
        with self._lock:
            if self._items.pop((service, username), None) is None:
                raise PasswordDeleteError(_("No such secret."))


class MemoryLockoutStore:
    """A LockoutStore in memory, for tests."""

    def __init__(self, state: LockoutState | None = None) -> None:
        self.state = state or LockoutState()

    def load(self) -> LockoutState:
        """The current state."""
        return self.state

    def save(self, state: LockoutState) -> None:
        """Keep the state."""
        self.state = state


class FakeSource:
    """A settable list of processes, for tests of the pure core and the agent loop."""

    def __init__(self, processes: Iterable[ProcessInfo] = ()) -> None:
        self.processes: list[ProcessInfo] = list(processes)
        self.identities: dict[int, ExeIdentity] = {}  # pid -> the identity to report
        self.sizes: frozenset[int] = frozenset()
        self.closed = False

    def set(self, processes: Iterable[ProcessInfo]) -> None:
        """Replace every process."""
        self.processes = list(processes)

    def add(self, *processes: ProcessInfo) -> None:
        """Start processes."""
        self.processes.extend(processes)

    def remove(self, pid: int) -> None:
        """End the process with this pid (no error when absent)."""
        self.processes = [p for p in self.processes if p.pid != pid]

    def snapshot(self) -> list[ProcessInfo]:
        """A copy of the current list."""
        return list(self.processes)

    def watch(self, pids: Iterable[int]) -> None:
        """Remember the watched pids (a list has nothing to re-check)."""
        self.watched = frozenset(pids)

    def identity(self, pid: int) -> ExeIdentity | None:
        """The identity set for pid in `identities`, if any."""
        return self.identities.get(pid)

    def know_sizes(self, sizes: Collection[int]) -> None:
        """Remember the sizes the agent asks to look out for."""
        self.sizes = frozenset(sizes)

    def close(self) -> None:
        """Note that the agent let the source go."""
        self.closed = True

class FakeSessions:
    """An in-memory session source that records what it was asked to do.

    `calls` lists ("lock" | "logout" | "kill", session id) in order; a session in
    `survives_logout` outlives logout() (as some KDE sessions do) until kill().
    """

    capabilities = SessionCapabilities(
        lock=True, logout=True, force_logout=True, reports_locked=True, reports_idle=True
    )

    def __init__(self, sessions: Iterable[SessionInfo] = ()) -> None:
        self._sessions: dict[str, SessionInfo] = {s.id: s for s in sessions}
        self.calls: list[tuple[str, str]] = []
        self.survives_logout: set[str] = set()
        self.broken: Exception | None = None  # raised by every call when set
        self._lock = threading.Lock()

    def add(self, info: SessionInfo) -> None:
        """A new session (or a replaced one with the same id)."""
        with self._lock:
            self._sessions[info.id] = info

    def update(self, session_id: str, **changes: Any) -> None:
        """Change fields of a session (locked=..., idle_seconds=..., active=...)."""
        with self._lock:
            self._sessions[session_id] = dataclasses.replace(self._sessions[session_id], **changes)

    def remove(self, session_id: str) -> None:
        """The session ended."""
        with self._lock:
            self._sessions.pop(session_id, None)

    def sessions(self) -> list[SessionInfo]:
        """Every session now."""
        with self._lock:
            if self.broken is not None:
                raise self.broken
            return list(self._sessions.values())

    def _known(self, session_id: str) -> None:
        if self.broken is not None:
            raise self.broken
        if session_id not in self._sessions:
            raise SessionGone(f"no session {session_id}")

    def lock(self, session_id: str) -> None:
        """Record the lock; the session shows as locked."""
        with self._lock:
            self._known(session_id)
            self.calls.append(("lock", session_id))
            self._sessions[session_id] = dataclasses.replace(
                self._sessions[session_id], locked=True
            )

    def logout(self, session_id: str) -> None:
        """Record the logout; the session ends unless it is in `survives_logout`."""
        with self._lock:
            self._known(session_id)
            self.calls.append(("logout", session_id))
            if session_id not in self.survives_logout:
                del self._sessions[session_id]

    def kill(self, session_id: str) -> None:
        """Record the kill; the session ends."""
        with self._lock:
            self._known(session_id)
            self.calls.append(("kill", session_id))
            del self._sessions[session_id]

    def close(self) -> None:
        """Nothing to release."""
