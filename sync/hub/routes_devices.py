"""Device-facing endpoints: pairing, consents, day uploads, commands, requests, withdrawal."""

from __future__ import annotations

from typing import Annotated
from uuid import UUID

from fastapi import APIRouter, Path, Query, Request, Response
from sqlalchemy import exists, or_, select, update
from sqlalchemy.exc import IntegrityError

from sync.hub.core import DeviceAuth, HubDep, client_ip
from sync.hub.db import insert_ignore
from sync.hub.errors import ApiError, responses
from sync.hub.fields import ChildName, IsoDay, child_key
from sync.hub.models import (
    ChildRequest,
    Command,
    CommandAck,
    Consent,
    Device,
    DeviceToken,
    PairingCode,
)
from sync.hub.schemas import (
    ConsentIn,
    ConsentOut,
    DaySummaryIn,
    DeviceOut,
    PairIn,
    PairOut,
    UploadOut,
)
from sync.hub.schemas_commands import AckIn, AckOut, ChildRequestIn, ChildRequestOut, CommandsOut
from sync.hub.security import DEVICE_TOKEN_PREFIX, digest, new_token, normalize_code
from sync.hub.store import (
    ack_out,
    command_out,
    consent_out,
    delete_device,
    request_out,
    store_consent,
    withdraw_consent,
)
from sync.hub.uploads import store_upload

__all__ = ["router"]

router = APIRouter(prefix="/v1", tags=["device"])

ChildPath = Annotated[ChildName, Path(description="the child's name as in rules.toml")]
DayPath = Annotated[IsoDay, Path(description="the device's local day, YYYY-MM-DD")]


@router.post("/devices/pair", status_code=201, tags=["devices"],
             responses=responses(400, 409, 422, 429))
def pair(body: PairIn, request: Request, hub: HubDep) -> PairOut:
    """Trade a pairing code (single use) for a device token, recording the consents sent."""
    key = hub.pairing_limiter.key(client_ip(request))
    now = hub.now()
    with hub.db.begin() as s:
        wait = hub.pairing_limiter.attempt(s, key, now)
    if wait is not None:
        raise ApiError(429, "rate_limited", f"too many pairing attempts: try again in {wait} s",
                       headers={"Retry-After": str(wait)})
    code_hash = digest(normalize_code(body.code))
    token = new_token(DEVICE_TOKEN_PREFIX)
    try:
        with hub.db.begin() as s:
            # One conditional UPDATE claims the code, so two devices racing for it cannot both win.
            family_id = s.execute(
                update(PairingCode)
                .where(PairingCode.code_sha256 == code_hash, PairingCode.used_at.is_(None),
                       PairingCode.expires_at > now)
                .values(used_at=now)
                .returning(PairingCode.family_id)
            ).scalar_one_or_none()
            if family_id is None:
                raise _bad_code(s.get(PairingCode, code_hash))
            hub.pairing_limiter.refund(s, key)
            device = Device(family_id=family_id, name=body.device_name, created_at=now,
                            last_seen_at=now)
            s.add(device)
            s.flush()
            s.add(DeviceToken(token_sha256=digest(token), device_id=device.id, created_at=now,
                              revoked_at=None))
            consents = [store_consent(s, device, c, now) for c in body.consents]
            s.flush()
            return PairOut(device_id=device.id, device_token=token, family_id=family_id,
                           consents=[consent_out(c) for c in consents])
    except IntegrityError:
        raise ApiError(409, "consent_conflict", "a consent id is already in use") from None


def _bad_code(row: PairingCode | None) -> ApiError:
    if row is None:
        return ApiError(400, "pairing_code_invalid", "unknown pairing code")
    if row.used_at is not None:
        return ApiError(400, "pairing_code_used", "this pairing code was already used")
    return ApiError(400, "pairing_code_expired", "this pairing code has expired: ask for a new one")


@router.get("/devices/me", responses=responses(401))
def whoami(creds: DeviceAuth, hub: HubDep) -> DeviceOut:
    """This device as the hub sees it."""
    with hub.db.begin() as s:
        device = hub.device(s, creds)
        children = s.execute(select(Consent.child).where(
            Consent.device_id == device.id, Consent.withdrawn_at.is_(None))).scalars().all()
        return DeviceOut(id=device.id, name=device.name, created_at=device.created_at,
                         last_seen_at=device.last_seen_at, children=sorted(children))


@router.delete("/devices/me", status_code=204, responses=responses(401))
def withdraw_device(creds: DeviceAuth, hub: HubDep) -> Response:
    """Consent withdrawn on the device: delete all its data and revoke its token."""
    with hub.db.begin() as s:
        delete_device(s, hub.device(s, creds).id)
    return Response(status_code=204)


