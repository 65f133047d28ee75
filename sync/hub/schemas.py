"""Pydantic request and response bodies of the hub API (v1); every field is bounded."""

from __future__ import annotations

import re
import unicodedata
from datetime import date, datetime
from typing import Annotated, Any, Literal
from uuid import UUID

from pydantic import (
    AfterValidator,
    AwareDatetime,
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    Strict,
    StringConstraints,
    model_validator,
)

__all__ = [
    "MAX_APPS",
    "MAX_CATEGORIES",
    "MAX_CONSENTS",
    "SHARE_KINDS",
    "AckIn",
    "AckOut",
    "AnswerRequestIn",
    "ChildDayOut",
    "ChildName",
    "ChildRequestIn",
    "ChildRequestOut",
    "ChildWeekOut",
    "CommandIn",
    "CommandOut",
    "CommandsOut",
    "ConsentIn",
    "ConsentOut",
    "ConsentsOut",
    "Counts",
    "DaySummaryIn",
    "DayTotal",
    "DeviceDayOut",
    "DeviceOut",
    "DeviceWeekOut",
    "DevicesOut",
    "ErrorOut",
    "FamilyCreate",
    "FamilyCreated",
    "FieldError",
    "GrantIn",
    "HealthOut",
    "IsoDay",
    "IsoWeek",
    "LoginIn",
    "PairIn",
    "PairOut",
    "PairingCodeOut",
    "ParentCreate",
    "ParentOut",
    "ReportOut",
    "RequestsOut",
    "SessionOut",
    "SetLimitIn",
    "UploadOut",
    "child_key",
]

MAX_APPS = 200
MAX_CATEGORIES = 50
MAX_CONSENTS = 20
SHARE_KINDS = ("total", "apps", "categories", "counts")
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
        date.fromisocalendar(int(match[1]), int(match[2]), 1)
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
ShareKind = Literal["total", "apps", "categories", "counts"]


class _In(BaseModel):
    model_config = ConfigDict(extra="forbid")


class FieldError(BaseModel):
    """One invalid field: where (e.g. `body.total_seconds`) and why."""

    field: str
    message: str


class ErrorOut(BaseModel):
    """Every 4xx/5xx body: a stable machine code, a human message, and field errors for 422."""

    error: str
    message: str
    fields: list[FieldError] = []


class HealthOut(BaseModel):
    """`GET /v1/health`."""

    status: Literal["ok"]
    version: str
    api_version: int
    database: str


class FamilyCreate(_In):
    """`POST /v1/families`: a family and its first parent login."""

    family_name: Name
    email: Email
    password: Password
    parent_name: Name | None = None


class FamilyCreated(BaseModel):
    """The new family and parent ids."""

    family_id: int
    parent_id: int


class ParentCreate(_In):
    """`POST /v1/parents`: another parent login for the caller's family."""

    email: Email
    password: Password
    name: Name | None = None


class ParentOut(BaseModel):
    """A parent login (never the hash)."""

    id: int
    email: str
    name: str
    created_at: datetime


class LoginIn(_In):
    """`POST /v1/login`."""

    email: Email
    password: Annotated[str, StringConstraints(min_length=1, max_length=256)]


class SessionOut(BaseModel):
    """A parent session token for `Authorization: Bearer`."""

    token: str
    token_type: Literal["bearer"] = "bearer"
    expires_at: datetime
    family_id: int
    parent_id: int


class PairingCodeOut(BaseModel):
    """A single-use pairing code to type into the agent."""

    code: str
    expires_at: datetime


class ConsentIn(_In):
    """Who consented to share which summaries of one child, and when (child consent from age 7)."""

    consent_id: UUID
    child: ChildName
    child_birth_year: Annotated[int, Strict(), Field(ge=1900, le=2200)] | None = None
    parent_name: Name
    parent_consented_at: AwareDatetime
    child_consented: Annotated[bool, Strict()]
    child_consented_at: AwareDatetime | None = None
    shares: Annotated[list[ShareKind], Field(min_length=1, max_length=len(SHARE_KINDS))]

    @model_validator(mode="after")
    def _check(self) -> ConsentIn:
        if len(set(self.shares)) != len(self.shares) or "total" not in self.shares:
            raise ValueError("shares must list distinct kinds and include 'total'")
        # Unknown birth year, or 7 or more in the consent year: the child must agree too.
        may_be_seven = (self.child_birth_year is None
                        or self.parent_consented_at.year - self.child_birth_year >= 7)
        if may_be_seven and not (self.child_consented and self.child_consented_at):
            raise ValueError("a child aged 7 or more (or of unknown age) must consent too: "
                             "child_consented=true and child_consented_at are required")
        if not self.child_consented and self.child_consented_at is not None:
            raise ValueError("child_consented_at given but child_consented is false")
        return self


