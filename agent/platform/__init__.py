"""One face per OS: `current()` picks the implementation; nothing else looks at sys.platform."""

from __future__ import annotations

import functools
import sys

from agent.platform.base import Capabilities, NotPermitted, Platform, PlatformError, ProcessGone

__all__ = ["Capabilities", "NotPermitted", "Platform", "PlatformError", "ProcessGone", "current"]


@functools.cache
def current() -> Platform:
    """The platform this interpreter runs on, created once."""
    if sys.platform == "win32":
        from agent.platform.windows import WindowsPlatform

        return WindowsPlatform()
    from agent.platform.posix import PosixPlatform

    if sys.platform == "darwin":
        return PosixPlatform("macos")
    if sys.platform.startswith("linux"):
        return PosixPlatform("linux")
    return PosixPlatform("other")
