"""Plumbing for dashboard pages: language, templates, sessions, CSRF checks and flash messages."""

from __future__ import annotations

import datetime as dt
import functools
import secrets
from collections.abc import Callable
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path
from typing import TYPE_CHECKING, Any
from urllib.parse import quote

from starlette.applications import Starlette
from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import HTMLResponse, RedirectResponse, Response
from starlette.routing import Route

from agent.api.context import COOKIE, ApiContext
from agent.dashboard.language import LANG_COOKIE, _, language, language_names, pick_language
from agent.dashboard.language import translations as _translations
from agent.i18n import formatting as fmt
from agent.security.api_sessions import SESSION_SECONDS
from agent.web_pages import read_flash, safe_next, set_flash, template_env

if TYPE_CHECKING:
    import jinja2

__all__ = [
    "CSP",
    "FLASH_COOKIE",
    "LOGIN_COOKIE",
    "Call",
    "Handler",
    "Routes",
    "Web",
    "get_route",
    "iso_day",
    "safe_next",
]

FLASH_COOKIE = "playclock_flash"
LOGIN_COOKIE = "playclock_login"
TEMPLATES = Path(__file__).with_name("templates")
CSP = (
    "default-src 'none'; style-src 'self'; script-src 'self'; img-src 'self' data:; "
    "connect-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'"
)


def get_route(path: str, endpoint: Callable[[Request], object], method: str = "GET") -> Route:
    """A route answering only `method` (Starlette adds HEAD to a GET; the agent never did)."""
    found = Route(path, endpoint, methods=[method], include_in_schema=False)
    found.methods = {method}
    return found


def _number(value: float | int, lang: str) -> str:
    from babel.numbers import format_decimal  # Babel's data loads with the first page

    return format_decimal(value, locale="vi" if lang == "vi" else "en")


@cache
def _env(lang: str) -> jinja2.Environment:
    env = template_env(TEMPLATES, _translations(lang))
    env.filters.update(
        duration=fmt.duration,
        time_left=fmt.time_left,
        date_long=fmt.date_long,
        date_short=fmt.date_short,
        weekday=fmt.weekday,
        time_short=fmt.time_short,
        number=lambda v: _number(v, lang),
    )
    return env


@dataclass
class Call:
    """One request to a dashboard route: its language, parent session and form fields."""

    request: Request
    lang: str
    csrf: str | None  # the parent session's CSRF token, None without a session
    form: dict[str, list[str]] = field(default_factory=dict)

    @property
    def parent(self) -> bool:
        """Whether a parent is logged in."""
        return self.csrf is not None

    def get(self, name: str, default: str = "") -> str:
        """A form field, stripped."""
        values = self.form.get(name)
        return values[0].strip() if values else default

    def getlist(self, name: str) -> list[str]:
        """Every value of a repeated form field."""
        return [v.strip() for v in self.form.get(name, [])]


