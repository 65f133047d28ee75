"""Bounded field types of the hub API: names, usage ids, seconds, ISO days and weeks."""

from __future__ import annotations

import re
import unicodedata
from datetime import date, datetime
from typing import Annotated, Any, Literal

from pydantic import AfterValidator, BeforeValidator, Field, Strict, StringConstraints

__all__ = [
    "MAX_APPS",
    "MAX_CATEGORIES",
    "MAX_CONSENTS",
    "SHARE_KINDS",
    "ChildName",
    "Count",
    "Email",
    "Id",
    "IsoDay",
    "IsoWeek",
    "Minutes",
    "Name",
    "Password",
    "Seconds",
    "ShareKind",
    "UsageId",
    "child_key",
]

MAX_APPS = 200
MAX_CATEGORIES = 50
MAX_CONSENTS = 20
SHARE_KINDS = ("total", "apps", "categories", "counts", "messages")
_CONTROL = re.compile(r"[\x00-\x1f\x7f-\x9f]")
_DAY_RE = re.compile(r"^\d{4}-\d{2}-\d{2}$")
_WEEK_RE = re.compile(r"^(\d{4})-W(\d{2})$")


def _clean_name(value: str) -> str:
    value = unicodedata.normalize("NFC", value).strip()
    if _CONTROL.search(value) or "/" in value:
        raise ValueError("must not contain control characters or '/'")
    if not value:
        raise ValueError("must not be blank")
    return value


def _iso_day(value: Any) -> Any:
    if isinstance(value, date) and not isinstance(value, datetime):
        return value
    if not isinstance(value, str) or not _DAY_RE.match(value):
        raise ValueError("must be an ISO date YYYY-MM-DD")
    return date.fromisoformat(value)


def _iso_week(value: str) -> str:
    match = _WEEK_RE.match(value)
    if not match:
        raise ValueError("must be an ISO week YYYY-Www, e.g. 2026-W48")
    try:
        date.fromisocalendar(int(match[1]), int(match[2]), 7)  # its Sunday exists too
    except ValueError:
        raise ValueError(f"{value} is not a week of {match[1]}") from None
    return value


def child_key(name: str) -> str:
    """The case-insensitive key a child name is matched by (as in rules.toml)."""
    return unicodedata.normalize("NFC", name).casefold()


Name = Annotated[str, StringConstraints(min_length=1, max_length=100), AfterValidator(_clean_name)]
ChildName = Annotated[
    str, StringConstraints(min_length=1, max_length=64), AfterValidator(_clean_name)
]
# App, category and limit ids as in rules.toml: no spaces, slashes or colons, so no title,
# path or URL can be smuggled in as a key.
UsageId = Annotated[str, StringConstraints(pattern=r"^[A-Za-z0-9][A-Za-z0-9_.\-]{0,63}$")]
Seconds = Annotated[int, Strict(), Field(ge=0, le=86_400)]
Count = Annotated[int, Strict(), Field(ge=0, le=100_000)]
Minutes = Annotated[int, Strict(), Field(ge=1, le=1_440)]
IsoDay = Annotated[date, BeforeValidator(_iso_day)]
IsoWeek = Annotated[str, AfterValidator(_iso_week)]
Email = Annotated[
    str,
    StringConstraints(strip_whitespace=True, to_lower=True, max_length=254,
                      pattern=r"^[^@\s]{1,64}@[^@\s]+\.[^@\s]+$"),
]
Password = Annotated[str, StringConstraints(min_length=8, max_length=256)]
Id = Annotated[int, Strict(), Field(ge=1, le=2**62)]
ShareKind = Literal["total", "apps", "categories", "counts", "messages"]
