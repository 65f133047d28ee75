"""Web pages for accounts: sign-up, login, logout, language, parents and invitations."""

from __future__ import annotations

import re

from fastapi import APIRouter, Request
from fastapi.responses import Response
from sqlalchemy import select, update
from sqlalchemy.exc import IntegrityError

from sync.hub.core import HubDep, client_ip
from sync.hub.models import Family, Parent, ParentInvite
from sync.hub.security import digest, new_token
from sync.hub.web.guard import Call, FormDep, end_session, open_call, set_lang_pref, start_session
from sync.hub.web.pages import redirect, safe_next
from sync.hub.web.texts import LANG_COOKIE

__all__ = ["router"]

router = APIRouter(include_in_schema=False)
_EMAIL = re.compile(r"^[^@\s]{1,64}@[^@\s]+\.[^@\s]+$")
_CONTROL = re.compile(r"[\x00-\x1f\x7f-\x9f/]")


def _name(value: str, limit: int = 100) -> str | None:
    value = value.strip()
    if not value or len(value) > limit or _CONTROL.search(value):
        return None
    return value


def _account_errors(call: Call, email: str, password: str) -> list[str]:
    errors = []
    if len(email) > 254 or not _EMAIL.match(email):
        errors.append(call._("Enter a valid e-mail address."))
    if not 8 <= len(password) <= 256:
        errors.append(call._("The password needs at least 8 characters."))
    return errors


@router.get("/")
def home(request: Request, hub: HubDep, form: FormDep) -> Response:
    """The app's start: today's page for a parent, the login page for anyone else."""
    call = open_call(request, hub, form, need_parent=False)
    return redirect("/today" if call.parent else "/login")


@router.get("/lang/{code}")
def switch_language(code: str, request: Request, hub: HubDep, form: FormDep,
                    next: str = "/") -> Response:
    """Switch the language (a cookie; a parent's notifications follow it), then go back."""
    response = redirect(safe_next(next, "/"))
    if code in ("vi", "en"):
        response.set_cookie(LANG_COOKIE, code, max_age=365 * 86_400, samesite="lax", path="/")
        call = open_call(request, hub, form, need_parent=False)
        if call.parent is not None:
            with hub.db.begin() as s:
                set_lang_pref(s, call.parent.id, code)
    return response


@router.api_route("/signup", methods=["GET", "POST"])
def signup(request: Request, hub: HubDep, form: FormDep) -> Response:
    """Create a family and its first parent, then log in."""
    call = open_call(request, hub, form, need_parent=False)
    if call.parent is not None:
        return redirect("/today")
    if request.method == "GET":
        return call.render("signup.html", errors=[], values={})
    family = _name(call.get("family_name"))
    parent_name = _name(call.get("parent_name")) if call.get("parent_name") else None
    email = call.get("email").lower()
    password = call.form.get("password", "")
    errors = _account_errors(call, email, password)
    if family is None:
        errors.insert(0, call._("Enter your family's name (up to 100 characters)."))
    if call.get("parent_name") and parent_name is None:
        errors.append(call._("Enter your name (up to 100 characters)."))
    values = {"family_name": call.get("family_name"), "parent_name": call.get("parent_name"),
              "email": email}
    if errors:
        return call.render("signup.html", 422, errors=errors, values=values)
    now = hub.now()
    with hub.db.begin() as s:
        wait = hub.signup_limiter.attempt(s, hub.signup_limiter.key(client_ip(request)), now)
    if wait is not None:
        return call.render("signup.html", 429, values=values, errors=[
            call._("Too many new families from this address: try again later.")])
    password_hash = hub.hash_password(password)
    try:
        with hub.db.begin() as s:
            if s.execute(select(Parent.id).where(Parent.email == email)).first():
                raise IntegrityError("email", None, Exception())
            row = Family(name=family, created_at=now)
            s.add(row)
            s.flush()
            parent = Parent(family_id=row.id, email=email, created_at=now,
                            name=parent_name or email.split("@")[0], password_hash=password_hash)
            s.add(parent)
            s.flush()
            parent_id = parent.id
    except IntegrityError:
        return call.render("signup.html", 409, values=values, errors=[
            call._("There is already a login with this e-mail address: log in instead.")])
    response = redirect("/devices", call._("Welcome! Now pair your child's computer."))
    start_session(hub, call, parent_id, response)
    return response


