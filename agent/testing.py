"""Fakes for tests of the layers above: keyring, lockout store and process source in memory."""

from __future__ import annotations

import threading
from collections.abc import Collection, Iterable

from keyring.backend import KeyringBackend
from keyring.compat import properties
from keyring.errors import PasswordDeleteError

from agent.i18n import _
from agent.platform.probe import ExeIdentity
from agent.security.pin.lockout import LockoutState
from agent.security.root_keyring import UNPICKABLE
from rules.model import ProcessInfo

__all__ = ["FakeSource", "MemoryKeyring", "MemoryLockoutStore"]


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
