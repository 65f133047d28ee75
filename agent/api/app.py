"""The agent's local HTTP API on loopback: status for everyone, changes only for a parent."""

from __future__ import annotations

import datetime as dt
import ipaddress
import logging
import threading
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Annotated, Any

import uvicorn
from fastapi import Depends, FastAPI, HTTPException, Request, Response
from fastapi import Path as PathParam
from fastapi.responses import JSONResponse

from agent.api.models import (
    AnswerBody,
    AskBody,
    GrantBody,
    LimitBody,
    PauseBody,
    PinBody,
    PinChangeBody,
)
from agent.i18n import _
from agent.security.api_sessions import SESSION_SECONDS, RateLimiter, Sessions
from agent.security.pin.errors import LockedOut, PinError, PinFormatError, WrongPin
from agent.security.pin.manager import PinManager, VerifyStatus
from agent.service.agent import Agent, AgentError

__all__ = ["API_PREFIX", "ApiContext", "ApiServer", "NotLoopback", "create_app", "split_listen"]

log = logging.getLogger("playclock.api")

API_PREFIX = "/api/v1"
COOKIE = "playclock_session"
MAX_BODY = 64 * 1024


class NotLoopback(ValueError):
    """The API was asked to listen somewhere other than loopback."""


def split_listen(listen: str) -> tuple[str, int]:
    """("127.0.0.1", 7377) from "127.0.0.1:7377"; NotLoopback for any other address."""
    host, _sep, port = listen.rpartition(":")
    host = host.strip("[]")
    try:
        loopback = host == "localhost" or ipaddress.ip_address(host).is_loopback
    except ValueError:
        loopback = False
    if not loopback or not port.isdigit():
        raise NotLoopback(
            _("the local API listens on loopback only, not {listen}").format(listen=listen)
        )
    return host, int(port)


def _is_loopback(host: str | None) -> bool:
    if not host:
        return False
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return host == "testclient"  # Starlette's in-process test client


@dataclass
class ApiContext:
    """What the API serves from: the agent, the PIN, sessions and rate limits."""

    agent: Agent
    pins: Callable[[], PinManager]
    port: int
    sessions: Sessions = field(default_factory=Sessions)
    asks: RateLimiter = field(default_factory=lambda: RateLimiter(3, 600))
    logins: RateLimiter = field(default_factory=lambda: RateLimiter(20, 60))
    extra_routes: list[Callable[[FastAPI, ApiContext], None]] = field(default_factory=list)
    pollers: threading.BoundedSemaphore = field(
        default_factory=lambda: threading.BoundedSemaphore(8)
    )

    @property
    def allowed_hosts(self) -> set[str]:
        """Host headers accepted (DNS rebinding protection)."""
        names = ("127.0.0.1", "localhost", "[::1]")
        return {f"{n}:{self.port}" for n in names} | set(names)


def _guard(
    ctx: ApiContext,
) -> Callable[[Request, Callable[[Request], Awaitable[Response]]], Awaitable[Response]]:
    async def guard(
        request: Request, call_next: Callable[[Request], Awaitable[Response]]
    ) -> Response:
        client = request.client.host if request.client else None
        if not _is_loopback(client):
            return JSONResponse({"detail": _("only this computer may use the local API")}, 403)
        host = request.headers.get("host", "")
        if host not in ctx.allowed_hosts and not (client == "testclient" and host == "testserver"):
            return JSONResponse({"detail": _("unexpected Host header")}, 421)
        length = request.headers.get("content-length")
        if length and (not length.isdigit() or int(length) > MAX_BODY):
            return JSONResponse({"detail": _("request body too large")}, 413)
        response = await call_next(request)
        response.headers.setdefault("X-Content-Type-Options", "nosniff")
        response.headers.setdefault("X-Frame-Options", "DENY")
        response.headers.setdefault("Referrer-Policy", "no-referrer")
        response.headers.setdefault("Cache-Control", "no-store")
        return response

    return guard


def _verify_pin(ctx: ApiContext, pin: str) -> None:
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


