"""Parent-facing account endpoints: families, logins, pairing codes, devices, consents."""

from __future__ import annotations

from fastapi import APIRouter, Request, Response
from sqlalchemy import delete, select
from sqlalchemy.exc import IntegrityError

from sync.hub.core import HUB_VERSION, HubDep, ParentAuth, client_ip
from sync.hub.errors import ApiError, responses
from sync.hub.models import Consent, Device, Family, PairingCode, Parent, ParentSession
from sync.hub.schemas import (
    ConsentsOut,
    DeviceOut,
    DevicesOut,
    FamilyCreate,
    FamilyCreated,
    HealthOut,
    LoginIn,
    PairingCodeOut,
    ParentCreate,
    ParentOut,
    SessionOut,
)
from sync.hub.security import SESSION_TOKEN_PREFIX, digest, new_pairing_code, new_token
from sync.hub.store import consent_out, delete_device, family_device

__all__ = ["router"]

API_VERSION = 1
router = APIRouter(prefix="/v1")


def _rate_limited(retry_after: int, what: str) -> ApiError:
    return ApiError(429, "rate_limited", f"too many {what}: try again in {retry_after} s",
                    headers={"Retry-After": str(retry_after)})


@router.get("/health", tags=["hub"], responses=responses(503))
def health(hub: HubDep) -> HealthOut:
    """Liveness and database check (no authentication)."""
    if not hub.db.ping():
        raise ApiError(503, "database_unavailable", "the database does not answer")
    return HealthOut(status="ok", version=HUB_VERSION, api_version=API_VERSION,
                     database=hub.db.dialect)


@router.post("/families", status_code=201, tags=["accounts"], responses=responses(409, 422, 429))
def create_family(body: FamilyCreate, request: Request, hub: HubDep) -> FamilyCreated:
    """Create a family account and its first parent login."""
    now = hub.now()
    with hub.db.begin() as s:
        wait = hub.signup_limiter.attempt(s, hub.signup_limiter.key(client_ip(request)), now)
    if wait is not None:
        raise _rate_limited(wait, "new families from this address")
    password_hash = hub.hash_password(body.password)
    try:
        with hub.db.begin() as s:
            if s.execute(select(Parent.id).where(Parent.email == body.email)).first():
                raise _email_taken()
            family = Family(name=body.family_name, created_at=now)
            s.add(family)
            s.flush()
            parent = Parent(family_id=family.id, email=body.email, created_at=now,
                            name=body.parent_name or body.email.split("@")[0],
                            password_hash=password_hash)
            s.add(parent)
            s.flush()
            return FamilyCreated(family_id=family.id, parent_id=parent.id)
    except IntegrityError:
        raise _email_taken() from None


def _email_taken() -> ApiError:
    return ApiError(409, "email_taken", "a parent login with this email already exists")


@router.post("/parents", status_code=201, tags=["accounts"], responses=responses(401, 409, 422))
def add_parent(body: ParentCreate, creds: ParentAuth, hub: HubDep) -> ParentOut:
    """Add another parent login to the caller's family."""
    with hub.db.begin() as s:
        family_id = hub.parent(s, creds).family_id
    password_hash = hub.hash_password(body.password)
    try:
        with hub.db.begin() as s:
            if s.execute(select(Parent.id).where(Parent.email == body.email)).first():
                raise _email_taken()
            parent = Parent(family_id=family_id, email=body.email, created_at=hub.now(),
                            name=body.name or body.email.split("@")[0],
                            password_hash=password_hash)
            s.add(parent)
            s.flush()
            return ParentOut(id=parent.id, email=parent.email, name=parent.name,
                             created_at=parent.created_at)
    except IntegrityError:
        raise _email_taken() from None


