"""What the dashboard and the hub's web app share: local redirects and one-time messages."""

from __future__ import annotations

import base64
import gettext
import json
from pathlib import Path
from typing import TYPE_CHECKING, Literal

from starlette.requests import Request
from starlette.responses import Response

if TYPE_CHECKING:
    import jinja2

__all__ = ["read_flash", "safe_next", "set_flash", "template_env"]


def safe_next(target: str | None, default: str = "/") -> str:
    """A local path to go back to; anything else (other hosts, schemes) becomes `default`."""
    if not target or not target.startswith("/") or target.startswith("//") or "\\" in target:
        return default
    if any(ord(ch) < 32 for ch in target):
        return default
    return target


def set_flash(
    response: Response,
    cookie: str,
    message: str,
    *,
    error: bool = False,
    samesite: Literal["lax", "strict"] = "strict",
) -> None:
    """Leave a message for the next page (a short-lived cookie)."""
    data = json.dumps({"k": "error" if error else "ok", "t": message[:500]})
    response.set_cookie(
        cookie,
        base64.urlsafe_b64encode(data.encode()).decode().rstrip("="),
        max_age=60,
        httponly=True,
        samesite=samesite,
        path="/",
    )


def read_flash(request: Request, cookie: str) -> dict[str, str] | None:
    """The message the previous page left ({"kind": "ok"|"error", "text"}), if any."""
    raw = request.cookies.get(cookie)
    if not raw:
        return None
    try:
        data = json.loads(base64.urlsafe_b64decode(raw.encode() + b"==").decode())
    except ValueError:
        return None
    if not isinstance(data, dict) or not isinstance(data.get("t"), str):
        return None
    return {"kind": "error" if data.get("k") == "error" else "ok", "text": data["t"][:500]}


def template_env(folder: Path, translations: gettext.NullTranslations) -> jinja2.Environment:
    """Server-rendered pages' templates: autoescaped, strict, with gettext in the templates."""
    # Imported here: an agent whose dashboard nobody opens never loads Jinja2 (issue 15).
    import jinja2

    env = jinja2.Environment(
        loader=jinja2.FileSystemLoader(folder),
        autoescape=jinja2.select_autoescape(["html"], default=True),
        extensions=["jinja2.ext.i18n"],
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
    )
    env.install_gettext_translations(translations, newstyle=True)  # type: ignore[attr-defined]
    return env
