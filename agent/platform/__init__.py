"""One face per OS: `current()` picks the implementation; nothing else looks at sys.platform."""

from __future__ import annotations

import functools
import sys
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from agent.platform.base import (
        Capabilities,
        NotPermitted,
        Platform,
        PlatformError,
        ProcessGone,
    )

__all__ = [
    "Capabilities",
    "NotPermitted",
    "Platform",
    "PlatformError",
    "ProcessGone",
    "current",
    "os_name",
]
_TYPES = frozenset(__all__[:5])


def __getattr__(name: str) -> Any:
    # The platform's types come with psutil: loaded when first asked for, so that a process
    # that needs only `agent.platform.paths` (the tray) does without psutil (issue 15).
    if name in _TYPES:
        from agent.platform import base

        return getattr(base, name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


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


def os_name() -> str:
    """`current().capabilities.os` ("windows", "macos", "linux", "other") without psutil."""
    if sys.platform == "win32":
        return "windows"
    if sys.platform == "darwin":
        return "macos"
    return "linux" if sys.platform.startswith("linux") else "other"