class Web:
    """Renders pages and guards forms for one API context."""

    def __init__(self, ctx: ApiContext) -> None:
        self.ctx = ctx

    # -- per request -------------------------------------------------------------------

    def lang_of(self, request: Request) -> str:
        """The request's language: the switch's cookie, else the settings, else the OS."""
        return pick_language(
            request.cookies.get(LANG_COOKIE), self.ctx.agent.config.settings.locale
        )

    def session_csrf(self, request: Request) -> str | None:
        """The parent session's CSRF token, or None when not logged in."""
        return self.ctx.sessions.check(request.cookies.get(COOKIE))

    def origin_ok(self, request: Request) -> bool:
        """A browser's Origin (when sent) must be this dashboard's own."""
        # "null" passes: browsers send it from pages with `Referrer-Policy: no-referrer`;
        # the SameSite=Strict cookies and the CSRF tokens are the defence that matters.
        origin = request.headers.get("origin")
        if origin is None or origin == "null":
            return True
        host = request.headers.get("host", "")
        return origin == f"http://{host}" and host in self.ctx.allowed_hosts

    # -- responses ---------------------------------------------------------------------

    def fragment(self, call: Call, name: str, **values: Any) -> str:
        """A template rendered to text with the common values (language, session, path)."""
        path = call.request.url.path
        query = call.request.url.query
        here = path + (f"?{query}" if query else "")
        values.setdefault("flash", None)
        return (
            _env(call.lang)
            .get_template(name)
            .render(
                lang=call.lang,
                languages=language_names(),
                parent=call.parent,
                csrf=call.csrf or "",
                path=path,
                here=quote(here, safe="/"),
                now=self.ctx.agent.clock.now(),
                **values,
            )
        )

    def render(self, call: Call, name: str, code: int = 200, **values: Any) -> HTMLResponse:
        """A template as a page, with the flash message shown once."""
        flash = read_flash(call.request, FLASH_COOKIE)
        html = self.fragment(call, name, flash=flash, **values)
        response = HTMLResponse(html, status_code=code)
        response.headers["Content-Security-Policy"] = CSP
        response.headers["Referrer-Policy"] = "same-origin"
        if flash is not None:
            response.delete_cookie(FLASH_COOKIE, path="/")
        return response

    @staticmethod
    def redirect(url: str, message: str | None = None, *, error: bool = False) -> Response:
        """303 See Other, with a message for the next page."""
        response = RedirectResponse(url, status_code=303)
        if message:
            set_flash(response, FLASH_COOKIE, message, error=error)
        return response

    def to_login(self, call: Call) -> Response:
        """Send someone without a parent session to the PIN form."""
        here = call.request.url.path
        if call.request.method == "GET" and call.request.url.query:
            here += f"?{call.request.url.query}"
        return self.redirect(f"/login?next={quote(here, safe='/')}")

    def refused(self, call: Call) -> HTMLResponse:
        """403 for a form without the right CSRF token; nothing was changed."""
        return self.render(
            call,
            "message.html",
            code=403,
            title=_("Not allowed"),
            message=_(
                "This form was out of date or came from another page, so nothing was changed. "
                "Go back, reload the page and try again."
            ),
        )

    @staticmethod
    def login_token(response: Response) -> str:
        """A token tying the PIN form to this browser's cookie (against forged logins)."""
        token = secrets.token_urlsafe(24)
        response.set_cookie(
            LOGIN_COOKIE, token, max_age=SESSION_SECONDS, httponly=True, samesite="strict", path="/"
        )
        return token

    # -- routes ------------------------------------------------------------------------

    def page(
        self, app: Starlette, path: str, handler: Callable[[Call], Response], *, parent: bool
    ) -> None:
        """A GET page; parent pages send everyone else to /login."""

        def work(request: Request) -> Response:
            call = Call(request, self.lang_of(request), self.session_csrf(request))
            with language(call.lang):
                if parent and not call.parent:
                    return self.to_login(call)
                return handler(call)

        async def endpoint(request: Request) -> Response:
            return await run_in_threadpool(work, request)

        app.router.routes.append(get_route(path, endpoint))

    def action(
        self,
        app: Starlette,
        path: str,
        handler: Callable[[Call], Response],
        *,
        parent: bool = True,
    ) -> None:
        """A POST form: parent actions need the session and its CSRF token."""

        def work(request: Request, form: dict[str, list[str]]) -> Response:
            call = Call(request, self.lang_of(request), self.session_csrf(request), form)
            with language(call.lang):
                if not self.origin_ok(request):
                    return self.refused(call)
                if parent:
                    if not call.parent:
                        return self.redirect(
                            "/login",
                            _("Your session has ended. Enter the parent PIN again."),
                            error=True,
                        )
                    cookie = request.cookies.get(COOKIE)
                    if not self.ctx.sessions.csrf_ok(cookie, call.get("csrf") or None):
                        return self.refused(call)
                return handler(call)

        async def endpoint(request: Request) -> Response:
            form: dict[str, list[str]] = {}
            try:
                data = await request.form(max_files=0, max_fields=400)
            except Exception:  # a malformed body: treat as an empty form (it will be refused)
                data = None
            if data is not None:
                for key, value in data.multi_items():
                    if isinstance(value, str):
                        form.setdefault(key, []).append(value)
            return await run_in_threadpool(work, request, form)

        app.router.routes.append(get_route(path, endpoint, "POST"))


def iso_day(text: str | None, default: dt.date) -> dt.date:
    """A YYYY-MM-DD query value, or `default` when missing or malformed."""
    try:
        return dt.date.fromisoformat(text) if text else default
    except ValueError:
        return default


Handler = Callable[[Web, Call], Response]


class Routes:
    """A module's pages and forms, declared where they are written."""

    def __init__(self) -> None:
        self._pages: list[tuple[str, Handler, bool]] = []
        self._actions: list[tuple[str, Handler, bool]] = []

    def page(self, path: str, *, parent: bool) -> Callable[[Handler], Handler]:
        """A GET page; parent pages send everyone else to /login."""

        def register(handler: Handler) -> Handler:
            self._pages.append((path, handler, parent))
            return handler

        return register

    def action(self, path: str, *, parent: bool = True) -> Callable[[Handler], Handler]:
        """A POST form; parent actions need the session and its CSRF token."""

        def register(handler: Handler) -> Handler:
            self._actions.append((path, handler, parent))
            return handler

        return register

    def mount(self, app: Starlette, web: Web) -> None:
        """Serve every page and form of this module on `app`, rendered by `web`."""
        for path, handler, parent in self._pages:
            web.page(app, path, functools.partial(handler, web), parent=parent)
        for path, handler, parent in self._actions:
            web.action(app, path, functools.partial(handler, web), parent=parent)