class ConsentOut(ConsentIn):
    """A stored consent record."""

    model_config = ConfigDict(extra="ignore")
    device_id: int
    recorded_at: datetime
    withdrawn_at: datetime | None


class ConsentsOut(BaseModel):
    """`GET /v1/consents`."""

    consents: list[ConsentOut]


class PairIn(_In):
    """`POST /v1/devices/pair`: a pairing code, the device's name and its consent records."""

    code: Annotated[str, StringConstraints(min_length=4, max_length=32)]
    device_name: Name
    consents: Annotated[list[ConsentIn], Field(max_length=MAX_CONSENTS)] = []


class PairOut(BaseModel):
    """The device token (shown once) and the stored consents."""

    device_id: int
    device_token: str
    family_id: int
    consents: list[ConsentOut]


class DeviceOut(BaseModel):
    """A paired device as parents see it."""

    id: int
    name: str
    created_at: datetime
    last_seen_at: datetime | None
    children: list[str]


class DevicesOut(BaseModel):
    """`GET /v1/devices`."""

    devices: list[DeviceOut]


class Counts(_In):
    """How often the agent warned, closed an app, granted bonus time, and was asked for time."""

    warnings: Count = 0
    closes: Count = 0
    grants: Count = 0
    requests: Count = 0


class DaySummaryIn(_In):
    """A device's whole-day summary for one child; only seconds and counts, nothing else."""

    revision: Annotated[int, Strict(), Field(ge=0, le=2**53)]
    consent_id: UUID
    total_seconds: Seconds
    apps: Annotated[dict[UsageId, Seconds], Field(max_length=MAX_APPS)] = {}
    categories: Annotated[dict[UsageId, Seconds], Field(max_length=MAX_CATEGORIES)] = {}
    counts: Counts = Counts()


class UploadOut(BaseModel):
    """What the hub holds for (device, child, day) after an upload."""

    device_id: int
    child: str
    day: date
    stored_revision: int
    applied: bool
    total_seconds: int


class DeviceDayOut(BaseModel):
    """One device's part of a child's day."""

    device_id: int
    device_name: str
    revision: int
    total_seconds: int


class ChildDayOut(BaseModel):
    """A child's day summed across devices."""

    child: str
    day: date
    total_seconds: int
    apps: dict[str, int]
    categories: dict[str, int]
    counts: Counts
    devices: list[DeviceDayOut]


class DayTotal(BaseModel):
    """One day of a week."""

    day: date
    total_seconds: int


class DeviceWeekOut(BaseModel):
    """One device's part of a child's week."""

    device_id: int
    device_name: str
    total_seconds: int


class ChildWeekOut(BaseModel):
    """A child's ISO week summed across devices, with the seven days."""

    child: str
    week: str
    start: date
    end: date
    total_seconds: int
    days: list[DayTotal]
    apps: dict[str, int]
    categories: dict[str, int]
    counts: Counts
    devices: list[DeviceWeekOut]


class ReportOut(BaseModel):
    """`GET /v1/report`: the family's week, per child."""

    week: str
    start: date
    end: date
    total_seconds: int
    children: list[ChildWeekOut]


class GrantIn(_In):
    """Bonus minutes for a child on an app, category or `total`, on `day` (default: today)."""

    type: Literal["grant"]
    child: ChildName
    target: UsageId
    minutes: Minutes
    day: IsoDay | None = None
    device_id: Id | None = None


class SetLimitIn(_In):
    """A new daily budget in minutes for a child's limit key (0 = not allowed)."""

    type: Literal["set_limit"]
    child: ChildName
    key: UsageId
    daily_minutes: Annotated[int, Strict(), Field(ge=0, le=1_440)]
    device_id: Id | None = None


class AnswerRequestIn(_In):
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


CommandIn = Annotated[GrantIn | SetLimitIn | AnswerRequestIn, Field(discriminator="type")]


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


class AckIn(_In):
    """`POST .../ack`: whether the device applied the command."""

    status: Literal["applied", "rejected"] = "applied"


class AckOut(BaseModel):
    """The stored acknowledgement (the first one wins)."""

    command_id: int
    device_id: int
    status: str
    acked_at: datetime


class ChildRequestIn(_In):
    """A child's request for more time; `client_request_id` makes retries safe."""

    client_request_id: Annotated[str, StringConstraints(pattern=r"^[A-Za-z0-9_.:\-]{1,64}$")]
    child: ChildName
    target: UsageId
    minutes: Minutes


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


class RequestsOut(BaseModel):
    """`GET /v1/requests`, newest first."""

    requests: list[ChildRequestOut]


CommandOut.model_rebuild()
