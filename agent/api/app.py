"""The agent's local HTTP API on loopback: status for everyone, changes only for a parent."""

from __future__ import annotations

import asyncio
import contextlib
import errno
import logging
import socket
import threading
from collections.abc import Callable, Sequence
from functools import cache
from pathlib import Path

import uvicorn
from starlette.applications import Starlette
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route
from starlette.types import ASGIApp, Message, Receive, Scope, Send
from uvicorn.protocols.http.h11_impl import H11Protocol

from agent.api import routes_parent, routes_public, routes_session
from agent.api.context import API_PREFIX, ApiContext
from agent.api.routing import error_response
from agent.i18n import _
from agent.platform.peer import is_loopback

__all__ = ["ApiExtension", "ApiServer", "NotLoopback", "create_app", "split_listen"]

log = logging.getLogger("playclock.api")

MAX_BODY = 64 * 1024
# A flood of connections must not take the file descriptors the probe needs: at most this many
# are open at once (more are closed at once), and one without a complete request is closed
# after REQUEST_SECONDS (a long poll in progress is a request, and keeps its connection).
MAX_CONNECTIONS = 256
REQUEST_SECONDS = 5.0


class NotLoopback(ValueError):
    """The API was asked to listen somewhere other than loopback."""


def split_listen(listen: str) -> tuple[str, int]:
    """("127.0.0.1", 7377) from "127.0.0.1:7377"; NotLoopback for any other address."""
    host, _sep, port = listen.rpartition(":")
    host = host.strip("[]")
    if not is_loopback(host) or not port.isdigit():
        raise NotLoopback(
            _("the local API listens on loopback only, not {listen}").format(listen=listen)
        )
    return host, int(port)


# Added to every answer unless the route set its own.
_SECURITY_HEADERS = (
    (b"x-content-type-options", b"nosniff"),
    (b"x-frame-options", b"DENY"),
    (b"referrer-policy", b"no-referrer"),
    (b"cache-control", b"no-store"),
)


class _Guard:
    """Pure ASGI middleware: loopback callers only, this agent's Host names, a bounded body
    (also one sent chunked, without a Content-Length), and the security headers on every
    answer (one call per request: no task group, no streams, unlike `BaseHTTPMiddleware`;
    issue 15)."""

    def __init__(self, app: ASGIApp, ctx: ApiContext) -> None:
        self.app = app
        self.ctx = ctx

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        refusal = self._refusal(scope)
        if refusal is not None:
            await refusal(scope, receive, _secured(send))
            return
        await self.app(scope, _bounded(receive), _secured(send))

    def _refusal(self, scope: Scope) -> JSONResponse | None:
        client = scope.get("client")
        if not client or not client[0] or not is_loopback(client[0]):
            return JSONResponse({"detail": _("only this computer may use the local API")}, 403)
        headers = dict(scope["headers"])
        host = headers.get(b"host", b"").decode("latin-1")
        if host not in self.ctx.allowed_hosts:
            return JSONResponse({"detail": _("unexpected Host header")}, 421)
        length = headers.get(b"content-length")
        if length and (not length.isdigit() or int(length) > MAX_BODY):
            return JSONResponse({"detail": _("request body too large")}, 413)
        return None


def _bounded(receive: Receive) -> Receive:
    """`receive` refusing a body longer than MAX_BODY (413, where the body is read)."""
    seen = 0

    async def bounded() -> Message:
        nonlocal seen
        message = await receive()
        if message["type"] == "http.request":
            seen += len(message.get("body", b""))
            if seen > MAX_BODY:
                raise HTTPException(413, _("request body too large"))
        return message

    return bounded


def _secured(send: Send) -> Send:
    """`send` adding the security headers the answer does not set itself."""

    async def secured(message: Message) -> None:
        if message["type"] == "http.response.start":
            headers = list(message.get("headers", ()))
            present = {name.lower() for name, _value in headers}
            headers += [(n, v) for n, v in _SECURITY_HEADERS if n not in present]
            message = {**message, "headers": headers}
        await send(message)

    return secured


