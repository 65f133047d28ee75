"""Routes of the parent's session: log in with the PIN, log out, change the PIN."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, HTTPException, Request, Response

from agent.api.context import API_PREFIX, COOKIE, Ctx, Parent, set_session_cookie, verify_pin
from agent.api.models import PinBody, PinChangeBody
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

__all__ = ["router"]

router = APIRouter(prefix=API_PREFIX)


@router.get("/session")
def session_info(ctx: Ctx, request: Request) -> dict[str, Any]:
    """Whether the caller holds a parent session."""
    token = request.cookies.get(COOKIE) or request.headers.get("authorization", "")[7:]
    return {"parent": bool(ctx.sessions.check(token.strip() or None))}


@router.post("/session")
def login(ctx: Ctx, body: PinBody, response: Response) -> dict[str, Any]:
    """Log in with the PIN: a 15-minute session token (and cookie) and its CSRF token."""
    if not ctx.logins.allow("login"):
        raise HTTPException(429, _("too many attempts; wait a minute"))
    verify_pin(ctx, body.pin)
    session = ctx.sessions.issue()
    set_session_cookie(response, session.token)
    return {"token": session.token, "csrf": session.csrf, "expires_in": SESSION_SECONDS}


@router.delete("/session", status_code=204)
def logout(ctx: Ctx, request: Request, response: Response) -> None:
    """End the session."""
    ctx.sessions.revoke(request.cookies.get(COOKIE))
    auth = request.headers.get("authorization", "")
    if auth.lower().startswith("bearer "):
        ctx.sessions.revoke(auth[7:].strip())
    response.delete_cookie(COOKIE, path="/")


@router.put("/pin", status_code=204)
def change_pin(ctx: Ctx, body: PinChangeBody, actor: Parent) -> None:
    """Change the PIN; every session ends."""
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