@router.post("/login", tags=["accounts"], responses=responses(401, 422, 429))
def login(body: LoginIn, request: Request, hub: HubDep) -> SessionOut:
    """Exchange email and password for a parent session token."""
    key = hub.login_limiter.key(client_ip(request), body.email)
    with hub.db.begin() as s:
        wait = hub.login_limiter.attempt(s, key, hub.now())
        parent = s.execute(select(Parent).where(Parent.email == body.email)).scalar_one_or_none()
    if wait is not None:
        raise _rate_limited(wait, "login attempts")
    # The slow KDF runs outside any transaction so it never holds SQLite's write lock.
    ok = hub.verify_password(body.password, parent.password_hash if parent else hub.dummy_hash)
    if parent is None or not ok:
        raise ApiError(401, "bad_credentials", "wrong email or password",
                       headers={"WWW-Authenticate": "Bearer"})
    token = new_token(SESSION_TOKEN_PREFIX)
    now = hub.now()
    expires = now + hub.settings.session_ttl
    with hub.db.begin() as s:
        hub.login_limiter.reset(s, key)
        s.execute(delete(ParentSession).where(ParentSession.parent_id == parent.id,
                                              ParentSession.expires_at <= now))
        s.add(ParentSession(token_sha256=digest(token), parent_id=parent.id, created_at=now,
                            expires_at=expires))
    return SessionOut(token=token, expires_at=expires, family_id=parent.family_id,
                      parent_id=parent.id)


@router.post("/logout", status_code=204, tags=["accounts"], responses=responses(401))
def logout(creds: ParentAuth, hub: HubDep) -> Response:
    """End this parent session."""
    with hub.db.begin() as s:
        hub.parent(s, creds)
        assert creds is not None  # hub.parent() returned, so a token was sent
        s.execute(delete(ParentSession).where(
            ParentSession.token_sha256 == digest(creds.credentials)))
    return Response(status_code=204)


@router.post("/pairing-codes", status_code=201, tags=["devices"], responses=responses(401))
def create_pairing_code(creds: ParentAuth, hub: HubDep) -> PairingCodeOut:
    """A single-use code (8 characters, valid 10 minutes) that pairs one device."""
    now = hub.now()
    code = new_pairing_code()
    expires = now + hub.settings.pairing_ttl
    with hub.db.begin() as s:
        parent = hub.parent(s, creds)
        s.execute(delete(PairingCode).where(PairingCode.family_id == parent.family_id,
                                            PairingCode.expires_at <= now))
        s.add(PairingCode(code_sha256=digest(code), family_id=parent.family_id,
                          created_by=parent.id, created_at=now, expires_at=expires,
                          used_at=None))
    return PairingCodeOut(code=code, expires_at=expires)


@router.get("/devices", tags=["devices"], responses=responses(401))
def list_devices(creds: ParentAuth, hub: HubDep) -> DevicesOut:
    """The family's paired devices and the children each shares (active consents)."""
    with hub.db.begin() as s:
        family_id = hub.parent(s, creds).family_id
        devices = s.execute(select(Device).where(Device.family_id == family_id)
                            .order_by(Device.id)).scalars().all()
        consents = s.execute(select(Consent.device_id, Consent.child).where(
            Consent.family_id == family_id, Consent.withdrawn_at.is_(None))).all()
    children: dict[int, list[str]] = {}
    for device_id, child in consents:
        children.setdefault(device_id, []).append(child)
    return DevicesOut(devices=[
        DeviceOut(id=d.id, name=d.name, created_at=d.created_at, last_seen_at=d.last_seen_at,
                  children=sorted(children.get(d.id, []))) for d in devices])


@router.delete("/devices/{device_id}", status_code=204, tags=["devices"],
               responses=responses(401, 404))
def remove_device(device_id: int, creds: ParentAuth, hub: HubDep) -> Response:
    """Revoke a device's token and delete everything it uploaded."""
    with hub.db.begin() as s:
        parent = hub.parent(s, creds)
        family_device(s, parent.family_id, device_id)
        delete_device(s, device_id)
    return Response(status_code=204)


@router.get("/consents", tags=["devices"], responses=responses(401))
def list_consents(creds: ParentAuth, hub: HubDep) -> ConsentsOut:
    """Every consent record of the family, withdrawn ones included."""
    with hub.db.begin() as s:
        family_id = hub.parent(s, creds).family_id
        rows = s.execute(select(Consent).where(Consent.family_id == family_id)
                         .order_by(Consent.recorded_at)).scalars().all()
        return ConsentsOut(consents=[consent_out(r) for r in rows])
