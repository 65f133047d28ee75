"""Database operations shared by the parent and device endpoints."""

from __future__ import annotations

from datetime import datetime, timedelta
from uuid import UUID

from sqlalchemy import delete, select, update
from sqlalchemy.orm import Session

from sync.hub.errors import ApiError
from sync.hub.fields import child_key
from sync.hub.models import (
    ChildRequest,
    Command,
    CommandAck,
    Consent,
    DaySummary,
    Device,
    DeviceToken,
    PairingCode,
    ParentSession,
    RateLimit,
)
from sync.hub.schemas import ConsentIn, ConsentOut
from sync.hub.schemas_commands import AckOut, ChildRequestOut, CommandOut

__all__ = [
    "ack_out",
    "command_out",
    "consent_out",
    "delete_device",
    "device_names",
    "family_device",
    "purge_expired",
    "request_out",
    "store_consent",
    "withdraw_consent",
]

_CLOCK_SLACK = timedelta(days=1)  # devices' clocks may run ahead of the hub's


def family_device(session: Session, family_id: int, device_id: int) -> Device:
    """A device of this family, or 404 (other families' devices do not exist for you)."""
    device = session.get(Device, device_id)
    if device is None or device.family_id != family_id:
        raise ApiError(404, "device_not_found", f"no device {device_id} in this family")
    return device


def device_names(session: Session, family_id: int) -> dict[int, str]:
    """Device id -> name for a family."""
    rows = session.execute(select(Device.id, Device.name).where(Device.family_id == family_id))
    return {device_id: name for device_id, name in rows}


def delete_device(session: Session, device_id: int) -> None:
    """Revoke a device and delete everything it sent: summaries, consents, requests, acks."""
    own_commands = select(Command.id).where(Command.device_id == device_id)
    session.execute(delete(CommandAck).where(CommandAck.command_id.in_(own_commands)))
    session.execute(delete(CommandAck).where(CommandAck.device_id == device_id))
    session.execute(delete(Command).where(Command.device_id == device_id))
    session.execute(delete(ChildRequest).where(ChildRequest.device_id == device_id))
    session.execute(delete(DaySummary).where(DaySummary.device_id == device_id))
    session.execute(delete(Consent).where(Consent.device_id == device_id))
    session.execute(delete(DeviceToken).where(DeviceToken.device_id == device_id))
    session.execute(delete(Device).where(Device.id == device_id))


def store_consent(session: Session, device: Device, body: ConsentIn, now: datetime) -> Consent:
    """Record a new consent, or update the device's own active one with the same id."""
    latest = now + _CLOCK_SLACK
    if body.parent_consented_at > latest or (body.child_consented_at or now) > latest:
        raise ApiError(422, "validation_error", "consent times must not lie in the future")
    consent_id = str(body.consent_id)
    key = child_key(body.child)
    row = session.get(Consent, consent_id)
    if row is None:
        other = session.execute(select(Consent.id).where(
            Consent.device_id == device.id, Consent.child_key == key,
            Consent.withdrawn_at.is_(None))).scalar_one_or_none()
        if other is not None:
            raise ApiError(409, "consent_exists",
                           f"this device already has consent {other} for {body.child}: "
                           "update that record or withdraw it first")
        row = Consent(id=consent_id, family_id=device.family_id, device_id=device.id,
                      child_key=key, recorded_at=now, withdrawn_at=None)
        session.add(row)
    elif row.device_id != device.id or row.child_key != key:
        raise ApiError(409, "consent_conflict",
                       f"consent {consent_id} belongs to another device or child")
    elif row.withdrawn_at is not None:
        raise ApiError(409, "consent_withdrawn",
                       f"consent {consent_id} was withdrawn: record a new consent id")
    row.child = body.child
    row.child_birth_year = body.child_birth_year
    row.parent_name = body.parent_name
    row.parent_consented_at = body.parent_consented_at
    row.child_consented = body.child_consented
    row.child_consented_at = body.child_consented_at
    row.shares = list(body.shares)
    _drop_unshared(session, device.id, key, set(body.shares))
    return row