@router.api_route("/login", methods=["GET", "POST"])
def login(request: Request, hub: HubDep, form: FormDep, next: str = "/today") -> Response:
    """Log in with e-mail and password (slow KDF; 5 tries per 15 minutes per address)."""
    call = open_call(request, hub, form, need_parent=False)
    target = safe_next(call.get("next") or next)
    if request.method == "GET":
        if call.parent is not None:
            return redirect(target)
        return call.render("login.html", errors=[], email="", next=target)
    email = call.get("email").lower()
    password = call.form.get("password", "")
    if not email or not password or len(email) > 254 or len(password) > 256:
        return call.render("login.html", 422, email=email[:254], next=target,
                           errors=[call._("Enter your e-mail address and password.")])
    key = hub.login_limiter.key(client_ip(request), email)
    with hub.db.begin() as s:
        wait = hub.login_limiter.attempt(s, key, hub.now())
        parent = s.execute(select(Parent).where(Parent.email == email)).scalar_one_or_none()
    if wait is not None:
        minutes = max(1, -(-wait // 60))
        return call.render("login.html", 429, email=email, next=target, errors=[
            call._("Too many attempts: try again in {n} minutes.").format(n=minutes)])
    ok = hub.verify_password(password, parent.password_hash if parent else hub.dummy_hash)
    if parent is None or not ok:
        return call.render("login.html", 401, email=email, next=target,
                           errors=[call._("Wrong e-mail address or password.")])
    with hub.db.begin() as s:
        hub.login_limiter.reset(s, key)
    response = redirect(target)
    start_session(hub, call, parent.id, response)
    return response


@router.post("/logout")
def logout(request: Request, hub: HubDep, form: FormDep) -> Response:
    """End the session."""
    call = open_call(request, hub, form)
    response = redirect("/login", call._("You are logged out."))
    end_session(hub, request, response)
    return response


@router.get("/parents")
def parents(request: Request, hub: HubDep, form: FormDep) -> Response:
    """The family's parent logins and the form to invite another parent."""
    call = open_call(request, hub, form)
    with hub.db.begin() as s:
        rows = s.execute(select(Parent).where(Parent.family_id == call.family_id)
                         .order_by(Parent.id)).scalars().all()
    return call.render("parents.html", parents=rows, invite_link=None)


@router.post("/parents/invite")
def invite(request: Request, hub: HubDep, form: FormDep) -> Response:
    """A one-time link (valid 3 days) for another parent to create their login."""
    call = open_call(request, hub, form)
    assert call.parent is not None
    token = new_token("pci_")
    now = hub.now()
    with hub.db.begin() as s:
        s.add(ParentInvite(token_sha256=digest(token), family_id=call.family_id,
                           created_by=call.parent.id, created_at=now,
                           expires_at=now + hub.settings.invite_ttl, used_at=None))
        rows = s.execute(select(Parent).where(Parent.family_id == call.family_id)
                         .order_by(Parent.id)).scalars().all()
    base = (hub.settings.public_url or str(request.base_url)).rstrip("/")
    return call.render("parents.html", parents=rows, invite_link=f"{base}/invite/{token}")


@router.api_route("/invite/{token}", methods=["GET", "POST"])
def accept_invite(token: str, request: Request, hub: HubDep, form: FormDep) -> Response:
    """The invited parent chooses their name, e-mail and password."""
    call = open_call(request, hub, form, need_parent=False)
    now = hub.now()
    with hub.db.begin() as s:
        row = s.get(ParentInvite, digest(token))
        family = s.get(Family, row.family_id) if row else None
    if row is None or family is None or row.used_at is not None or row.expires_at <= now:
        return call.render("message.html", 404, title=call._("This invitation is not valid"),
                           text=call._("It was used already or has expired: ask for a new one."))
    if request.method == "GET":
        return call.render("invite.html", family=family.name, errors=[], values={})
    name = _name(call.get("name")) if call.get("name") else None
    email = call.get("email").lower()
    password = call.form.get("password", "")
    errors = _account_errors(call, email, password)
    values = {"name": call.get("name"), "email": email}
    if errors:
        return call.render("invite.html", 422, family=family.name, errors=errors, values=values)
    password_hash = hub.hash_password(password)
    try:
        with hub.db.begin() as s:
            claimed = s.execute(update(ParentInvite).where(
                ParentInvite.token_sha256 == digest(token), ParentInvite.used_at.is_(None))
                .values(used_at=now).returning(ParentInvite.token_sha256)).first()
            if claimed is None:
                raise IntegrityError("invite", None, Exception())
            if s.execute(select(Parent.id).where(Parent.email == email)).first():
                raise IntegrityError("email", None, Exception())
            parent = Parent(family_id=row.family_id, email=email, created_at=now,
                            name=name or email.split("@")[0], password_hash=password_hash)
            s.add(parent)
            s.flush()
            parent_id = parent.id
    except IntegrityError:
        return call.render("invite.html", 409, family=family.name, values=values, errors=[
            call._("There is already a login with this e-mail address: log in instead.")])
    response = redirect("/today", call._("Welcome to {family}!").format(family=family.name))
    start_session(hub, call, parent_id, response)
    return response
