"""The busiest endpoint, storing a device's day: one lookup and one upsert, and a short path.

`store_upload` is the whole job (the documented route calls it). `FastUploads` is an ASGI
middleware that serves well-formed uploads without FastAPI's routing and dependency solving,
which cost more than the database work; anything it cannot validate goes down to the route,
so errors keep the one documented form.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from datetime import date, timedelta
from functools import cache
from typing import Any
from urllib.parse import unquote

from pydantic import TypeAdapter, ValidationError
from sqlalchemy import bindparam, select, update
from starlette.concurrency import run_in_threadpool
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from sync.hub.core import Hub
from sync.hub.db import upsert_day_summary
from sync.hub.errors import ApiError, error_body
from sync.hub.fields import ChildName, IsoDay, child_key
from sync.hub.models import Consent, Device, DeviceToken
from sync.hub.schemas import DaySummaryIn, UploadOut
from sync.hub.security import DEVICE_TOKEN_PREFIX, digest

__all__ = ["FastUploads", "store_upload"]

_EARLIEST_DAY = date(2000, 1, 1)
_PREFIX = "/v1/devices/me/days/"
_CHILD: TypeAdapter[str] = TypeAdapter(ChildName)
_DAY: TypeAdapter[date] = TypeAdapter(IsoDay)


@cache
def _lookup() -> Any:
    """Token, device and consent of an upload in one query (built once)."""
    return (select(Device.id, Device.family_id, Device.last_seen_at, Consent.device_id,
                   Consent.withdrawn_at, Consent.child_key, Consent.shares)
            .select_from(DeviceToken)
            .join(Device, Device.id == DeviceToken.device_id)
            .outerjoin(Consent, Consent.id == bindparam("consent"))
            .where(DeviceToken.token_sha256 == bindparam("token"),
                   DeviceToken.revoked_at.is_(None)))


def _status(body: DaySummaryIn) -> dict[str, Any] | None:
    if body.limits is None and body.running is None:
        return None
    return {"limits": [limit.model_dump() for limit in body.limits or ()],
            "running": list(body.running or ())}


def store_upload(hub: Hub, child: str, day: date, body: DaySummaryIn, token: str) -> UploadOut:
    """Store a device's whole-day summary unless the hub has the same or a newer revision."""
    now = hub.now()
    if day > now.date() + timedelta(days=hub.settings.future_days) or day < _EARLIEST_DAY:
        raise ApiError(422, "validation_error", f"day {day} lies in the future or before 2000")
    if not token.startswith(DEVICE_TOKEN_PREFIX):
        raise hub.unauthorized_device(missing=True)
    consent_id = str(body.consent_id)
    with hub.db.connect() as conn:
        found = conn.execute(_lookup(), {"token": digest(token), "consent": consent_id}).first()
        if found is None:
            raise hub.unauthorized_device()
        device_id, family_id, last_seen, owner, withdrawn, key, shares = found
        if owner != device_id:
            raise ApiError(403, "consent_required", f"consent {consent_id} is not recorded for "
                           f"this device: PUT /v1/devices/me/consents/{consent_id} first")
        if withdrawn is not None:
            raise ApiError(403, "consent_withdrawn", f"consent {consent_id} was withdrawn")
        if key != child_key(child):
            raise ApiError(403, "consent_mismatch", f"consent {consent_id} is for another child")
        counts = body.counts.model_dump()
        kinds = {limit.kind for limit in body.limits or ()}
        unshared = [kind for kind, present in (
            ("apps", bool(body.apps) or bool(body.running) or "app" in kinds),
            ("categories", bool(body.categories) or "category" in kinds),
            ("counts", any(counts.values()))) if present and kind not in shares]
        if unshared:
            raise ApiError(403, "outside_consent",
                           f"consent {consent_id} does not share {', '.join(unshared)}")
        if hub.seen_is_stale(last_seen, now):
            conn.execute(update(Device).where(Device.id == device_id).values(last_seen_at=now))
        stored = upsert_day_summary(conn, {
            "family_id": family_id, "device_id": device_id, "child": child,
            "child_key": key, "day": day, "revision": body.revision,
            "consent_id": consent_id, "total_seconds": body.total_seconds,
            "apps": body.apps, "categories": body.categories, **counts,
            "updated_at": now, "status": _status(body),
        })
    return UploadOut(device_id=device_id, child=stored.child, day=day,
                     stored_revision=stored.revision, applied=stored.applied,
                     total_seconds=stored.total_seconds)


def _parse(scope: Scope, body: bytes) -> tuple[str, date, DaySummaryIn, str] | None:
    """(child, day, body, token) of a well-formed upload, or None to let the route answer."""
    rest = scope["path"][len(_PREFIX):]
    parts = rest.split("/")
    if len(parts) != 2 or scope.get("query_string"):
        return None
    headers = dict(scope["headers"])
    auth = headers.get(b"authorization", b"").decode("latin-1")
    scheme, _, token = auth.partition(" ")
    if scheme.lower() != "bearer" or not token or not headers.get(
            b"content-type", b"").startswith(b"application/json"):
        return None
    try:
        child = _CHILD.validate_python(unquote(parts[0]))
        day = _DAY.validate_python(unquote(parts[1]))
        summary = DaySummaryIn.model_validate_json(body)
    except (ValidationError, ValueError):
        return None
    return child, day, summary, token.strip()


class FastUploads:
    """ASGI middleware: `PUT /v1/devices/me/days/{child}/{day}` on a short path."""

    def __init__(self, app: ASGIApp, hub: Hub) -> None:
        self.app = app
        self.hub = hub

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        """Serve a valid upload here; pass anything else on, with its body replayed."""
        if scope["type"] != "http" or scope["method"] != "PUT" or not scope["path"].startswith(
                _PREFIX):
            await self.app(scope, receive, send)
            return
        chunks: list[bytes] = []
        while True:  # the body is bounded already (BodySizeLimit runs first)
            message = await receive()
            if message["type"] == "http.disconnect":
                return
            chunks.append(message.get("body", b""))
            if not message.get("more_body", False):
                break
        body = b"".join(chunks)
        parsed = _parse(scope, body)
        if parsed is None:
            await self.app(scope, _replay(body, receive), send)
            return
        try:
            out = await run_in_threadpool(store_upload, self.hub, *parsed)
        except ApiError as exc:
            await _json(send, exc.status_code, error_body(exc.code, str(exc.detail)),
                        exc.headers or {})
            return
        await _json(send, 200, out.model_dump(mode="json"), {})


def _replay(body: bytes, receive: Receive) -> Receive:
    sent = False

    async def replay() -> Message:
        nonlocal sent
        if not sent:
            sent = True
            return {"type": "http.request", "body": body, "more_body": False}
        return await receive()

    return replay


async def _json(send: Send, status: int, data: Any, headers: Mapping[str, str]) -> None:
    payload = json.dumps(data, ensure_ascii=False, separators=(",", ":")).encode()
    raw = [(b"content-type", b"application/json"),
           (b"content-length", str(len(payload)).encode())]
    raw += [(k.lower().encode("latin-1"), v.encode("latin-1")) for k, v in headers.items()]
    await send({"type": "http.response.start", "status": status, "headers": raw})
    await send({"type": "http.response.body", "body": payload})