def _drop_unshared(session: Session, device_id: int, key: str, shares: set[str]) -> None:
    # A narrower consent applies to what is already stored, not only to future uploads.
    values: dict[str, object] = {}
    if "apps" not in shares:
        values["apps"] = {}
    if "categories" not in shares:
        values["categories"] = {}
    if "apps" not in shares or "categories" not in shares:
        values["status"] = None  # limits of apps and categories, apps running now
    if "counts" not in shares:
        values.update(warnings=0, closes=0, grants=0, requests=0, gaps=0, gap_seconds=0,
                      tamper=0)
    if values:
        session.execute(update(DaySummary).where(
            DaySummary.device_id == device_id, DaySummary.child_key == key).values(**values))
    if "messages" not in shares:  # the child's words, withdrawn: deleted, not only hidden
        session.execute(update(ChildRequest).where(
            ChildRequest.device_id == device_id, ChildRequest.child_key == key).values(
                message=None, message_shared=False))


def withdraw_consent(session: Session, device: Device, consent_id: str, now: datetime) -> None:
    """Mark a consent withdrawn and delete the child's summaries and requests from this device."""
    row = session.get(Consent, consent_id)
    if row is None or row.device_id != device.id:
        raise ApiError(404, "consent_not_found", f"no consent {consent_id} for this device")
    if row.withdrawn_at is None:
        row.withdrawn_at = now
    session.execute(delete(DaySummary).where(
        DaySummary.device_id == device.id, DaySummary.child_key == row.child_key))
    session.execute(delete(ChildRequest).where(
        ChildRequest.device_id == device.id, ChildRequest.child_key == row.child_key))


def purge_expired(session: Session, now: datetime) -> None:
    """Delete what can no longer matter: old rate-limit windows, sessions, codes, commands."""
    day_ago = now - timedelta(days=1)
    session.execute(delete(RateLimit).where(RateLimit.window_start < day_ago))
    session.execute(delete(ParentSession).where(ParentSession.expires_at < now))
    session.execute(delete(PairingCode).where(PairingCode.expires_at < day_ago))
    stale = select(Command.id).where(Command.expires_at < day_ago)
    session.execute(delete(CommandAck).where(CommandAck.command_id.in_(stale)))
    session.execute(delete(Command).where(Command.expires_at < day_ago))


def consent_out(row: Consent) -> ConsentOut:
    """The API form of a consent record."""
    return ConsentOut(
        consent_id=UUID(row.id), child=row.child, child_birth_year=row.child_birth_year,
        parent_name=row.parent_name, parent_consented_at=row.parent_consented_at,
        child_consented=row.child_consented, child_consented_at=row.child_consented_at,
        shares=row.shares, device_id=row.device_id, recorded_at=row.recorded_at,
        withdrawn_at=row.withdrawn_at,
    )


def ack_out(row: CommandAck) -> AckOut:
    """The API form of an acknowledgement."""
    return AckOut(command_id=row.command_id, device_id=row.device_id, status=row.status,
                  acked_at=row.acked_at)


def command_out(row: Command, acks: list[CommandAck] | None = None) -> CommandOut:
    """The API form of a command."""
    return CommandOut(id=row.id, type=row.kind, device_id=row.device_id,
                      created_at=row.created_at, expires_at=row.expires_at,
                      payload=row.payload, acks=[ack_out(a) for a in acks or []])


def request_out(row: ChildRequest) -> ChildRequestOut:
    """The API form of a child's request."""
    return ChildRequestOut(
        id=row.id, client_request_id=row.client_request_id, device_id=row.device_id,
        child=row.child, target=row.target, minutes=row.minutes, requested_at=row.requested_at,
        status=row.status, answered_at=row.answered_at,  # type: ignore[arg-type]
        answered_minutes=row.answered_minutes, message=row.message,
        message_shared=row.message_shared,
    )
