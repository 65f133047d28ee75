"""Login sessions, one face per OS: `session_source()` picks it (None where there is none)."""

from __future__ import annotations

from agent.platform import current
from agent.platform.sessions.base import (
    SessionCapabilities,
    SessionGone,
    SessionInfo,
    SessionSource,
)

__all__ = [
    "SessionCapabilities",
    "SessionGone",
    "SessionInfo",
    "SessionSource",
    "session_source",
]


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
