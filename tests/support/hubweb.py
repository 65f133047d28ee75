"""The hub's web app in-process for tests: a settable clock, families, forms with CSRF tokens.

    hub = WebHub()                       # SQLite in memory, fast scrypt, fake clock
    a = hub.browser(); a.signup("a@x.test")
    a.post_form("/devices/pair")         # takes the CSRF token from the page it came from
    device, consent = hub.pair_device(a) # a device paired through the API with a code from the page
"""

from __future__ import annotations

import re
import uuid
import warnings
from datetime import UTC, datetime, timedelta
from html import unescape
from typing import Any

from sync.hub import HubSettings, create_app
from sync.hub.security import ScryptParams

with warnings.catch_warnings():
    warnings.simplefilter("ignore")  # Starlette's notice that it prefers httpx2 over httpx
    from fastapi.testclient import TestClient

__all__ = ["PASSWORD", "Clock", "WebBrowser", "WebHub", "csrf_of", "forms_of"]

PASSWORD = "correct horse 1"
_CSRF = re.compile(r'name="csrf" value="([^"]*)"')
_FORM = re.compile(r"<form\b([^>]*)>(.*?)</form>", re.S)


class Clock:
    """A settable clock."""

    def __init__(self) -> None:
        self.now = datetime(2026, 1, 5, 12, 0, tzinfo=UTC)

    def __call__(self) -> datetime:
        return self.now

    def advance(self, **delta: float) -> None:
        """Move time forward."""
        self.now += timedelta(**delta)


def csrf_of(html: str) -> str:
    """The CSRF token of the first form of a page."""
    match = _CSRF.search(html)
    assert match, "no CSRF token on the page"
    return unescape(match[1])


def forms_of(html: str) -> list[tuple[str, str, str]]:
    """Each form of a page: (method, action, inner HTML)."""
    out = []
    for attrs, inner in _FORM.findall(html):
        method = re.search(r'method="([^"]+)"', attrs)
        action = re.search(r'action="([^"]+)"', attrs)
        out.append(((method[1] if method else "get").lower(), unescape(action[1]) if action
                    else "", inner))
    return out


class WebBrowser:
    """One visitor with a cookie jar (a TestClient of its own)."""

    def __init__(self, hub: WebHub, lang: str = "en") -> None:
        self.hub = hub
        self.client = TestClient(hub.app, base_url="http://hub.test")
        self.client.cookies.set("playclock_lang", lang)
        self.last_html = ""
        self.email = ""

    def get(self, path: str, **kwargs: Any) -> Any:
        """GET a page; remembers it for its CSRF token."""
        r = self.client.get(path, **kwargs)
        if r.headers.get("content-type", "").startswith("text/html"):
            self.last_html = r.text
        return r

    def post_form(self, path: str, data: dict[str, str] | None = None, *,
                  page: str | None = None, csrf: str | None = None, follow: bool = False) -> Any:
        """POST a form with the CSRF token of `page` (default: the last page fetched)."""
        if csrf is None:
            if page is not None:
                self.get(page)
            csrf = csrf_of(self.last_html)
        return self.client.post(path, data={"csrf": csrf, **(data or {})},
                                follow_redirects=follow)

    def signup(self, email: str, family: str = "Gia đình Nguyễn") -> None:
        """Create a family and stay logged in."""
        r = self.post_form("/signup", {"family_name": family, "parent_name": "Mẹ",
                                       "email": email, "password": PASSWORD}, page="/signup")
        assert r.status_code == 303, r.text
        self.email = email

    def login(self, email: str, password: str = PASSWORD) -> Any:
        """Log in through the form."""
        return self.post_form("/login", {"email": email, "password": password}, page="/login")

    def pairing_code(self) -> str:
        """A fresh pairing code from the Computers page."""
        r = self.post_form("/devices/pair", page="/devices")
        assert r.status_code == 200, r.text
        match = re.search(r'id="pair-code">([^<]+)<', r.text)
        assert match
        return match[1]


class WebHub:
    """A hub app on in-memory SQLite with a fake clock and fast password hashing."""

    def __init__(self, **settings: Any) -> None:
        self.clock = Clock()
        self.settings = HubSettings(clock=self.clock, scrypt=ScryptParams(n=2**4, r=1, p=1),
                                    **settings)
        self.app = create_app("sqlite://", self.settings)
        self.api = TestClient(self.app, base_url="http://hub.test")

    def browser(self, lang: str = "en") -> WebBrowser:
        """A new visitor."""
        return WebBrowser(self, lang)

    def pair_device(self, parent: WebBrowser, child: str = "An", name: str = "PC",
                    shares: tuple[str, ...] = ("total", "apps", "categories", "counts"),
                    ) -> tuple[str, str]:
        """Pair a device through the API (as the agent does): (device token, consent id)."""
        consent = self.consent_body(str(uuid.uuid4()), child, shares)
        r = self.api.post("/v1/devices/pair", json={"code": parent.pairing_code(),
                                                    "device_name": name, "consents": [consent]})
        assert r.status_code == 201, r.text
        return str(r.json()["device_token"]), str(consent["consent_id"])

    @staticmethod
    def consent_body(consent_id: str, child: str = "An",
                     shares: tuple[str, ...] = ("total", "apps", "categories", "counts"),
                     ) -> dict[str, Any]:
        """A consent record as the agent sends it (the child is 12 and agreed)."""
        return {"consent_id": consent_id, "child": child, "child_birth_year": 2014,
                "parent_name": "Mẹ", "parent_consented_at": "2026-01-02T09:00:00+07:00",
                "child_consented": True, "child_consented_at": "2026-01-02T09:05:00+07:00",
                "shares": list(shares)}

    def upload(self, token: str, consent_id: str, child: str = "An", day: str = "2026-01-05",
               revision: int = 1, total: int = 1800, **extra: Any) -> Any:
        """A device's day summary."""
        body = {"revision": revision, "consent_id": consent_id, "total_seconds": total, **extra}
        return self.api.put(f"/v1/devices/me/days/{child}/{day}", json=body,
                            headers={"Authorization": f"Bearer {token}"})

    def ask(self, token: str, child: str = "An", minutes: int = 20,
            message: str | None = "please") -> int:
        """A child's request sent by a device; its hub id."""
        r = self.api.post("/v1/devices/me/requests", json={
            "client_request_id": uuid.uuid4().hex[:16], "child": child, "target": "games",
            "minutes": minutes, "message": message},
            headers={"Authorization": f"Bearer {token}"})
        assert r.status_code == 201, r.text
        return int(r.json()["id"])
