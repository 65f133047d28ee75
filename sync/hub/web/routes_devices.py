"""Web pages for computers and consents: pairing (code + QR), removing, withdrawing, push."""

from __future__ import annotations

import json
import re
import uuid

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse, Response
from sqlalchemy import delete, select
from starlette.concurrency import run_in_threadpool

from sync.hub.core import Hub, HubDep
from sync.hub.models import ChildRequest, Consent, DaySummary, Device, PairingCode, PushSubscription
from sync.hub.security import digest, new_pairing_code
from sync.hub.store import delete_device
from sync.hub.web.guard import FormDep, open_call
from sync.hub.web.pages import redirect
from sync.hub.web.qr import pair_command, qr_svg
from sync.hub.web.views import device_rows

__all__ = ["router"]

router = APIRouter(include_in_schema=False)
_B64URL = re.compile(r"^[A-Za-z0-9_\-=]{1,200}$")


def _hub_url(request: Request, public_url: str | None) -> str:
    return (public_url or str(request.base_url)).rstrip("/")


@router.get("/devices")
def devices(request: Request, hub: HubDep, form: FormDep) -> Response:
    """The family's computers: last seen, children shared, remove; a button to pair one more."""
    call = open_call(request, hub, form)
    with hub.db.begin() as s:
        rows = device_rows(s, call.family_id, hub.now(), hub.settings.silent_after)
    return call.render("devices.html", devices=rows, pairing=None, now=hub.now())


@router.post("/devices/pair")
def pair(request: Request, hub: HubDep, form: FormDep) -> Response:
    """A new one-time code, the command to type on the computer and its QR code."""
    call = open_call(request, hub, form)
    assert call.parent is not None
    now = hub.now()
    code = new_pairing_code()
    expires = now + hub.settings.pairing_ttl
    with hub.db.begin() as s:
        s.execute(delete(PairingCode).where(PairingCode.family_id == call.family_id,
                                            PairingCode.expires_at <= now))
        s.add(PairingCode(code_sha256=digest(code), family_id=call.family_id,
                          created_by=call.parent.id, created_at=now, expires_at=expires,
                          used_at=None))
        rows = device_rows(s, call.family_id, now, hub.settings.silent_after)
    shown = f"{code[:4]}-{code[4:]}"
    command = pair_command(_hub_url(request, hub.settings.public_url), shown)
    pairing = {"code": shown, "command": command, "expires_at": expires,
               "minutes": int(hub.settings.pairing_ttl.total_seconds() // 60),
               "qr": qr_svg(command, call._("QR code of the pairing command"))}
    return call.render("devices.html", devices=rows, pairing=pairing, now=now)


@router.post("/devices/{device_id}/remove")
def remove(device_id: int, request: Request, hub: HubDep, form: FormDep) -> Response:
    """Unpair a computer: its token stops working and everything it sent is deleted."""
    call = open_call(request, hub, form)
    with hub.db.begin() as s:
        device = s.get(Device, device_id) if 1 <= device_id <= 2**62 else None
        if device is None or device.family_id != call.family_id:
            raise call.fail(404, call._("Not found"))
        name = device.name
        delete_device(s, device_id)
    return redirect("/devices", call._("{device} was removed and its data deleted.").format(
        device=name))


@router.get("/consents")
def consents(request: Request, hub: HubDep, form: FormDep) -> Response:
    """What each child and parent agreed to share, per computer, and withdrawing it."""
    call = open_call(request, hub, form)
    with hub.db.begin() as s:
        rows = s.execute(select(Consent, Device.name).join(Device, Device.id == Consent.device_id)
                         .where(Consent.family_id == call.family_id)
                         .order_by(Consent.withdrawn_at.is_not(None), Consent.recorded_at)).all()
    return call.render("consents.html", consents=[(c, name) for c, name in rows])


@router.post("/consents/{consent_id}/withdraw")
def withdraw(consent_id: str, request: Request, hub: HubDep, form: FormDep) -> Response:
    """Withdraw a consent: the child's data from that computer is deleted on the hub."""
    call = open_call(request, hub, form)
    try:
        key = str(uuid.UUID(consent_id))
    except ValueError:
        raise call.fail(404, call._("Not found")) from None
    with hub.db.begin() as s:
        row = s.get(Consent, key)
        if row is None or row.family_id != call.family_id:
            raise call.fail(404, call._("Not found"))
        if row.withdrawn_at is None:
            row.withdrawn_at = hub.now()
        s.execute(delete(DaySummary).where(DaySummary.device_id == row.device_id,
                                           DaySummary.child_key == row.child_key))
        s.execute(delete(ChildRequest).where(ChildRequest.device_id == row.device_id,
                                             ChildRequest.child_key == row.child_key))
        child = row.child
    return redirect("/consents", call._(
        "Consent withdrawn: {child}'s data from that computer was deleted here.").format(
            child=child))


@router.post("/push/subscriptions")
async def subscribe(request: Request, hub: HubDep) -> Response:
    """Remember this browser's push subscription (JSON posted by the page's script)."""
    body = await request.body()
    return await run_in_threadpool(_store_subscription, request, hub, body)


def _store_subscription(request: Request, hub: Hub, body: bytes) -> Response:
    call = open_call(request, hub, {})  # the CSRF token comes in X-CSRF-Token
    assert call.parent is not None
    try:
        data = json.loads(body)
        endpoint = str(data["endpoint"])
        p256dh, auth = str(data["keys"]["p256dh"]), str(data["keys"]["auth"])
    except (ValueError, KeyError, TypeError):
        return JSONResponse({"ok": False}, 400)
    schemes = ("https://", "http://") if hub.settings.push_allow_http else ("https://",)
    if not endpoint.startswith(schemes) or len(endpoint) > 1000 or not (
            _B64URL.match(p256dh) and _B64URL.match(auth)):
        return JSONResponse({"ok": False}, 400)
    with hub.db.begin() as s:
        s.execute(delete(PushSubscription).where(PushSubscription.endpoint == endpoint))
        s.add(PushSubscription(parent_id=call.parent.id, family_id=call.family_id,
                               endpoint=endpoint, p256dh=p256dh, auth=auth, lang=call.lang,
                               created_at=hub.now()))
    return JSONResponse({"ok": True}, 201)
