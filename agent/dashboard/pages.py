"""Pages for everyone on this computer: today, about, the language switch, PIN login and logout."""

from __future__ import annotations

import datetime as dt
from functools import cache
from pathlib import Path

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from agent.api.context import COOKIE, set_session_cookie
from agent.dashboard.language import LANG_COOKIE, _
from agent.dashboard.views import child_views, sync_on, words_shared
from agent.dashboard.web import LOGIN_COOKIE, Call, Routes, Web, get_route, safe_next
from agent.i18n import LANGUAGES
from agent.security.api_sessions import SESSION_SECONDS
from agent.security.pin.errors import PinError, PinNotSet
from agent.security.pin.manager import VerifyStatus

__all__ = ["other_routes", "routes"]

STATIC = Path(__file__).with_name("static")
_TYPES = {"dashboard.css": "text/css; charset=utf-8", "dashboard.js": "text/javascript"}


@cache
def _static(name: str) -> bytes:
    return (STATIC / name).read_bytes()


routes = Routes()  # The public pages and login/logout.


@routes.page("/", parent=False)
def today(web: Web, call: Call) -> Response:
    ctx = web.ctx
    status = ctx.agent.status()
    children = child_views(status, ctx.agent.config)
    partial = call.request.query_params.get("partial") == "1"
    return web.render(
        call,
        "today_children.html" if partial else "today.html",
        children=children,
        status=status,
        day=dt.date.fromisoformat(status["day"]),
        sync=sync_on(status),
    )


@routes.page("/about", parent=False)
def about(web: Web, call: Call) -> Response:
    ctx = web.ctx
    status = ctx.agent.status()
    return web.render(
        call,
        "about.html",
        sync=sync_on(status),
        words_shared=words_shared(status),
        children=[c.name for c in ctx.agent.config.children],
        data_dir=status.get("agent", {}).get("data_dir", ""),
    )


@routes.page("/login", parent=False)
def login_form(web: Web, call: Call) -> Response:
    ctx = web.ctx
    target = safe_next(call.request.query_params.get("next"), "/parent")
    if call.parent:
        return web.redirect(target)
    locked, problem = "", ""
    try:
        pins = ctx.pins()
        if not pins.is_set():
            problem = _("No parent PIN is set yet. Set one on this computer: playclock pin set")
        seconds = int(pins.seconds_locked() + 0.999)
        if seconds:
            locked = _("Too many wrong PINs. Try again in {seconds} s.").format(seconds=seconds)
    except PinError as exc:
        problem = str(exc)
    holder = Response()
    token = web.login_token(holder)
    response = web.render(
        call, "login.html", target=target, locked=locked, problem=problem, token=token
    )
    response.headers.append("set-cookie", holder.headers["set-cookie"])
    return response


@routes.action("/login", parent=False)
def login(web: Web, call: Call) -> Response:
    ctx = web.ctx
    target = safe_next(call.get("next"), "/parent")
    back = f"/login?next={target}"
    token = call.request.cookies.get(LOGIN_COOKIE)
    if not token or call.get("token") != token:
        return web.refused(call)
    if not ctx.logins.allow("login"):
        return web.redirect(back, _("Too many attempts. Wait a minute."), error=True)
    try:
        result = ctx.pins().verify(call.get("pin"))
    except PinNotSet:
        msg = _("No parent PIN is set yet. Set one on this computer: playclock pin set")
        return web.redirect(back, msg, error=True)
    except PinError as exc:
        return web.redirect(back, str(exc), error=True)
    seconds = int(result.seconds_left + 0.999)
    if result.status is VerifyStatus.LOCKED:
        msg = _("Too many wrong PINs. Try again in {seconds} s.").format(seconds=seconds)
        return web.redirect(back, msg, error=True)
    if result.status is VerifyStatus.WRONG:
        msg = _("Wrong PIN. Wrong tries in a row: {count}.").format(count=result.failures)
        if seconds:
            msg += " " + _("Try again in {seconds} s.").format(seconds=seconds)
        return web.redirect(back, msg, error=True)
    session = ctx.sessions.issue()
    minutes = SESSION_SECONDS // 60
    response = web.redirect(
        target, _("Logged in. The session ends after {n} minutes.").format(n=minutes)
    )
    set_session_cookie(response, session.token)
    response.delete_cookie(LOGIN_COOKIE, path="/")
    return response


@routes.page("/logout", parent=False)
@routes.action("/logout", parent=True)
def logout(web: Web, call: Call) -> Response:
    ctx = web.ctx
    ctx.sessions.revoke(call.request.cookies.get(COOKIE))
    response = web.redirect("/", _("Logged out."))
    response.delete_cookie(COOKIE, path="/")
    return response


def switch_language(request: Request) -> Response:
    code = request.path_params["code"]
    target = safe_next(request.query_params.get("next"))
    response = Web.redirect(target)
    if code in LANGUAGES:
        response.set_cookie(
            LANG_COOKIE, code, max_age=365 * 86400, samesite="lax", path="/", httponly=True
        )
    return response


def static(request: Request) -> Response:
    name = request.path_params["name"]
    if name not in _TYPES:
        return Response(status_code=404)
    return Response(_static(name), media_type=_TYPES[name])


def other_routes() -> list[Route]:
    """The language switch and the static files (neither needs a `Call`)."""
    return [get_route("/lang/{code}", switch_language), get_route("/static/{name}", static)]
