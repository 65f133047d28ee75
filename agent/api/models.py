"""Request bodies of the local API: every field bounded, windows parsed."""

from __future__ import annotations

from dataclasses import replace
from typing import Any

from pydantic import BaseModel, Field, field_validator

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


class PinBody(BaseModel):
    """A PIN, for logging in."""

    pin: str = Field(min_length=1, max_length=256)


class GrantBody(BaseModel):
    """Bonus minutes for today."""

    child: str = Field(min_length=1, max_length=64)
    target: str = Field(default="*", min_length=1, max_length=64)
    minutes: int = Field(ge=-1440, le=1440)


class IdleBody(BaseModel):
    """A tray's report: seconds since the last keyboard or mouse input of its account."""

    idle_seconds: float = Field(ge=0, le=10_000_000)


class PauseBody(BaseModel):
    """Pause or resume limits for today."""

    child: str = Field(min_length=1, max_length=64)
    paused: bool = True


class AskBody(BaseModel):
    """A child's request for more time."""

    child: str = Field(min_length=1, max_length=64)
    minutes: int = Field(default=15, ge=5, le=240)
    message: str = Field(default="", max_length=300)


class AnswerBody(BaseModel):
    """A parent's answer to a request."""

    approve: bool
    minutes: int | None = Field(default=None, ge=1, le=1440)


class LimitBody(BaseModel):
    """A limit's budgets (minutes) and allowed windows."""

    daily: int | None = Field(default=None, ge=0, le=1440)
    weekend: int | None = Field(default=None, ge=0, le=1440)
    allowed: list[str] = Field(default_factory=list, max_length=12)

    @field_validator("allowed")
    @classmethod
    def _windows(cls, value: list[str]) -> list[str]:
        for text in value:
            if parse_window(text) is None:
                raise ValueError(f"expected windows as HH:MM-HH:MM, got {text!r}")
        return value

    def spec(self, key: str, base: LimitSpec | None = None) -> LimitSpec:
        """As the core's limit: the fields sent replace `base`'s, the others are kept."""
        sent = self.model_fields_set
        out = base if base is not None else LimitSpec(key=key)
        changes: dict[str, Any] = {"key": key}
        if "daily" in sent:
            changes["daily"] = self.daily
        if "weekend" in sent:
            changes["weekend"] = self.weekend
        if "allowed" in sent:
            changes["allowed"] = tuple(
                w for w in (parse_window(t) for t in self.allowed) if w is not None
            )
        return replace(out, **changes)


class PinChangeBody(BaseModel):
    """A new PIN, with the old one."""

    old: str | None = Field(default=None, max_length=256)
    new: str = Field(min_length=4, max_length=256)
