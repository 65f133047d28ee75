"""SQLAlchemy 2 ORM tables of the family hub (SQLite and PostgreSQL)."""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import Any

from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    Date,
    DateTime,
    Dialect,
    ForeignKey,
    Index,
    Integer,
    String,
    TypeDecorator,
    UniqueConstraint,
    false,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

__all__ = [
    "SCHEMA_VERSION",
    "Base",
    "ChildRequest",
    "Command",
    "CommandAck",
    "Consent",
    "DaySummary",
    "Device",
    "DeviceToken",
    "Family",
    "Meta",
    "PairingCode",
    "Parent",
    "ParentInvite",
    "ParentPrefs",
    "ParentSession",
    "PushSubscription",
    "RateLimit",
    "SilenceAlert",
    "UTCDateTime",
]

SCHEMA_VERSION = 3  # 2: child_requests.message, day_summaries.status; 3: message_shared

# SQLite's INTEGER PRIMARY KEY is the rowid alias (autoincrement); PostgreSQL gets BIGINT.
BigId = BigInteger().with_variant(Integer(), "sqlite")


class UTCDateTime(TypeDecorator[datetime]):
    """Aware UTC datetimes in Python, naive UTC in the column (SQLite keeps no zone)."""

    impl = DateTime
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        """Store as naive UTC."""
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given to a UTC column")
        return value.astimezone(UTC).replace(tzinfo=None)

    def process_result_value(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        """Read back as aware UTC."""
        return None if value is None else value.replace(tzinfo=UTC)


class Base(DeclarativeBase):
    """Declarative base of the hub tables."""

    type_annotation_map: dict[Any, Any] = {datetime: UTCDateTime}  # noqa: RUF012


class Meta(Base):
    """Key/value facts about the database itself (schema version)."""

    __tablename__ = "hub_meta"
    key: Mapped[str] = mapped_column(String(64), primary_key=True)
    value: Mapped[str] = mapped_column(String(200))


class Family(Base):
    """A family account."""

    __tablename__ = "families"
    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    name: Mapped[str] = mapped_column(String(100))
    created_at: Mapped[datetime]


class Parent(Base):
    """A parent login of a family."""

    __tablename__ = "parents"
    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    family_id: Mapped[int] = mapped_column(ForeignKey("families.id"), index=True)
    email: Mapped[str] = mapped_column(String(254), unique=True)
    name: Mapped[str] = mapped_column(String(100))
    password_hash: Mapped[str] = mapped_column(String(200))
    created_at: Mapped[datetime]


class ParentSession(Base):
    """A parent's login session; only the SHA-256 of its bearer token is kept."""

    __tablename__ = "parent_sessions"
    token_sha256: Mapped[str] = mapped_column(String(64), primary_key=True)
    parent_id: Mapped[int] = mapped_column(ForeignKey("parents.id"), index=True)
    created_at: Mapped[datetime]
    expires_at: Mapped[datetime] = mapped_column(index=True)


class PairingCode(Base):
    """A short-lived, single-use code that lets one device join a family."""

    __tablename__ = "pairing_codes"
    code_sha256: Mapped[str] = mapped_column(String(64), primary_key=True)
    family_id: Mapped[int] = mapped_column(ForeignKey("families.id"), index=True)
    created_by: Mapped[int] = mapped_column(ForeignKey("parents.id"))
    created_at: Mapped[datetime]
    expires_at: Mapped[datetime]
    used_at: Mapped[datetime | None]


class Device(Base):
    """A paired PC running the PlayClock agent."""

    __tablename__ = "devices"
    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    family_id: Mapped[int] = mapped_column(ForeignKey("families.id"), index=True)
    name: Mapped[str] = mapped_column(String(100))
    created_at: Mapped[datetime]
    last_seen_at: Mapped[datetime | None]


class DeviceToken(Base):
    """A device's bearer token; only its SHA-256 is kept."""

    __tablename__ = "device_tokens"
    token_sha256: Mapped[str] = mapped_column(String(64), primary_key=True)
    device_id: Mapped[int] = mapped_column(ForeignKey("devices.id"), index=True)
    created_at: Mapped[datetime]
    revoked_at: Mapped[datetime | None]


class Consent(Base):
    """The consent record under which a device shares one child's summaries."""

    __tablename__ = "consents"
    id: Mapped[str] = mapped_column(String(36), primary_key=True)  # UUID chosen by the device
    family_id: Mapped[int] = mapped_column(ForeignKey("families.id"), index=True)
    device_id: Mapped[int] = mapped_column(ForeignKey("devices.id"), index=True)
    child: Mapped[str] = mapped_column(String(64))
    child_key: Mapped[str] = mapped_column(String(64))
    child_birth_year: Mapped[int | None]
    parent_name: Mapped[str] = mapped_column(String(100))
    parent_consented_at: Mapped[datetime]
    child_consented: Mapped[bool] = mapped_column(Boolean)
    child_consented_at: Mapped[datetime | None]
    shares: Mapped[list[str]] = mapped_column(JSON)
    recorded_at: Mapped[datetime]
    withdrawn_at: Mapped[datetime | None]


class DaySummary(Base):
    """One device's whole-day usage summary for one child; replaced only by a newer revision."""

    __tablename__ = "day_summaries"
    __table_args__ = (
        UniqueConstraint("device_id", "child_key", "day", name="uq_day_summaries_device_child_day"),
        Index("ix_day_summaries_family_child_day", "family_id", "child_key", "day"),
    )
    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    family_id: Mapped[int] = mapped_column(ForeignKey("families.id"))
    device_id: Mapped[int] = mapped_column(ForeignKey("devices.id"))
    child: Mapped[str] = mapped_column(String(64))
    child_key: Mapped[str] = mapped_column(String(64))
    day: Mapped[date] = mapped_column(Date)
    revision: Mapped[int] = mapped_column(BigInteger)
    consent_id: Mapped[str] = mapped_column(String(36))
    total_seconds: Mapped[int] = mapped_column(Integer)
    screen_seconds: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    apps: Mapped[dict[str, int]] = mapped_column(JSON)
    categories: Mapped[dict[str, int]] = mapped_column(JSON)
    warnings: Mapped[int] = mapped_column(Integer)
    closes: Mapped[int] = mapped_column(Integer)
    grants: Mapped[int] = mapped_column(Integer)
    requests: Mapped[int] = mapped_column(Integer)
    gaps: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    gap_seconds: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    tamper: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    updated_at: Mapped[datetime]
    # The device's latest view of the day: limits (used / left / state) and what runs now.
    status: Mapped[dict[str, Any] | None] = mapped_column(JSON, default=None)


class Command(Base):
    """A parent's instruction for the family's devices (grant, set_limit, answer_request)."""

    __tablename__ = "commands"
    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    family_id: Mapped[int] = mapped_column(ForeignKey("families.id"), index=True)
    device_id: Mapped[int | None] = mapped_column(ForeignKey("devices.id"), index=True)
    kind: Mapped[str] = mapped_column(String(20))
    payload: Mapped[dict[str, Any]] = mapped_column(JSON)
    created_by: Mapped[int] = mapped_column(ForeignKey("parents.id"))
    created_at: Mapped[datetime]
    expires_at: Mapped[datetime]


class CommandAck(Base):
    """A device's acknowledgement of one command."""

    __tablename__ = "command_acks"
    command_id: Mapped[int] = mapped_column(ForeignKey("commands.id"), primary_key=True)
    device_id: Mapped[int] = mapped_column(ForeignKey("devices.id"), primary_key=True, index=True)
    status: Mapped[str] = mapped_column(String(16))
    acked_at: Mapped[datetime]


class ChildRequest(Base):
    """A child's request for more time, sent by a device, answered by a parent."""

    __tablename__ = "child_requests"
    __table_args__ = (
        UniqueConstraint("device_id", "client_request_id", name="uq_child_requests_client"),
    )
    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    family_id: Mapped[int] = mapped_column(ForeignKey("families.id"), index=True)
    device_id: Mapped[int] = mapped_column(ForeignKey("devices.id"))
    client_request_id: Mapped[str] = mapped_column(String(64))
    child: Mapped[str] = mapped_column(String(64))
    child_key: Mapped[str] = mapped_column(String(64))
    target: Mapped[str] = mapped_column(String(64))
    minutes: Mapped[int] = mapped_column(Integer)
    requested_at: Mapped[datetime]
    status: Mapped[str] = mapped_column(String(16))  # open | approved | denied
    answered_at: Mapped[datetime | None]
    answered_minutes: Mapped[int | None]
    message: Mapped[str | None] = mapped_column(String(200), default=None)
    # Whether the consent shared the child's words when the request came (the "messages"
    # share): without it the page says the message was not shared, rather than show nothing.
    message_shared: Mapped[bool] = mapped_column(Boolean, default=False,
                                                 server_default=false())


class RateLimit(Base):
    """A fixed-window counter for login and pairing attempts, shared by all hub processes."""

    __tablename__ = "rate_limits"
    key: Mapped[str] = mapped_column(String(200), primary_key=True)
    window_start: Mapped[datetime]
    count: Mapped[int] = mapped_column(Integer)


class ParentInvite(Base):
    """A one-time link that lets a second parent create their own login in a family."""

    __tablename__ = "parent_invites"
    token_sha256: Mapped[str] = mapped_column(String(64), primary_key=True)
    family_id: Mapped[int] = mapped_column(ForeignKey("families.id"), index=True)
    created_by: Mapped[int] = mapped_column(ForeignKey("parents.id"))
    created_at: Mapped[datetime]
    expires_at: Mapped[datetime]
    used_at: Mapped[datetime | None]


class ParentPrefs(Base):
    """A parent's language for notifications (the last one used in the web app)."""

    __tablename__ = "parent_prefs"
    parent_id: Mapped[int] = mapped_column(ForeignKey("parents.id"), primary_key=True)
    lang: Mapped[str] = mapped_column(String(8))


class PushSubscription(Base):
    """A browser's Web Push subscription (the installed web app on a parent's phone)."""

    __tablename__ = "push_subscriptions"
    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    parent_id: Mapped[int] = mapped_column(ForeignKey("parents.id"), index=True)
    family_id: Mapped[int] = mapped_column(ForeignKey("families.id"), index=True)
    endpoint: Mapped[str] = mapped_column(String(1000), unique=True)
    p256dh: Mapped[str] = mapped_column(String(200))
    auth: Mapped[str] = mapped_column(String(100))
    lang: Mapped[str] = mapped_column(String(8))
    created_at: Mapped[datetime]


class SilenceAlert(Base):
    """When the parents were last told that a device stopped reporting."""

    __tablename__ = "silence_alerts"
    device_id: Mapped[int] = mapped_column(ForeignKey("devices.id"), primary_key=True)
    last_seen_at: Mapped[datetime | None]  # the silence this alert was about
    alerted_at: Mapped[datetime]
