"""Rendering the web app's pages: Jinja2 per language, security headers, flash messages."""

from __future__ import annotations

from functools import cache
from pathlib import Path
from typing import Any

import jinja2
from fastapi import Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from agent.web_pages import read_flash as read_cookie_flash
from agent.web_pages import safe_next as local_path
from agent.web_pages import set_flash, template_env
from sync.hub.web.texts import Texts, language_names

__all__ = ["CSP", "FLASH_COOKIE", "WebExit", "page", "read_flash", "redirect", "safe_next"]

TEMPLATES = Path(__file__).with_name("templates")
FLASH_COOKIE = "playclock_hub_flash"
CSP = ("default-src 'none'; style-src 'self'; script-src 'self'; img-src 'self' data:; "
       "connect-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'; "
       "manifest-src 'self'; worker-src 'self'")


class WebExit(Exception):
    """Stop handling a web request and answer with this response (a redirect, an error page)."""

    def __init__(self, response: Response) -> None:
        super().__init__(response.status_code)
        self.response = response


def safe_next(target: str | None, default: str = "/today") -> str:
    """A local path to go back to; anything else (other hosts, schemes) becomes `default`."""
    return local_path(target, default)


@cache
def _env(lang: str) -> jinja2.Environment:
    texts = Texts(lang)
    env = template_env(TEMPLATES, texts.catalog)
    env.filters.update(duration=texts.duration, date_short=texts.date_short,
                       weekday=texts.weekday, weekday_short=texts.weekday_short,
                       time_short=texts.time_short)
    env.globals.update(languages=language_names(), texts=texts)
    return env


def read_flash(request: Request) -> dict[str, str] | None:
    """The one-time message the previous page left, if any."""
    return read_cookie_flash(request, FLASH_COOKIE)


def secure_headers(response: Response) -> Response:
    """The headers every page carries."""
    response.headers["Content-Security-Policy"] = CSP
    response.headers["Referrer-Policy"] = "same-origin"
    response.headers["X-Content-Type-Options"] = "nosniff"
    response.headers["Cache-Control"] = "no-store"
    return response


def page(request: Request, lang: str, name: str, code: int = 200, **values: Any) -> HTMLResponse:
    """A template rendered as a page, showing the pending flash message once."""
    flash = read_flash(request)
    values.setdefault("parent", None)
    values.setdefault("csrf", "")
    values.setdefault("open_requests", 0)
    here = request.url.path + (f"?{request.url.query}" if request.url.query else "")
    html = _env(lang).get_template(name).render(
        lang=lang, path=request.url.path, here=here, flash=flash, **values)
    response = HTMLResponse(html, status_code=code)
    if flash is not None:
        response.delete_cookie(FLASH_COOKIE, path="/")
    return secure_headers(response)  # type: ignore[return-value]


def redirect(url: str, message: str | None = None, *, error: bool = False) -> Response:
    """303 See Other, with a message for the next page."""
    response = RedirectResponse(url, status_code=303)
    if message:
        set_flash(response, FLASH_COOKIE, message, error=error, samesite="lax")
    return secure_headers(response)
