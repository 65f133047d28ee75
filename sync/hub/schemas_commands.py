"""Pydantic bodies of parent commands, their acknowledgements and children's requests."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any, Literal

from pydantic import (
    AfterValidator,
    BaseModel,
    Field,
    Strict,
    StringConstraints,
    model_validator,
)

from sync.hub.fields import ChildName, Id, IsoDay, Minutes, UsageId
from sync.hub.schemas import StrictIn

__all__ = [
    "AckIn",
    "AckOut",
    "AnswerRequestIn",
    "ChildRequestIn",
    "ChildRequestOut",
    "CommandIn",
    "CommandOut",
    "CommandsOut",
    "GrantIn",
    "PauseIn",
    "RequestsOut",
    "SetHoursIn",
    "SetLimitIn",
]


class GrantIn(StrictIn):
    """Bonus minutes for a child on an app, category or `total`, on `day` (default: today)."""

    type: Literal["grant"]
    child: ChildName
    target: UsageId
    minutes: Minutes
    day: IsoDay | None = None
    device_id: Id | None = None


class SetLimitIn(StrictIn):
    """A new daily budget in minutes for a child's limit key (0 = not allowed)."""

    type: Literal["set_limit"]
    child: ChildName
    key: UsageId
    daily_minutes: Annotated[int, Strict(), Field(ge=0, le=1_440)]
    device_id: Id | None = None


def _window(text: str) -> str:
    from rules.timeutil import parse_window

    if parse_window(text) is None:
        raise ValueError(f"{text!r} is not a window HH:MM-HH:MM")
    return text


Window = Annotated[str, StringConstraints(max_length=11), AfterValidator(_window)]


class PauseIn(StrictIn):
    """Pause a child's limits for the rest of the device's day (or resume them)."""

    type: Literal["pause"]
    child: ChildName
    paused: Annotated[bool, Strict()] = True
    device_id: Id | None = None


class SetHoursIn(StrictIn):
    """New allowed hours for a child's limit key, every day (empty: any time)."""

    type: Literal["set_hours"]
    child: ChildName
    key: UsageId
    allowed: Annotated[list[Window], Field(max_length=6)]
    device_id: Id | None = None


class AnswerRequestIn(StrictIn):
    """Approve (with minutes, default: as asked) or deny a child's request."""

    type: Literal["answer_request"]
    request_id: Id
    approve: Annotated[bool, Strict()]
    minutes: Minutes | None = None

    @model_validator(mode="after")
    def _check(self) -> AnswerRequestIn:
        if not self.approve and self.minutes is not None:
            raise ValueError("minutes only go with approve=true")
        return self


CommandIn = Annotated[GrantIn | SetLimitIn | PauseIn | SetHoursIn | AnswerRequestIn,
                     Field(discriminator="type")]


class CommandOut(BaseModel):
    """A command as devices pull it; `payload` is the command body without `type`/`device_id`."""

    id: int
    type: str
    device_id: int | None
    created_at: datetime
    expires_at: datetime
    payload: dict[str, Any]
    acks: list[AckOut] = []


class CommandsOut(BaseModel):
    """A page of commands, oldest first; pass `next_after` as `after` for the next page."""

    commands: list[CommandOut]
    next_after: int


class AckIn(StrictIn):
    """`POST .../ack`: whether the device applied the command."""

    status: Literal["applied", "rejected"] = "applied"


class AckOut(BaseModel):
    """The stored acknowledgement (the first one wins)."""

    command_id: int
    device_id: int
    status: str
    acked_at: datetime


class ChildRequestIn(StrictIn):
    """A child's request for more time; `client_request_id` makes retries safe."""

    client_request_id: Annotated[str, StringConstraints(pattern=r"^[A-Za-z0-9_.:\-]{1,64}$")]
    child: ChildName
    target: UsageId
    minutes: Minutes
    message: Annotated[str, StringConstraints(max_length=200)] | None = None


class ChildRequestOut(BaseModel):
    """A stored request and its answer."""

    id: int
    client_request_id: str
    device_id: int
    child: str
    target: str
    minutes: int
    requested_at: datetime
    status: Literal["open", "approved", "denied"]
    answered_at: datetime | None
    answered_minutes: int | None
    message: str | None = None
    message_shared: bool = False  # the consent shares the child's words ("messages")


class RequestsOut(BaseModel):
    """`GET /v1/requests`, newest first."""

    requests: list[ChildRequestOut]


CommandOut.model_rebuild()