@router.put("/devices/me/consents/{consent_id}", responses=responses(401, 409, 422))
def put_consent(consent_id: UUID, body: ConsentIn, creds: DeviceAuth, hub: HubDep) -> ConsentOut:
    """Record a consent for another child, or update one (e.g. the child turned 7)."""
    if body.consent_id != consent_id:
        raise ApiError(422, "validation_error", "consent_id in the body differs from the path")
    try:
        with hub.db.begin() as s:
            row = store_consent(s, hub.device(s, creds), body, hub.now())
            s.flush()
            return consent_out(row)
    except IntegrityError:
        raise ApiError(409, "consent_conflict", f"consent id {consent_id} is in use") from None


@router.delete("/devices/me/consents/{consent_id}", status_code=204,
               responses=responses(401, 404))
def delete_consent(consent_id: UUID, creds: DeviceAuth, hub: HubDep) -> Response:
    """Withdraw one child's consent: their summaries and requests from this device are deleted."""
    with hub.db.begin() as s:
        withdraw_consent(s, hub.device(s, creds), str(consent_id), hub.now())
    return Response(status_code=204)


@router.put("/devices/me/days/{child}/{day}", responses=responses(401, 403, 422))
def upload_day(child: ChildPath, day: DayPath, body: DaySummaryIn, creds: DeviceAuth,
               hub: HubDep) -> UploadOut:
    """Store this device's whole-day summary unless the hub has the same or a newer revision."""
    return store_upload(hub, child, day, body, creds.credentials if creds else "")


@router.get("/devices/me/commands", responses=responses(401, 422))
def pull_commands(
    creds: DeviceAuth,
    hub: HubDep,
    after: Annotated[int, Query(ge=0, le=2**62, description="return ids above this")] = 0,
    limit: Annotated[int, Query(ge=1, le=500)] = 100,
) -> CommandsOut:
    """Unexpired commands for this device that it has not acknowledged, oldest first."""
    with hub.db.begin() as s:
        device = hub.device(s, creds)
        acked = exists().where(CommandAck.command_id == Command.id,
                               CommandAck.device_id == device.id)
        rows = s.execute(
            select(Command)
            .where(Command.family_id == device.family_id,
                   or_(Command.device_id.is_(None), Command.device_id == device.id),
                   Command.id > after, Command.expires_at > hub.now(), ~acked)
            .order_by(Command.id)
            .limit(limit)
        ).scalars().all()
        return CommandsOut(commands=[command_out(r) for r in rows],
                           next_after=rows[-1].id if rows else after)


@router.post("/devices/me/commands/{command_id}/ack", responses=responses(401, 404, 422))
def ack_command(command_id: int, creds: DeviceAuth, hub: HubDep,
                body: AckIn | None = None) -> AckOut:
    """Acknowledge a command; repeating it is harmless and returns the first acknowledgement."""
    with hub.db.begin() as s:
        device = hub.device(s, creds)
        command = s.get(Command, command_id)
        if command is None or command.family_id != device.family_id or (
                command.device_id not in (None, device.id)):
            raise ApiError(404, "command_not_found", f"no command {command_id} for this device")
        insert_ignore(s, CommandAck, {"command_id": command_id, "device_id": device.id,
                                      "status": (body or AckIn()).status, "acked_at": hub.now()})
        ack = s.get_one(CommandAck, (command_id, device.id))
        return ack_out(ack)


@router.post("/devices/me/requests", status_code=201, responses=responses(401, 403, 409, 422))
def post_request(body: ChildRequestIn, response: Response, creds: DeviceAuth,
                 hub: HubDep) -> ChildRequestOut:
    """A child asks for more time; resending a `client_request_id` returns 200 and no copy."""
    with hub.db.begin() as s:
        device = hub.device(s, creds)
        key = child_key(body.child)
        shares = s.execute(select(Consent.shares).where(
            Consent.device_id == device.id, Consent.child_key == key,
            Consent.withdrawn_at.is_(None))).scalar_one_or_none()
        if shares is None:
            raise ApiError(403, "consent_required", f"no active consent for {body.child}")
        words = "messages" in shares  # free text is kept only under its own share
        new = insert_ignore(s, ChildRequest, {
            "family_id": device.family_id, "device_id": device.id,
            "client_request_id": body.client_request_id, "child": body.child, "child_key": key,
            "target": body.target, "minutes": body.minutes, "requested_at": hub.now(),
            "status": "open", "answered_at": None, "answered_minutes": None,
            "message": _clean_message(body.message) if words else None,
            "message_shared": words,
        })
        row = s.execute(select(ChildRequest).where(
            ChildRequest.device_id == device.id,
            ChildRequest.client_request_id == body.client_request_id)).scalar_one()
        if not new:
            if (row.child_key, row.target, row.minutes) != (key, body.target, body.minutes):
                raise ApiError(409, "request_conflict",
                               f"request {body.client_request_id} was sent with other values")
            response.status_code = 200
        out = request_out(row)
    if new:
        hub.notifier.child_asked(out.id)
    return out


def _clean_message(text: str | None) -> str | None:
    # Shown to parents as plain text: no control characters, one line, at most 200 chars.
    if text is None:
        return None
    cleaned = " ".join("".join(ch if ch.isprintable() else " " for ch in text).split())
    return cleaned[:200] or None
