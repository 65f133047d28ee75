"""Request bodies of the local API: every field bounded, windows parsed; unknown fields ignored."""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import Any, ClassVar

from agent.api.checks import Field, Flag, Number, Text, Texts, Whole
from agent.i18n import _
from rules.model import LimitSpec
from rules.timeutil import parse_window

__all__ = [
    "AnswerBody",
    "AskBody",
    "GrantBody",
    "IdleBody",
    "LimitBody",
    "PauseBody",
    "PinBody",
    "PinChangeBody",
]


@dataclass(frozen=True)
class PinBody:
    """A PIN, for logging in."""

    pin: str

    FIELDS: ClassVar[tuple[Field, ...]] = (Text("pin", min_length=1, max_length=256),)


@dataclass(frozen=True)
class GrantBody:
    """Bonus minutes for today."""

    child: str
    minutes: int
    target: str = "*"

    FIELDS: ClassVar[tuple[Field, ...]] = (
        Text("child", min_length=1, max_length=64),
        Text("target", "*", min_length=1, max_length=64),
        Whole("minutes", ge=-1440, le=1440),
    )


@dataclass(frozen=True)
class IdleBody:
    """A tray's report: seconds since the last keyboard or mouse input of its account."""

    idle_seconds: float

    FIELDS: ClassVar[tuple[Field, ...]] = (Number("idle_seconds", ge=0.0, le=10_000_000.0),)


@dataclass(frozen=True)
class PauseBody:
    """Pause or resume limits for today."""

    child: str
    paused: bool = True

    FIELDS: ClassVar[tuple[Field, ...]] = (
        Text("child", min_length=1, max_length=64),
        Flag("paused", True),
    )


@dataclass(frozen=True)
class AskBody:
    """A child's request for more time."""

    child: str
    minutes: int = 15
    message: str = ""

    FIELDS: ClassVar[tuple[Field, ...]] = (
        Text("child", min_length=1, max_length=64),
        Whole("minutes", 15, ge=5, le=240),
        Text("message", "", max_length=300),
    )


@dataclass(frozen=True)
class AnswerBody:
    """A parent's answer to a request."""

    approve: bool
    minutes: int | None = None

    FIELDS: ClassVar[tuple[Field, ...]] = (
        Flag("approve"),
        Whole("minutes", None, nullable=True, ge=1, le=1440),
    )


def _window_problem(text: str) -> str | None:
    if parse_window(text) is None:
        return _("expected windows as HH:MM-HH:MM, got {text!r}").format(text=text)
    return None


@dataclass(frozen=True)
class LimitBody:
    """A limit's budgets (minutes) and allowed windows; `sent` names the fields sent."""

    daily: int | None = None
    weekend: int | None = None
    allowed: list[str] | None = None
    sent: frozenset[str] = frozenset()

    FIELDS: ClassVar[tuple[Field, ...]] = (
        Whole("daily", None, nullable=True, ge=0, le=1440),
        Whole("weekend", None, nullable=True, ge=0, le=1440),
        Texts("allowed", None, max_items=12, each=_window_problem),
    )

    def spec(self, key: str, base: LimitSpec | None = None) -> LimitSpec:
        """As the core's limit: the fields sent replace `base`'s, the others are kept."""
        out = base if base is not None else LimitSpec(key=key)
        changes: dict[str, Any] = {"key": key}
        if "daily" in self.sent:
            changes["daily"] = self.daily
        if "weekend" in self.sent:
            changes["weekend"] = self.weekend
        if "allowed" in self.sent:
            changes["allowed"] = tuple(
                w for w in (parse_window(t) for t in self.allowed or ()) if w is not None
            )
        return replace(out, **changes)


@dataclass(frozen=True)
class PinChangeBody:
    """A new PIN, with the old one."""

    new: str
    old: str | None = None

    FIELDS: ClassVar[tuple[Field, ...]] = (
        Text("old", None, nullable=True, max_length=256),
        Text("new", min_length=4, max_length=256),
    )
