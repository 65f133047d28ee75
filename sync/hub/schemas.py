"""Pydantic request and response bodies of the hub API (v1); every field is bounded."""

from __future__ import annotations

from datetime import date, datetime
from typing import Annotated, Literal
from uuid import UUID

from pydantic import (
    AwareDatetime,
    BaseModel,
    ConfigDict,
    Field,
    Strict,
    StringConstraints,
    model_validator,
)

from sync.hub.fields import (
    MAX_APPS,
    MAX_CATEGORIES,
    MAX_CONSENTS,
    SHARE_KINDS,
    ChildName,
    Count,
    Email,
    Name,
    Password,
    Seconds,
    ShareKind,
    UsageId,
)

__all__ = [
    "ChildDayOut",
    "ChildWeekOut",
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
    "HealthOut",
    "LimitStateIn",
    "LoginIn",
    "PairIn",
    "PairOut",
    "PairingCodeOut",
    "ParentCreate",
    "ParentOut",
    "ReportOut",
    "SessionOut",
    "StrictIn",
    "UploadOut",
]

class StrictIn(BaseModel):
    """Base of request bodies: unknown fields are refused."""

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


class FamilyCreate(StrictIn):
    """`POST /v1/families`: a family and its first parent login."""

    family_name: Name
    email: Email
    password: Password
    parent_name: Name | None = None


class FamilyCreated(BaseModel):
    """The new family and parent ids."""

    family_id: int
    parent_id: int


class ParentCreate(StrictIn):
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


class LoginIn(StrictIn):
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


class ConsentIn(StrictIn):
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


class ConsentOut(BaseModel):
    """A stored consent record (times in UTC; the rules were checked when it came in)."""

    consent_id: UUID
    child: str
    child_birth_year: int | None
    parent_name: str
    parent_consented_at: datetime
    child_consented: bool
    child_consented_at: datetime | None
    shares: list[str]
    device_id: int
    recorded_at: datetime
    withdrawn_at: datetime | None


class ConsentsOut(BaseModel):
    """`GET /v1/consents`."""

    consents: list[ConsentOut]


class PairIn(StrictIn):
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


class Counts(StrictIn):
    """How often the agent warned, closed an app, granted bonus time, and was asked for time."""

    warnings: Count = 0
    closes: Count = 0
    grants: Count = 0
    requests: Count = 0
    # Tamper evidence: times PlayClock was not running (and for how long), clock changes
    # and files changed behind its back.
    gaps: Count = 0
    gap_seconds: Annotated[int, Strict(), Field(ge=0, le=7 * 86_400)] = 0  # a week's worth
    tamper: Count = 0


class LimitStateIn(StrictIn):
    """One of the child's limits as the device enforces it now (from its status document)."""

    key: UsageId
    kind: Literal["app", "category", "total", "screen"]
    used_seconds: Seconds
    limit_seconds: Seconds | None = None
    bonus_seconds: Annotated[int, Strict(), Field(ge=0, le=7 * 86_400)] = 0
    left_seconds: Seconds | None = None
    state: Literal["ok", "warning", "blocked"] = "ok"
    reason: Literal["budget", "window"] | None = None


class DaySummaryIn(StrictIn):
    """A device's whole-day summary for one child; only seconds and counts, nothing else."""

    revision: Annotated[int, Strict(), Field(ge=0, le=2**53)]
    consent_id: UUID
    total_seconds: Seconds
    apps: Annotated[dict[UsageId, Seconds], Field(max_length=MAX_APPS)] = {}
    categories: Annotated[dict[UsageId, Seconds], Field(max_length=MAX_CATEGORIES)] = {}
    counts: Counts = Counts()
    # Optional, for the parents' "today": each limit's state and the app ids running now.
    limits: Annotated[list[LimitStateIn], Field(max_length=MAX_CATEGORIES)] | None = None
    running: Annotated[list[UsageId], Field(max_length=20)] | None = None


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
