"""Routes of the parent's session: log in with the PIN, log out, change the PIN."""

from __future__ import annotations

from typing import Any

from starlette.exceptions import HTTPException
from starlette.responses import JSONResponse, Response

from agent.api.bodies import PinBody, PinChangeBody
from agent.api.context import API_PREFIX, COOKIE, parent_of, set_session_cookie, verify_pin
from agent.api.routing import ApiCall, ApiRoutes
from agent.i18n import _
from agent.ledger.store import EventKind
from agent.security.api_sessions import SESSION_SECONDS
from agent.security.pin.errors import (
    LockedOut,
    PinError,
    PinFormatError,
    PinStoreUnavailable,
    WrongPin,
)

__all__ = ["routes"]

routes = ApiRoutes(API_PREFIX)


@routes.get("/session")
def session_info(call: ApiCall) -> dict[str, Any]:
    """Whether the caller holds a parent session."""
    request = call.request
    token = request.cookies.get(COOKIE) or request.headers.get("authorization", "")[7:]
    return {"parent": bool(call.ctx.sessions.check(token.strip() or None))}


@routes.post("/session")
def login(call: ApiCall) -> Response:
    """Log in with the PIN: a 15-minute session token (and cookie) and its CSRF token."""
    ctx = call.ctx
    body = call.body(PinBody)
    if not ctx.logins.allow("login"):
        raise HTTPException(429, _("too many attempts; wait a minute"))
    verify_pin(ctx, body.pin)
    session = ctx.sessions.issue()
    response = JSONResponse(
        {"token": session.token, "csrf": session.csrf, "expires_in": SESSION_SECONDS}
    )
    set_session_cookie(response, session.token)
    return response


@routes.delete("/session")
def logout(call: ApiCall) -> Response:
    """End the session."""
    ctx, request = call.ctx, call.request
    ctx.sessions.revoke(request.cookies.get(COOKIE))
    auth = request.headers.get("authorization", "")
    if auth.lower().startswith("bearer "):
        ctx.sessions.revoke(auth[7:].strip())
    response = Response(status_code=204, media_type="application/json")
    response.delete_cookie(COOKIE, path="/")
    return response


@routes.put("/pin", status=204)
def change_pin(call: ApiCall) -> None:
    """Change the PIN; every session ends."""
    ctx = call.ctx
    actor = parent_of(call.request, ctx)
    body = call.body(PinChangeBody)
    try:
        ctx.pins().set_pin(body.new, body.old)
    except PinFormatError as exc:
        raise HTTPException(422, str(exc)) from None
    except WrongPin:
        raise HTTPException(401, _("wrong PIN")) from None
    except LockedOut as exc:
        raise HTTPException(423, str(exc)) from None
    except PinStoreUnavailable as exc:
        raise HTTPException(503, str(exc)) from None
    except PinError as exc:
        raise HTTPException(400, str(exc)) from None
    ctx.sessions.revoke_all()
    ctx.agent.log(EventKind.PIN_CHANGED, {}, actor)
