"""The hub's shared state (database, settings, limiters, KDF) and bearer-token authentication."""

from __future__ import annotations

import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from importlib import metadata
from typing import Annotated

from fastapi import Depends, Request
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
from sqlalchemy import select
from sqlalchemy.orm import Session

from sync.hub.config import PushSettings, SmtpSettings
from sync.hub.db import Database
from sync.hub.errors import ApiError
from sync.hub.models import Device, DeviceToken, Parent, ParentSession
from sync.hub.notify import Notifier
from sync.hub.security import (
    DEVICE_TOKEN_PREFIX,
    SESSION_TOKEN_PREFIX,
    Limit,
    RateLimiter,
    ScryptParams,
    digest,
    hash_password,
    verify_password,
)

__all__ = [
    "HUB_VERSION",
    "DeviceAuth",
    "Hub",
    "HubDep",
    "HubSettings",
    "ParentAuth",
    "client_ip",
    "get_hub",
    "utcnow",
]

_LAST_SEEN_EVERY = timedelta(minutes=1)


def _version() -> str:
    try:
        return metadata.version("playclock")
    except metadata.PackageNotFoundError:
        return "0+unknown"


HUB_VERSION = _version()


def utcnow() -> datetime:
    """The current time, aware UTC."""
    return datetime.now(UTC)


_LOGIN_LIMIT = Limit(5, timedelta(minutes=15))  # attempts per client IP + email
_PAIRING_LIMIT = Limit(10, timedelta(minutes=15))  # failed codes per client IP
_SIGNUP_LIMIT = Limit(100, timedelta(hours=1))  # new families per client IP
_SCRYPT = ScryptParams()


@dataclass(frozen=True)
class HubSettings:
    """Tunables of one hub process; the defaults are the production values."""

    max_body_bytes: int = 256 * 1024
    session_ttl: timedelta = timedelta(hours=12)
    pairing_ttl: timedelta = timedelta(minutes=10)
    login_limit: Limit = _LOGIN_LIMIT
    pairing_limit: Limit = _PAIRING_LIMIT
    signup_limit: Limit = _SIGNUP_LIMIT
    grant_ttl: timedelta = timedelta(days=2)  # grant and answer_request commands
    limit_ttl: timedelta = timedelta(days=30)  # set_limit commands
    future_days: int = 1  # how far past the hub's UTC date a device's local day may be
    scrypt: ScryptParams = _SCRYPT
    kdf_concurrency: int = 4  # each scrypt call holds 32 MiB: bound them per process
    clock: Callable[[], datetime] = field(default=utcnow)
    public_url: str | None = None  # the web app's address as parents reach it (for links)
    smtp: SmtpSettings | None = None  # e-mail notifications, when set
    push: PushSettings | None = None  # Web Push notifications, when set
    silent_after: timedelta = timedelta(minutes=30)  # a device this quiet is "not reporting"
    invite_ttl: timedelta = timedelta(days=3)  # links inviting a second parent
    push_allow_http: bool = False  # plain-HTTP push endpoints (tests with a local stand-in)
    check_every: float = 60.0  # seconds between checks for devices that stopped reporting


class Hub:
    """Everything a request handler needs, kept on `app.state.hub`."""

    def __init__(self, db: Database, settings: HubSettings) -> None:
        self.db = db
        self.settings = settings
        self.login_limiter = RateLimiter("login", settings.login_limit)
        self.pairing_limiter = RateLimiter("pair", settings.pairing_limit)
        self.signup_limiter = RateLimiter("signup", settings.signup_limit)
        self._kdf_slots = threading.BoundedSemaphore(settings.kdf_concurrency)
        # Unknown emails are checked against this, so they cost as much time as known ones.
        self.dummy_hash = hash_password("not a password", settings.scrypt)
        self.notifier = Notifier(db, settings)

    def now(self) -> datetime:
        """The hub's clock."""
        return self.settings.clock()

    def hash_password(self, password: str) -> str:
        """Hash with the configured scrypt parameters (bounded concurrency)."""
        with self._kdf_slots:
            return hash_password(password, self.settings.scrypt)

    def verify_password(self, password: str, stored: str) -> bool:
        """Check a password (bounded concurrency)."""
        with self._kdf_slots:
            return verify_password(password, stored)

    def parent(self, session: Session, creds: HTTPAuthorizationCredentials | None) -> Parent:
        """The parent owning a live session token, or 401."""
        token = creds.credentials if creds else ""
        if not token.startswith(SESSION_TOKEN_PREFIX):
            raise _unauthorized("a parent session token is required (POST /v1/login)")
        row = session.execute(
            select(Parent, ParentSession.expires_at)
            .join(ParentSession, ParentSession.parent_id == Parent.id)
            .where(ParentSession.token_sha256 == digest(token))
        ).one_or_none()
        if row is None or row[1] <= self.now():
            raise _unauthorized("the session token is unknown or expired: log in again")
        return row[0]

    def device(self, session: Session, creds: HTTPAuthorizationCredentials | None) -> Device:
        """The device owning a live device token, or 401."""
        token = creds.credentials if creds else ""
        if not token.startswith(DEVICE_TOKEN_PREFIX):
            raise self.unauthorized_device(missing=True)
        device = session.execute(
            select(Device)
            .join(DeviceToken, DeviceToken.device_id == Device.id)
            .where(DeviceToken.token_sha256 == digest(token), DeviceToken.revoked_at.is_(None))
        ).scalar_one_or_none()
        if device is None:
            raise self.unauthorized_device()
        now = self.now()
        if self.seen_is_stale(device.last_seen_at, now):
            device.last_seen_at = now
        return device

    @staticmethod
    def unauthorized_device(*, missing: bool = False) -> ApiError:
        """The 401 for a missing, unknown or revoked device token."""
        if missing:
            return _unauthorized("a device token is required (POST /v1/devices/pair)")
        return _unauthorized("the device token is unknown or revoked: pair the device again")

    @staticmethod
    def seen_is_stale(last_seen: datetime | None, now: datetime) -> bool:
        """Whether a device's `last_seen_at` is worth writing again (once a minute at most)."""
        return last_seen is None or now - last_seen > _LAST_SEEN_EVERY


def _unauthorized(message: str) -> ApiError:
    return ApiError(401, "unauthorized", message, headers={"WWW-Authenticate": "Bearer"})


def get_hub(request: Request) -> Hub:
    """FastAPI dependency: the app's Hub."""
    hub: Hub = request.app.state.hub
    return hub


def client_ip(request: Request) -> str:
    """The client address (uvicorn already applied X-Forwarded-For from trusted proxies)."""
    return request.client.host if request.client else "unknown"


_parent_bearer = HTTPBearer(
    scheme_name="ParentSession", auto_error=False,
    description="`token` from POST /v1/login, sent as `Authorization: Bearer pcs_...`",
)
_device_bearer = HTTPBearer(
    scheme_name="DeviceToken", auto_error=False,
    description="`device_token` from POST /v1/devices/pair, as `Authorization: Bearer pcd_...`",
)

HubDep = Annotated[Hub, Depends(get_hub)]
ParentAuth = Annotated[HTTPAuthorizationCredentials | None, Depends(_parent_bearer)]
DeviceAuth = Annotated[HTTPAuthorizationCredentials | None, Depends(_device_bearer)]
