"""What the local API serves from, and the checks its routes depend on (the parent, the PIN)."""

from __future__ import annotations

import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TypeVar, cast

from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import Response

from agent.i18n import _
from agent.platform.peer import peer_account
from agent.security.api_sessions import SESSION_SECONDS, RateLimiter, Sessions
from agent.security.pin.errors import PinError
from agent.security.pin.manager import PinManager, VerifyStatus
from agent.service.agent import Agent, AgentError

__all__ = [
    "API_PREFIX",
    "COOKIE",
    "ApiContext",
    "Viewer",
    "agent_call",
    "caller_account",
    "context_of",
    "parent_of",
    "set_session_cookie",
    "verify_pin",
    "viewer_of",
]

API_PREFIX = "/api/v1"
COOKIE = "playclock_session"

Address = tuple[str, int]
T = TypeVar("T")


@dataclass
class ApiContext:
    """What the API serves from: the agent, the PIN, sessions and rate limits."""

    agent: Agent
    pins: Callable[[], PinManager]
    port: int
    sessions: Sessions = field(default_factory=Sessions)
    asks: RateLimiter = field(default_factory=lambda: RateLimiter(3, 600))
    logins: RateLimiter = field(default_factory=lambda: RateLimiter(20, 60))
    pollers: threading.BoundedSemaphore = field(
        default_factory=lambda: threading.BoundedSemaphore(8)
    )
    # The account behind a connection (from its client and server addresses): which child calls.
    peer: Callable[[Address | None, Address | None], str | None] = peer_account

    @property
    def allowed_hosts(self) -> set[str]:
        """Host headers accepted (DNS rebinding protection)."""
        names = ("127.0.0.1", "localhost", "[::1]")
        return {f"{n}:{self.port}" for n in names} | set(names)


def context_of(request: Request) -> ApiContext:
    """The ApiContext of the app serving this request."""
    return cast(ApiContext, request.app.state.ctx)


def verify_pin(ctx: ApiContext, pin: str) -> None:
    """Check a PIN, raising the HTTP error a wrong or locked one deserves."""
    try:
        result = ctx.pins().verify(pin)
    except PinError as exc:
        raise HTTPException(503, str(exc)) from None
    # PinManager logs every try itself (without the PIN) through the agent's event log.
    if result.status is VerifyStatus.OK:
        return
    if result.status is VerifyStatus.LOCKED:
        raise HTTPException(
            423,
            _("too many wrong PINs; try again in {seconds} s").format(
                seconds=int(result.seconds_left) + 1
            ),
            headers={"Retry-After": str(int(result.seconds_left) + 1)},
        )
    raise HTTPException(401, _("wrong PIN"), headers={"WWW-Authenticate": "Bearer"})


def parent_of(request: Request, ctx: ApiContext) -> str:
    """ "parent" when the request carries a session, a session cookie with CSRF, or the PIN."""
    auth = request.headers.get("authorization", "")
    if auth.lower().startswith("bearer "):
        if ctx.sessions.check(auth[7:].strip()):
            return "parent"
        raise HTTPException(
            401,
            _("session expired; log in with the PIN again"),
            headers={"WWW-Authenticate": "Bearer"},
        )
    cookie = request.cookies.get(COOKIE)
    if cookie:
        csrf = request.headers.get("x-csrf-token")
        if ctx.sessions.csrf_ok(cookie, csrf):
            return "parent"
        if ctx.sessions.check(cookie):
            raise HTTPException(403, _("missing or wrong CSRF token"))
    pin = request.headers.get("x-playclock-pin")
    if pin:
        verify_pin(ctx, pin)
        return "parent"
    raise HTTPException(401, _("a parent PIN is needed"), headers={"WWW-Authenticate": "Bearer"})


@dataclass(frozen=True)
class Viewer:
    """Who calls: a parent (a session or the PIN), else the child whose account it is."""

    parent: bool
    child: str | None = None

    def sees(self, child: str | None) -> bool:
        """Whether this caller may see something of a child (None: of no child at all)."""
        return self.parent or (child is not None and child == self.child)


def caller_account(request: Request, ctx: ApiContext) -> str | None:
    """The OS account that owns the client end of this connection (the kernel says), or None."""
    client = (request.client.host, request.client.port) if request.client else None
    server = request.scope.get("server")
    return ctx.peer(client, (str(server[0]), int(server[1])) if server else None)


def viewer_of(request: Request, ctx: ApiContext) -> Viewer:
    """A parent with a session (or the PIN); otherwise the child the calling account is."""
    auth = request.headers.get("authorization", "")
    token = auth[7:].strip() if auth.lower().startswith("bearer ") else None
    if ctx.sessions.check(token) or ctx.sessions.check(request.cookies.get(COOKIE)):
        return Viewer(parent=True)
    pin = request.headers.get("x-playclock-pin")
    if pin:
        verify_pin(ctx, pin)
        return Viewer(parent=True)
    account = caller_account(request, ctx)
    return Viewer(parent=False, child=ctx.agent.matcher.child_of(account) if account else None)


def set_session_cookie(response: Response, token: str) -> None:
    """The parent's session cookie: HTTP only, same site only, as long as the session."""
    response.set_cookie(
        COOKIE, token, max_age=SESSION_SECONDS, httponly=True, samesite="strict", path="/"
    )


def agent_call(action: Callable[[], T]) -> T:
    """Run an agent action, turning its refusal into a 400 (or 503) with the agent's message."""
    try:
        return action()
    except AgentError as exc:
        raise HTTPException(exc.status, str(exc)) from None
