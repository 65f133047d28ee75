"""Login sessions of the computer: who sits at it, whether it is locked or idle, and how to
lock or end a session. One face per OS (linux.py, windows.py, macos.py); all errors are the
platform's own (agent.platform.base)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol

from agent.platform.base import PlatformError

__all__ = [
    "SessionCapabilities",
    "SessionChanges",
    "SessionGone",
    "SessionInfo",
    "SessionSource",
]


class SessionGone(PlatformError):
    """The session no longer exists (logged out meanwhile)."""


@dataclass(frozen=True)
class SessionInfo:
    """One login session as the OS reports it.

    `locked` and `idle_seconds` are None when this source cannot tell; the agent then asks
    the child's tray, and when the tray does not answer either, the session counts as
    unlocked and in use (fail closed).
    """

    id: str
    user: str  # the account name, without a domain
    uid: int | None = None
    seat: str = ""  # "seat0", "console", a WTS station name; "" when none
    active: bool = True  # in the foreground of its seat/console (not a switched-away session)
    locked: bool | None = None
    idle_seconds: float | None = None  # seconds since the last input; None: unknown
    kind: str = ""  # "x11", "wayland", "tty", "rdp", "console", ...
    session_class: str = "user"  # "user", "greeter", "lock-screen", "background"
    remote: bool = False
    inhibited: bool = False  # its user holds an idle inhibitor (a video playing)

    @property
    def is_user(self) -> bool:
        """A person's session (not a greeter, lock screen or background service)."""
        return self.session_class == "user"


@dataclass(frozen=True)
class SessionCapabilities:
    """What a session source can tell and do, so callers branch on features, not OS names."""

    lock: bool  # lock() shows the lock screen
    logout: bool  # logout() asks the session to end
    force_logout: bool  # kill() ends it when it does not go
    reports_locked: bool  # SessionInfo.locked is filled in
    reports_idle: bool  # SessionInfo.idle_seconds is filled in (when the desktop sets it)
    signals: bool = False  # can wake a waiter on changes instead of polling


class SessionChanges(Protocol):
    """Hears the OS say that a session changed (lock, idle, foreground, a new or ended one)."""

    def wait(self, timeout: float) -> bool:
        """True as soon as something changed since the last call; False after `timeout`."""
        ...

    def close(self) -> None:
        """Stop listening."""
        ...


class SessionSource(Protocol):
    """The sessions of this computer; every method raises PlatformError (or a subclass)."""

    capabilities: SessionCapabilities

    def sessions(self) -> list[SessionInfo]:
        """Every login session now."""
        ...

    def lock(self, session_id: str) -> None:
        """Lock the session's screen."""
        ...

    def logout(self, session_id: str) -> None:
        """End the session the polite way (apps may save)."""
        ...

    def kill(self, session_id: str) -> None:
        """End the session by force (after logout() did not)."""
        ...

    def close(self) -> None:
        """Release connections."""
        ...
