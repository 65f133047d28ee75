"""Who is asking: parent sessions in a cookie, CSRF tokens on every form, same-origin posts."""

from __future__ import annotations

import hashlib
import hmac
import secrets
from dataclasses import dataclass
from typing import Annotated, Any
from urllib.parse import quote, urlsplit

from fastapi import Depends, Request
from fastapi.responses import Response
from sqlalchemy import delete, func, select
from sqlalchemy.orm import Session

from sync.hub.core import Hub
from sync.hub.models import ChildRequest, Family, Parent, ParentPrefs, ParentSession
from sync.hub.security import SESSION_TOKEN_PREFIX, digest, new_token
from sync.hub.web.pages import WebExit, page, redirect
from sync.hub.web.texts import LANG_COOKIE, Texts, pick_language

__all__ = [
    "CSRF_COOKIE",
    "SESSION_COOKIE",
    "Call",
    "FormDep",
    "end_session",
    "open_call",
    "set_lang_pref",
    "start_session",
]

SESSION_COOKIE = "playclock_hub"
CSRF_COOKIE = "playclock_hub_csrf"
_MAX_FIELDS = 40


async def _read_form(request: Request) -> dict[str, str]:
    if request.method != "POST":
        return {}
    ctype = request.headers.get("content-type", "")
    if not ctype.startswith(("application/x-www-form-urlencoded", "multipart/form-data")):
        return {}
    form = await request.form(max_files=0, max_fields=_MAX_FIELDS)
    return {k: v for k, v in form.items() if isinstance(v, str)}


FormDep = Annotated[dict[str, str], Depends(_read_form)]


def _csrf_for(token: str) -> str:
    return hashlib.sha256(f"csrf:{token}".encode()).hexdigest()[:40]


@dataclass
class Call:
    """One web request: language, texts, the parent (if logged in), CSRF token and form."""

    request: Request
    hub: Hub
    lang: str
    texts: Texts
    form: dict[str, str]
    parent: Parent | None = None
    family_name: str = ""
    csrf: str = ""
    new_csrf_cookie: str | None = None  # set on the response (pages before login)
    open_requests: int = 0

    def _(self, message: str) -> str:
        """Translate."""
        return self.texts._(message)

    def get(self, name: str, default: str = "") -> str:
        """A form field, stripped."""
        return self.form.get(name, default).strip()

    @property
    def family_id(self) -> int:
        """The logged-in parent's family."""
        assert self.parent is not None
        return self.parent.family_id

    def render(self, name: str, code: int = 200, **values: Any) -> Response:
        """A page with the common values."""
        response = page(self.request, self.lang, name, code, parent=self.parent,
                        family_name=self.family_name, csrf=self.csrf,
                        open_requests=self.open_requests, **values)
        if self.new_csrf_cookie:
            response.set_cookie(CSRF_COOKIE, self.new_csrf_cookie, httponly=True,
                                samesite="strict", path="/", secure=_https(self.request))
        return response

    def fail(self, code: int, message: str) -> WebExit:
        """An error page to raise."""
        return WebExit(self.render("message.html", code, title=message, text=""))


def _https(request: Request) -> bool:
    return request.url.scheme == "https"


def _same_origin(request: Request) -> bool:
    # Browsers send Origin on every POST; a form posted from another site is refused.
    origin = request.headers.get("origin")
    if origin is None or origin == "null":
        return True
    return urlsplit(origin).netloc == request.headers.get("host", "")


def _session_parent(s: Session, hub: Hub, token: str | None) -> Parent | None:
    if not token or not token.startswith(SESSION_TOKEN_PREFIX):
        return None
    row = s.execute(select(Parent, ParentSession.expires_at)
                    .join(ParentSession, ParentSession.parent_id == Parent.id)
                    .where(ParentSession.token_sha256 == digest(token))).one_or_none()
    if row is None or row[1] <= hub.now():
        return None
    return row[0]


def open_call(request: Request, hub: Hub, form: dict[str, str], *,
              need_parent: bool = True) -> Call:
    """Check the request (session, CSRF on POST, origin) and gather what every page needs."""
    lang = pick_language(request.cookies.get(LANG_COOKIE), request.headers.get("accept-language"))
    call = Call(request=request, hub=hub, lang=lang, texts=Texts(lang), form=form)
    token = request.cookies.get(SESSION_COOKIE)
    with hub.db.begin() as s:
        parent = _session_parent(s, hub, token)
        if parent is not None:
            call.parent = parent
            call.family_name = s.get_one(Family, parent.family_id).name
            call.open_requests = int(s.execute(select(func.count()).select_from(ChildRequest)
                                               .where(ChildRequest.family_id == parent.family_id,
                                                      ChildRequest.status == "open"))
                                     .scalar_one())
    if parent is not None and token:
        call.csrf = _csrf_for(token)
    else:
        call.csrf = request.cookies.get(CSRF_COOKIE) or ""
        if len(call.csrf) != 40:
            call.csrf = secrets.token_hex(20)
            call.new_csrf_cookie = call.csrf
    if need_parent and parent is None:
        target = request.url.path + (f"?{request.url.query}" if request.url.query else "")
        if request.method == "POST":
            target = "/today"
        raise WebExit(redirect(f"/login?next={quote(target, safe='/')}",
                               call._("Please log in.") if token else None, error=bool(token)))
    if request.method == "POST":
        sent = form.get("csrf", "") or request.headers.get("x-csrf-token", "")
        if not _same_origin(request) or not sent or not hmac.compare_digest(sent, call.csrf) \
                or call.new_csrf_cookie:
            raise call.fail(403, call._("This form has expired: go back, reload the page and "
                                        "try again."))
    return call


def start_session(hub: Hub, call: Call, parent_id: int, response: Response) -> None:
    """Open a session for a parent: a fresh token in an HttpOnly cookie."""
    token = new_token(SESSION_TOKEN_PREFIX)
    now = hub.now()
    expires = now + hub.settings.session_ttl
    with hub.db.begin() as s:
        s.execute(delete(ParentSession).where(ParentSession.parent_id == parent_id,
                                              ParentSession.expires_at <= now))
        s.add(ParentSession(token_sha256=digest(token), parent_id=parent_id, created_at=now,
                            expires_at=expires))
        set_lang_pref(s, parent_id, call.lang)
    response.set_cookie(SESSION_COOKIE, token, httponly=True, samesite="lax", path="/",
                        secure=_https(call.request),
                        max_age=int(hub.settings.session_ttl.total_seconds()))
    response.delete_cookie(CSRF_COOKIE, path="/")


def end_session(hub: Hub, request: Request, response: Response) -> None:
    """Forget the session (database and cookie)."""
    token = request.cookies.get(SESSION_COOKIE)
    if token:
        with hub.db.begin() as s:
            s.execute(delete(ParentSession).where(ParentSession.token_sha256 == digest(token)))
    response.delete_cookie(SESSION_COOKIE, path="/")


def set_lang_pref(s: Session, parent_id: int, lang: str) -> None:
    """Remember the language a parent uses, for their notifications."""
    row = s.get(ParentPrefs, parent_id)
    if row is None:
        s.add(ParentPrefs(parent_id=parent_id, lang=lang))
    else:
        row.lang = lang