ApiExtension = Callable[[Starlette, ApiContext], None]

# The API's OpenAPI document, for clients and fuzzers (tests/integration/test_api.py checks
# that it lists every route, and the bounds of each body's fields).
OPENAPI = Path(__file__).with_name("openapi.json")


@cache
def _openapi() -> bytes:
    return OPENAPI.read_bytes()


async def _openapi_route(_request: Request) -> Response:
    return Response(_openapi(), media_type="application/json")


async def _refused(_request: Request, exc: Exception) -> Response:
    """A refusal from the routing itself (404, 405) as JSON, like every other one."""
    return error_response(exc if isinstance(exc, HTTPException) else HTTPException(500))


def create_app(ctx: ApiContext, extensions: Sequence[ApiExtension] = ()) -> Starlette:
    """The Starlette app for one agent: its own routes, then each extension's (dashboard, sync)."""
    openapi = Route(f"{API_PREFIX}/openapi.json", _openapi_route, methods=["GET"])
    openapi.methods = {"GET"}
    app = Starlette(
        routes=[
            *routes_public.routes.routes,
            *routes_session.routes.routes,
            *routes_parent.routes.routes,
            openapi,
        ],
        exception_handlers={HTTPException: _refused},
    )
    app.state.ctx = ctx
    app.add_middleware(_Guard, ctx=ctx)
    for extend in extensions:
        extend(app, ctx)
    return app


class _QuietServer(uvicorn.Server):
    """uvicorn's server, its housekeeping loop waking once a second instead of ten times.

    That loop only refreshes the Date header and looks for a stop; `ApiServer.stop` wakes it
    at once. At ten wakes a second it cost more of a core than the agent's ticks (issue 15).
    """

    _loop: asyncio.AbstractEventLoop | None = None
    _woken: asyncio.Event | None = None

    async def main_loop(self) -> None:
        self._loop = asyncio.get_running_loop()
        self._woken = asyncio.Event()
        counter = 0
        should_exit = await self.on_tick(counter)
        while not should_exit:
            counter = (counter + 10) % 864000  # a multiple of 10: the Date header every time
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._woken.wait(), 1.0)
            should_exit = await self.on_tick(counter)

    def wake(self) -> None:
        """Make the loop look at `should_exit` now (from any thread)."""
        loop, woken = self._loop, self._woken
        if loop is not None and woken is not None:
            with contextlib.suppress(RuntimeError):  # the loop already closed
                loop.call_soon_threadsafe(woken.set)


class _GuardedProtocol(H11Protocol):
    """uvicorn's HTTP/1.1 protocol with a cap on open connections and a request deadline."""

    def connection_made(self, transport: asyncio.Transport) -> None:  # type: ignore[override]
        super().connection_made(transport)
        if len(self.connections) > MAX_CONNECTIONS:
            transport.abort()
            return
        self._watchdog = self.loop.call_later(REQUEST_SECONDS, self._check_idle)

    def _check_idle(self) -> None:
        if self.transport.is_closing():
            return
        busy = self.cycle is not None and not self.cycle.response_complete
        if not busy and self.timeout_keep_alive_task is None:
            self.transport.abort()  # no request (or half of one) for REQUEST_SECONDS
            return
        self._watchdog = self.loop.call_later(REQUEST_SECONDS, self._check_idle)

    def connection_lost(self, exc: Exception | None) -> None:
        watchdog = getattr(self, "_watchdog", None)
        if watchdog is not None:
            watchdog.cancel()
        super().connection_lost(exc)