def _parent_dependency(ctx: ApiContext) -> Callable[[Request], Awaitable[str]]:
    async def parent(request: Request) -> str:
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
            _verify_pin(ctx, pin)
            return "parent"
        raise HTTPException(
            401, _("a parent PIN is needed"), headers={"WWW-Authenticate": "Bearer"}
        )

    return parent


async def _parent(request: Request) -> str:
    """The parent check of the app's own ApiContext (a module-level name FastAPI can resolve)."""
    check: Callable[[Request], Awaitable[str]] = request.app.state.parent
    return await check(request)


Parent = Annotated[str, Depends(_parent)]


def create_app(ctx: ApiContext) -> FastAPI:
    """The FastAPI app for one agent."""
    app = FastAPI(
        title="PlayClock local API",
        version="1",
        openapi_url=f"{API_PREFIX}/openapi.json",
        docs_url=None,
        redoc_url=None,
        max_body_size=MAX_BODY,  # also bodies sent chunked, without a Content-Length
    )
    app.middleware("http")(_guard(ctx))
    app.state.parent = _parent_dependency(ctx)
    agent = ctx.agent

    def run(action: Callable[[], Any]) -> Any:
        try:
            return action()
        except AgentError as exc:
            raise HTTPException(400, str(exc)) from None

    @app.get(f"{API_PREFIX}/health")
    def health() -> dict[str, Any]:
        return {"ok": True, "ticks": agent.ticks}

    @app.get(f"{API_PREFIX}/status")
    def status() -> dict[str, Any]:
        return agent.status()

    @app.get(f"{API_PREFIX}/events")
    def events(after: int = 0, wait: float = 0) -> dict[str, Any]:
        """New events after an id; waits up to `wait` seconds (long polling)."""
        wait = max(0.0, min(wait, 30.0))
        # A few long polls at a time (the trays); more answer at once, so no local
        # program can tie up every worker thread of the API.
        if wait and ctx.pollers.acquire(blocking=False):
            try:
                items = agent.bus.wait(after, wait)
            finally:
                ctx.pollers.release()
        else:
            items = agent.bus.since(after)
        return {"last": agent.bus.last_id, "events": items}

    @app.get(f"{API_PREFIX}/log")
    def event_log(day: dt.date | None = None, limit: int = 500) -> dict[str, Any]:
        """The ledger's events of a day (today by default)."""
        when = day or agent.state.day
        tz = agent.clock.tz
        try:
            start = dt.datetime.combine(when, dt.time(), tz) - dt.timedelta(hours=12)
            end = start + dt.timedelta(hours=48)
        except OverflowError:
            raise HTTPException(422, _("day out of range")) from None
        items = [
            e.as_json()
            for e in agent.ledger.events(start, end, limit=max(1, min(limit, 5000)))
            if e.day == when
        ]
        return {"day": when.isoformat(), "events": items}

    @app.get(f"{API_PREFIX}/requests")
    def requests(state: str | None = "pending") -> dict[str, Any]:
        return {"requests": [r.as_json() for r in agent.ledger.requests(state)]}

    @app.post(f"{API_PREFIX}/requests", status_code=201)
    def ask(body: AskBody) -> dict[str, Any]:
        if not ctx.asks.allow(body.child.casefold()):
            raise HTTPException(429, _("you already asked; wait for a parent to answer"))
        return dict(run(lambda: agent.ask(body.child, body.minutes, body.message)))

    @app.get(f"{API_PREFIX}/session")
    def session_info(request: Request) -> dict[str, Any]:
        token = request.cookies.get(COOKIE) or request.headers.get("authorization", "")[7:]
        return {"parent": bool(ctx.sessions.check(token.strip() or None))}

    @app.post(f"{API_PREFIX}/session")
    def login(body: PinBody, request: Request, response: Response) -> dict[str, Any]:
        if not ctx.logins.allow("login"):
            raise HTTPException(429, _("too many attempts; wait a minute"))
        _verify_pin(ctx, body.pin)
        session = ctx.sessions.issue()
        response.set_cookie(
            COOKIE,
            session.token,
            max_age=SESSION_SECONDS,
            httponly=True,
            samesite="strict",
            path="/",
        )
        return {"token": session.token, "csrf": session.csrf, "expires_in": SESSION_SECONDS}

    @app.delete(f"{API_PREFIX}/session", status_code=204)
    def logout(request: Request, response: Response) -> None:
        ctx.sessions.revoke(request.cookies.get(COOKIE))
        auth = request.headers.get("authorization", "")
        if auth.lower().startswith("bearer "):
            ctx.sessions.revoke(auth[7:].strip())
        response.delete_cookie(COOKIE, path="/")

    @app.post(f"{API_PREFIX}/grants")
    def grant(body: GrantBody, actor: Parent) -> dict[str, Any]:
        run(lambda: agent.grant(body.child, body.target, body.minutes, actor))
        return agent.status()

    @app.post(f"{API_PREFIX}/pause")
    def pause(body: PauseBody, actor: Parent) -> dict[str, Any]:
        run(lambda: agent.pause(body.child, body.paused, actor))
        return agent.status()

    @app.put(f"{API_PREFIX}/children/{{child}}/limits/{{key}}")
    def set_limit(child: str, key: str, body: LimitBody, actor: Parent) -> dict[str, Any]:
        kid = agent.config.child(child)
        base = kid.effective_limits().get(key) if kid is not None else None
        run(lambda: agent.set_limit(child, key, body.spec(key, base), actor))
        return agent.status()

    @app.delete(f"{API_PREFIX}/children/{{child}}/limits/{{key}}")
    def remove_limit(child: str, key: str, actor: Parent) -> dict[str, Any]:
        run(lambda: agent.set_limit(child, key, None, actor))
        return agent.status()

    @app.post(f"{API_PREFIX}/requests/{{request_id}}/answer")
    def answer(
        request_id: Annotated[int, PathParam(ge=1, le=2**63 - 1)],
        body: AnswerBody,
        actor: Parent,
    ) -> dict[str, Any]:
        return dict(run(lambda: agent.answer(request_id, body.approve, body.minutes, actor)))

    @app.post(f"{API_PREFIX}/reload")
    def reload(actor: Parent) -> dict[str, Any]:
        agent.reload()
        agent.log("reload", {}, actor)
        return agent.status()

    @app.put(f"{API_PREFIX}/pin", status_code=204)
    def change_pin(body: PinChangeBody, actor: Parent) -> None:
        try:
            ctx.pins().set_pin(body.new, body.old)
        except PinFormatError as exc:
            raise HTTPException(422, str(exc)) from None
        except WrongPin:
            raise HTTPException(401, _("wrong PIN")) from None
        except LockedOut as exc:
            raise HTTPException(423, str(exc)) from None
        except PinError as exc:
            raise HTTPException(400, str(exc)) from None
        ctx.sessions.revoke_all()
        agent.log("pin_changed", {}, actor)

    for add in ctx.extra_routes:
        add(app, ctx)
    return app


class ApiServer:
    """Uvicorn serving the app in a thread of the agent's process."""

    def __init__(self, ctx: ApiContext, listen: str) -> None:
        self.host, self.port = split_listen(listen)
        ctx.port = self.port
        self.ctx = ctx
        config = uvicorn.Config(
            create_app(ctx),
            host=self.host,
            port=self.port,
            log_level="warning",
            access_log=False,
            lifespan="off",
            # A tray's long poll or an idle keep-alive must not hold the agent's stop up.
            timeout_graceful_shutdown=2,
        )
        self.server = uvicorn.Server(config)
        self.thread = threading.Thread(target=self.server.run, name="playclock-api", daemon=True)

    def start(self, timeout: float = 10.0) -> None:
        """Start serving; raises OSError when the port cannot be bound."""
        self.thread.start()
        deadline = threading.Event()
        for _i in range(int(timeout * 50)):
            if self.server.started:
                return
            if not self.thread.is_alive():
                raise OSError(
                    _("could not listen on {host}:{port}").format(host=self.host, port=self.port)
                )
            deadline.wait(0.02)
        raise OSError(_("the local API did not start in time"))

    def stop(self) -> None:
        """Stop serving."""
        self.server.should_exit = True
        self.thread.join(timeout=5)
