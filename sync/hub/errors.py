"""One error body for every failure, the exception handlers, and the request size bound."""

from __future__ import annotations

import json
import logging
from collections.abc import Callable, Sequence
from typing import Any

from fastapi import FastAPI, HTTPException, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, PlainTextResponse, Response
from sqlalchemy.exc import DBAPIError, InterfaceError, OperationalError
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from sync.hub.schemas import ErrorOut

__all__ = ["ApiError", "BodySizeLimit", "error_body", "install_error_handlers", "responses"]

log = logging.getLogger(__name__)

_CODES = {
    400: "bad_request",
    401: "unauthorized",
    403: "forbidden",
    404: "not_found",
    405: "method_not_allowed",
    409: "conflict",
    413: "body_too_large",
    415: "unsupported_media_type",
    422: "validation_error",
    429: "rate_limited",
    500: "internal_error",
    503: "unavailable",
}



def responses(*statuses: int) -> dict[int | str, dict[str, Any]]:
    """OpenAPI `responses=` entries documenting these error statuses with ErrorOut."""
    return {s: {"model": ErrorOut, "description": _CODES[s].replace("_", " ")} for s in statuses}


class ApiError(HTTPException):
    """An HTTP error with a stable machine-readable code."""

    def __init__(self, status: int, code: str, message: str,
                 headers: dict[str, str] | None = None) -> None:
        super().__init__(status_code=status, detail=message, headers=headers)
        self.code = code


def error_body(code: str, message: str, fields: Sequence[dict[str, str]] = ()) -> dict[str, Any]:
    """The JSON error document (see ErrorOut)."""
    return {"error": code, "message": message, "fields": list(fields)}


def _field_name(loc: Sequence[Any]) -> str:
    return ".".join(str(part) for part in loc) or "body"


PageFor = Callable[[Request, int], Response]


def install_error_handlers(app: FastAPI, page: PageFor | None = None,
                           is_page: Callable[[str], bool] | None = None) -> None:
    """Route FastAPI's and Starlette's errors through the one error body (or `page` for HTML)."""

    def html(request: Request) -> bool:
        return page is not None and is_page is not None and is_page(request.url.path)

    @app.exception_handler(StarletteHTTPException)
    async def _http_error(request: Request, exc: StarletteHTTPException) -> Response:
        if page is not None and html(request):
            return page(request, exc.status_code)
        code = getattr(exc, "code", None) or _CODES.get(exc.status_code, "error")
        message = exc.detail if isinstance(exc.detail, str) else code.replace("_", " ")
        return JSONResponse(error_body(code, message), exc.status_code, headers=exc.headers)

    @app.exception_handler(RequestValidationError)
    async def _invalid(request: Request, exc: RequestValidationError) -> Response:
        if page is not None and html(request):
            return page(request, 404)  # a page's only typed inputs are ids in its path
        errors = list(exc.errors())
        if any(e.get("type") == "json_invalid" for e in errors):
            return JSONResponse(error_body("invalid_json", "the request body is not valid JSON"),
                                400)
        fields = [{"field": _field_name(e.get("loc", ())),
                   "message": str(e.get("msg", "")).removeprefix("Value error, ")}
                  for e in errors]
        summary = "; ".join(f"{f['field']}: {f['message']}" for f in fields[:5])
        more = f" (and {len(fields) - 5} more)" if len(fields) > 5 else ""
        return JSONResponse(error_body("validation_error", f"invalid request: {summary}{more}",
                                       fields), 422)

    @app.exception_handler(Exception)
    async def _crash(request: Request, exc: Exception) -> Response:
        if isinstance(exc, OperationalError | InterfaceError) or (
                isinstance(exc, DBAPIError) and exc.connection_invalidated):
            log.warning("the database failed: %s", str(exc).splitlines()[0])
            if page is not None and html(request):
                return page(request, 503)
            return JSONResponse(error_body("database_unavailable",
                                           "the database does not answer"), 503)
        log.exception("unhandled error", exc_info=exc)
        if page is not None and html(request):
            try:
                return page(request, 500)
            except Exception:  # the error page itself failed: plain text, still no traceback
                log.exception("the error page failed")
                return PlainTextResponse("internal error", 500)
        return JSONResponse(error_body("internal_error", "internal error"), 500)


class BodySizeLimit:
    """ASGI middleware: 413 for any request body over `max_bytes`, declared or streamed."""

    def __init__(self, app: ASGIApp, max_bytes: int) -> None:
        self.app = app
        self.max_bytes = max_bytes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        """Check the declared length, then read the (bounded) body and replay it to the app."""
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        declared = dict(scope["headers"]).get(b"content-length")
        if declared is not None and (not declared.isdigit() or int(declared) > self.max_bytes):
            await self._reject(send)
            return
        # Reading it all first means a chunked body (no Content-Length) is bounded as well.
        chunks: list[bytes] = []
        size = 0
        while True:
            message = await receive()
            if message["type"] == "http.disconnect":
                return
            chunk = message.get("body", b"")
            size += len(chunk)
            if size > self.max_bytes:
                await self._reject(send)
                return
            chunks.append(chunk)
            if not message.get("more_body", False):
                break
        replayed = False

        async def replay() -> Message:
            nonlocal replayed
            if not replayed:
                replayed = True
                return {"type": "http.request", "body": b"".join(chunks), "more_body": False}
            return await receive()

        await self.app(scope, replay, send)

    async def _reject(self, send: Send) -> None:
        limit = f"{self.max_bytes // 1024} KiB"
        body = json.dumps(error_body("body_too_large", f"request body over {limit}")).encode()
        await send({"type": "http.response.start", "status": 413, "headers": [
            (b"content-type", b"application/json"),
            (b"content-length", str(len(body)).encode()),
            (b"connection", b"close"),
        ]})
        await send({"type": "http.response.body", "body": body})
