"""Login sessions, one face per OS: `session_source()` picks it (None where there is none),
and `session_changes()` hears its change signals where the OS sends them (logind)."""

from __future__ import annotations

import logging

from agent.platform import current
from agent.platform.base import PlatformError
from agent.platform.sessions.base import (
    SessionCapabilities,
    SessionChanges,
    SessionGone,
    SessionInfo,
    SessionSource,
)

__all__ = [
    "SessionCapabilities",
    "SessionChanges",
    "SessionGone",
    "SessionInfo",
    "SessionSource",
    "session_changes",
    "session_source",
]

log = logging.getLogger("playclock.sessions")


def session_source() -> SessionSource | None:
    """The session source of this OS: logind, WTS or the macOS console; None elsewhere."""
    os_name = current().capabilities.os
    if os_name == "windows":
        from agent.platform.sessions.windows import WindowsSessions

        return WindowsSessions()
    if os_name == "macos":
        from agent.platform.sessions.macos import MacSessions

        return MacSessions()
    if os_name == "linux":
        from agent.platform.sessions.linux import LogindSessions

        return LogindSessions()
    return None


def session_changes(source: SessionSource | None) -> SessionChanges | None:
    """The change signals of a source that has them (logind); None when it has none or they
    cannot be subscribed: the agent then sees changes at its next poll."""
    if source is None or not source.capabilities.signals:
        return None
    from agent.platform.sessions.linux import LogindChanges

    try:
        return LogindChanges()
    except PlatformError as exc:
        log.info("%s: session changes are seen at the next poll", exc)
        return None
