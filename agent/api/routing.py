"""The API's routes on plain Starlette: a JSON body read once, errors answered as JSON.

Errors keep the shape the API has always had: `{"detail": "message"}` for a refusal (with its
headers), `{"detail": [problems]}` (422) for values refused by `agent.api.checks`.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any, cast

from starlette.concurrency import run_in_threadpool
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from agent.api.checks import MISSING, BodyT, Checks, Invalid
from agent.api.context import ApiContext, context_of
from agent.i18n import _

__all__ = ["ApiCall", "ApiRoutes", "Handler", "error_response", "route"]

Json = dict[str, Any]
Answer = Json | Response | None


@dataclass
class ApiCall:
    """One request to an API route: the request, the agent's context and the JSON body sent."""

    request: Request
    ctx: ApiContext
    raw: object = MISSING  # the decoded JSON body (or the text of one that is not JSON)

    @property
    def path(self) -> Mapping[str, str]:
        """The path's parameters, as sent."""
        return cast(Mapping[str, str], self.request.path_params)

    @property
    def query(self) -> Mapping[str, str]:
        """The query's parameters (the last of each name)."""
        return self.request.query_params

    def body(self, kind: type[BodyT]) -> BodyT:
        """The body as `kind`; Invalid (422) naming each refused field."""
        check = Checks()
        return check.done_with(check.body(kind, self.raw))


Handler = Callable[[ApiCall], Answer]


def error_response(exc: HTTPException | Invalid) -> Response:
    """The JSON answer to a refusal."""
    if isinstance(exc, Invalid):
        return JSONResponse({"detail": exc.problems}, 422)
    return JSONResponse({"detail": exc.detail}, exc.status_code, headers=exc.headers)


def _is_json(content_type: str | None) -> bool:
    kind = (content_type or "").split(";")[0].strip().lower()
    main, _sep, sub = kind.partition("/")
    return main == "application" and (sub == "json" or sub.endswith("+json"))


def _no_constant(name: str) -> float:
    raise ValueError(name)  # NaN and Infinity are not JSON


async def _read_body(request: Request) -> object:
    """The JSON body (MISSING when empty; the text when not sent as JSON)."""
    data = await request.body()
    if not data:
        return MISSING
    if not _is_json(request.headers.get("content-type")):
        return data.decode("utf-8", "replace")
    try:
        return json.loads(data, parse_constant=_no_constant)
    except json.JSONDecodeError as exc:
        problem = {
            "type": "json_invalid",
            "loc": ["body", exc.pos],
            "msg": _("JSON decode error"),
            "input": {},
            "ctx": {"error": exc.msg},
        }
        raise Invalid([problem]) from None
    except ValueError as exc:
        if isinstance(exc, UnicodeDecodeError):
            raise
        problem = {
            "type": "json_invalid",
            "loc": ["body", max(0, data.find(str(exc).encode()))],
            "msg": _("JSON decode error"),
            "input": {},
            "ctx": {"error": "Expecting value"},
        }
        raise Invalid([problem]) from None


def _answer(result: Answer, status: int) -> Response:
    if isinstance(result, Response):
        return result
    if result is None:  # an empty body labelled JSON, as FastAPI answered a 204
        return Response(status_code=status, media_type="application/json")
    return JSONResponse(result, status)


def route(
    path: str,
    method: str,
    handler: Handler,
    *,
    status: int = 200,
    body: bool = False,
    inline: bool = False,
) -> Route:
    """A Starlette route calling `handler` in a worker thread (`inline`: on the event loop,
    for an answer that never waits, without the hand-off to a thread and back; issue 15)."""

    async def endpoint(request: Request) -> Response:
        try:
            raw: object = MISSING
            if body:
                try:
                    raw = await _read_body(request)
                except (HTTPException, Invalid):
                    raise
                except Exception:  # not text, or nested too deep: the caller's mistake
                    raise HTTPException(400, _("There was an error parsing the body")) from None
            call = ApiCall(request, context_of(request), raw)
            result = handler(call) if inline else await run_in_threadpool(handler, call)
        except (HTTPException, Invalid) as exc:
            return error_response(exc)
        return _answer(result, status)

    found = Route(path, endpoint, methods=[method])
    found.methods = {method}  # no HEAD for a GET: the API has never answered it
    return found


class ApiRoutes:
    """A module's API routes, declared where they are written."""

    def __init__(self, prefix: str = "") -> None:
        self.prefix = prefix
        self.routes: list[Route] = []

    def _add(
        self, method: str, path: str, status: int, body: bool, inline: bool = False
    ) -> Callable[[Handler], Handler]:
        def register(handler: Handler) -> Handler:
            self.routes.append(
                route(self.prefix + path, method, handler, status=status, body=body, inline=inline)
            )
            return handler

        return register

    def get(self, path: str, *, inline: bool = False) -> Callable[[Handler], Handler]:
        """A GET route (`inline`: answered on the event loop)."""
        return self._add("GET", path, 200, False, inline)

    def post(
        self, path: str, *, status: int = 200, body: bool = True
    ) -> Callable[[Handler], Handler]:
        """A POST route (with a JSON body unless `body` is False)."""
        return self._add("POST", path, status, body)

    def put(
        self, path: str, *, status: int = 200, body: bool = True
    ) -> Callable[[Handler], Handler]:
        """A PUT route with a JSON body."""
        return self._add("PUT", path, status, body)

    def delete(self, path: str, *, status: int = 200) -> Callable[[Handler], Handler]:
        """A DELETE route."""
        return self._add("DELETE", path, status, False)
