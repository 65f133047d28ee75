"""The local time zone, resolved once when the agent starts."""

from __future__ import annotations

import datetime as dt
import os
from pathlib import Path
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

__all__ = ["UnknownTimezone", "local_timezone", "resolve_timezone"]


class UnknownTimezone(ValueError):
    """A time zone name that this machine does not know."""


def local_timezone() -> dt.tzinfo:
    """The OS's zone (IANA when it can be found, so DST is right), else a fixed offset."""
    name = os.environ.get("TZ", "").lstrip(":")
    if name:
        try:
            return ZoneInfo(name)
        except (ZoneInfoNotFoundError, ValueError):
            pass
    link = Path("/etc/localtime")
    try:
        target = str(link.resolve())
        if "zoneinfo/" in target:
            return ZoneInfo(target.split("zoneinfo/", 1)[1])
    except (OSError, ZoneInfoNotFoundError, ValueError):
        pass
    tz = dt.datetime.now().astimezone().tzinfo
    return tz if tz is not None else dt.UTC


def resolve_timezone(setting: str) -> dt.tzinfo:
    """A setting ("auto" or an IANA name) as a tzinfo; UnknownTimezone when not known."""
    if setting in ("", "auto"):
        return local_timezone()
    try:
        return ZoneInfo(setting)
    except (ZoneInfoNotFoundError, ValueError) as exc:
        raise UnknownTimezone(setting) from exc
