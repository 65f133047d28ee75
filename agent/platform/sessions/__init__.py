"""Login sessions, one face per OS: `session_source()` picks it (None where there is none)."""

from __future__ import annotations

import sys

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
    if sys.platform == "win32":
        from agent.platform.sessions.windows import WindowsSessions

        return WindowsSessions()
    if sys.platform == "darwin":
        from agent.platform.sessions.macos import MacSessions

        return MacSessions()
    if sys.platform.startswith("linux"):
        from agent.platform.sessions.linux import LogindSessions

        return LogindSessions()
    return None