class ApiServer:
    """Uvicorn serving the app in a thread of the agent's process."""

    def __init__(
        self, ctx: ApiContext, listen: str, extensions: Sequence[ApiExtension] = ()
    ) -> None:
        self.host, self.port = split_listen(listen)
        ctx.port = self.port
        self.ctx = ctx
        config = uvicorn.Config(
            create_app(ctx, extensions),
            host=self.host,
            port=self.port,
            log_level="warning",
            access_log=False,
            lifespan="off",
            http=_GuardedProtocol,
            # asyncio's own loop and no WebSockets: uvloop and wsproto would only add memory.
            loop="asyncio",
            ws="none",
            limit_concurrency=MAX_CONNECTIONS,  # requests beyond it are answered 503
            backlog=128,  # accepted in bursts of at most this many
            # A tray's long poll or an idle keep-alive must not hold the agent's stop up.
            timeout_graceful_shutdown=2,
            # Every caller is local: never take a client address from X-Forwarded-For.
            proxy_headers=False,
            forwarded_allow_ips="",
        )
        self.server = _QuietServer(config)
        self.sockets: list[socket.socket] = []
        self.thread = threading.Thread(target=self._run, name="playclock-api", daemon=True)

    def _run(self) -> None:
        self.server.run(sockets=self.sockets)

    def _addresses(self) -> list[tuple[socket.AddressFamily, str, bool]]:
        """(family, address, required): the loopback of both families for a loopback default.

        Both, so that `localhost` cannot lead to another program listening on the other one.
        """
        if self.host in ("127.0.0.1", "localhost", "::1"):
            return [(socket.AF_INET, "127.0.0.1", True), (socket.AF_INET6, "::1", False)]
        family = socket.AF_INET6 if ":" in self.host else socket.AF_INET
        return [(family, self.host, True)]

    def bind(self) -> None:
        """Bind the listening sockets; OSError when an address is taken (nothing stays bound)."""
        try:
            for family, address, required in self._addresses():
                try:
                    # IPPROTO_TCP named: asyncio sets TCP_NODELAY only on sockets that say
                    # so, and without it each answer waits ~40 ms on the caller's delayed ACK.
                    sock = socket.socket(family, socket.SOCK_STREAM, socket.IPPROTO_TCP)
                except OSError:
                    if required:
                        raise
                    continue  # no IPv6 here
                self.sockets.append(sock)
                sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
                if family == socket.AF_INET6:
                    sock.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_V6ONLY, 1)
                try:
                    sock.bind((address, self.port))
                except OSError as exc:
                    if not required and exc.errno in (errno.EADDRNOTAVAIL, errno.EAFNOSUPPORT):
                        self.sockets.remove(sock)
                        sock.close()
                        continue  # no ::1 on this computer
                    raise OSError(
                        exc.errno,
                        _("could not listen on {host}:{port}: {error}").format(
                            host=f"[{address}]" if ":" in address else address,
                            port=self.port,
                            error=exc.strerror or exc,
                        ),
                    ) from None
                sock.listen(128)  # accepted in bursts of at most this many
                sock.setblocking(False)
        except OSError:
            self.close_sockets()
            raise

    def close_sockets(self) -> None:
        """Close the listening sockets (after a failed bind, or once stopped)."""
        for sock in self.sockets:
            with contextlib.suppress(OSError):
                sock.close()
        self.sockets.clear()

    def start(self, timeout: float = 10.0) -> None:
        """Start serving; raises OSError when the port cannot be bound."""
        self.bind()
        self.thread.start()
        deadline = threading.Event()
        for _i in range(int(timeout * 50)):
            if self.server.started:
                return
            if not self.thread.is_alive():
                self.close_sockets()
                raise OSError(
                    _("could not listen on {host}:{port}").format(host=self.host, port=self.port)
                )
            deadline.wait(0.02)
        raise OSError(_("the local API did not start in time"))

    def stop(self) -> None:
        """Stop serving: long polls answer first, so nothing is left to cancel."""
        self.ctx.agent.bus.close()
        self.server.should_exit = True
        self.server.wake()
        if self.thread.is_alive():
            self.thread.join(timeout=5)
        self.close_sockets()
