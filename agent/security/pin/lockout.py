"""The PIN lockout: how long to wait after wrong tries, and where the count is kept."""

from __future__ import annotations

import json
import os
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol

from agent.i18n import _
from agent.platform.files import atomic_write
from agent.security.pin.errors import LockoutStoreError

__all__ = [
    "DEFAULT_LOCKOUT",
    "FileLockoutStore",
    "Lockout",
    "LockoutState",
    "LockoutStore",
    "LockoutStoreError",
]




@dataclass(frozen=True)
class Lockout:
    """The wait after wrong tries: `free_tries` free, then `first_wait` doubling to `max_wait`."""

    free_tries: int = 5
    first_wait: float = 30.0
    max_wait: float = 3600.0

    def delay(self, failures: int) -> float:
        """The lockout that follows the given number of consecutive wrong tries."""
        if failures < self.free_tries:
            return 0.0
        return min(self.max_wait, self.first_wait * 2.0 ** min(failures - self.free_tries, 64))

    def wait(self, failures: int, last_failure: float | None, now: float) -> float:
        """Seconds still to wait at `now`; a clock set back never lengthens the wait."""
        if last_failure is None:
            return 0.0
        delay = self.delay(failures)
        return max(0.0, min(delay, last_failure + delay - now))


DEFAULT_LOCKOUT = Lockout()


@dataclass(frozen=True)
class LockoutState:
    """Consecutive wrong tries, and when the lockout they caused ends (epoch seconds)."""

    failures: int = 0
    locked_until: float | None = None


class LockoutStore(Protocol):
    """Where the failure count survives restarts (a file, or later the agent's ledger)."""

    def load(self) -> LockoutState:
        """The persisted state (no failures when nothing was saved)."""
        ...

    def save(self, state: LockoutState) -> None:
        """Persist the state durably before returning."""
        ...


class FileLockoutStore:
    """A LockoutStore in a private JSON file, written atomically."""

    def __init__(self, path: str | os.PathLike[str]) -> None:
        self.path = Path(path)

    def load(self) -> LockoutState:
        """The saved state; LockoutStoreError when the file is damaged (fail closed)."""
        try:
            doc = json.loads(self.path.read_bytes().decode("utf-8"))
        except FileNotFoundError:
            return LockoutState()
        except (OSError, ValueError) as exc:
            raise self._damaged(exc) from exc
        if not isinstance(doc, dict):
            raise self._damaged(ValueError("not an object"))
        failures, until = doc.get("failures"), doc.get("locked_until")
        if type(failures) is not int or failures < 0 or type(until) not in (int, float, type(None)):
            raise self._damaged(ValueError("unexpected content"))
        return LockoutState(failures, None if until is None else float(until))

    def save(self, state: LockoutState) -> None:
        """Write the state atomically (file 0600, parent created 0700 when missing)."""
        self.path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
        doc = {"version": 1, "failures": state.failures, "locked_until": state.locked_until}
        atomic_write(self.path, json.dumps(doc).encode("utf-8"))

    def _damaged(self, exc: Exception) -> LockoutStoreError:
        msg = _("The PIN lockout file {path} is damaged ({error}); an admin PIN reset clears it.")
        return LockoutStoreError(msg.format(path=self.path, error=exc))
