"""Putting the web app on the hub: routes, static files, the PWA manifest, HTML error pages."""

from __future__ import annotations

from pathlib import Path

from fastapi import FastAPI, Request
from fastapi.responses import FileResponse, JSONResponse, Response
from fastapi.staticfiles import StaticFiles

from sync.hub.web import routes_account, routes_devices, routes_family
from sync.hub.web.pages import WebExit, page
from sync.hub.web.texts import LANG_COOKIE, Texts, pick_language

__all__ = ["error_page", "is_web_path", "mount_web"]

STATIC = Path(__file__).with_name("static")


def is_web_path(path: str) -> bool:
    """Whether a path belongs to the web app (HTML errors) rather than the API (JSON errors)."""
    return not (path.startswith("/v1/") or path in ("/v1", "/openapi.json", "/docs", "/redoc")
                or path.startswith(("/docs/", "/push/")))


def error_page(request: Request, status: int) -> Response:
    """A friendly page for an error status, in the visitor's language; never a traceback."""
    lang = pick_language(request.cookies.get(LANG_COOKIE), request.headers.get("accept-language"))
    t = Texts(lang)
    titles = {
        404: t._("Not found"),
        405: t._("Not found"),
        413: t._("That was too much to send."),
        429: t._("Too many attempts: wait a little and try again."),
        503: t._("The hub's database does not answer: try again in a minute."),
    }
    title = titles.get(status, t._("Something went wrong on the hub: try again."))
    return page(request, lang, "message.html", status if status >= 400 else 500, title=title,
                text="")


def _manifest(request: Request) -> JSONResponse:
    lang = pick_language(request.cookies.get(LANG_COOKIE), request.headers.get("accept-language"))
    t = Texts(lang)
    body = {
        "name": "PlayClock",
        "short_name": "PlayClock",
        "description": t._("See, approve and adjust your children's screen time."),
        "lang": lang,
        "start_url": "/today",
        "scope": "/",
        "display": "standalone",
        "background_color": "#f8fafc",
        "theme_color": "#1e3a8a",
        "icons": [
            {"src": "/static/icon-192.png", "sizes": "192x192", "type": "image/png"},
            {"src": "/static/icon-512.png", "sizes": "512x512", "type": "image/png"},
            {"src": "/static/icon-512.png", "sizes": "512x512", "type": "image/png",
             "purpose": "maskable"},
            {"src": "/static/icon.svg", "sizes": "any", "type": "image/svg+xml"},
        ],
    }
    return JSONResponse(body, media_type="application/manifest+json")


def mount_web(app: FastAPI) -> None:
    """Add the web app's routes and files to a hub app."""

    @app.exception_handler(WebExit)
    async def _web_exit(_request: Request, exc: WebExit) -> Response:
        return exc.response

    app.mount("/static", StaticFiles(directory=STATIC), name="static")
    app.add_api_route("/manifest.webmanifest", _manifest, include_in_schema=False)

    def service_worker() -> FileResponse:
        response = FileResponse(STATIC / "sw.js", media_type="text/javascript")
        response.headers["Service-Worker-Allowed"] = "/"
        response.headers["Cache-Control"] = "no-cache"
        return response

    app.add_api_route("/sw.js", service_worker, include_in_schema=False)
    for module in (routes_account, routes_family, routes_devices):
        app.include_router(module.router)
