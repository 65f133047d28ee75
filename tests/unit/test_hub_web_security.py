"""The hub's web app under attack: lockout, CSRF on every form, no cross-family access, expiry."""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

import pytest
from fastapi.routing import APIRoute
from sqlalchemy import func, select

from sync.hub.models import ChildRequest, Command, Consent, Device
from tests.support.hubweb import PASSWORD, WebBrowser, WebHub, forms_of

# Pages a logged-in parent can open (GET); every form on them must carry a CSRF token.
PAGES = ("/today", "/requests", "/adjust", "/report", "/devices", "/consents", "/parents")


@pytest.fixture
def hub() -> WebHub:
    return WebHub()


class Family:
    """A family with a parent browser, a paired device, an uploaded day and an open request."""

    def __init__(self, hub: WebHub, email: str, child: str) -> None:
        self.browser = hub.browser()
        self.browser.signup(email)
        self.child = child
        self.token, self.consent = hub.pair_device(self.browser, child=child)
        assert hub.upload(self.token, self.consent, child=child).status_code == 200
        self.request = hub.ask(self.token, child=child)
        with hub.app.state.hub.db.begin() as s:
            self.device = s.execute(select(Device.id).join(Consent, Consent.device_id == Device.id)
                                    .where(Consent.id == self.consent)).scalar_one()


def _routes(routes: list[Any]) -> list[APIRoute]:
    out: list[APIRoute] = []
    for route in routes:
        inner = getattr(route, "original_router", None)  # FastAPI keeps included routers
        out += _routes(inner.routes) if inner is not None else (
            [route] if isinstance(route, APIRoute) else [])
    return out


def _web_routes(hub: WebHub) -> list[APIRoute]:
    return [r for r in _routes(hub.app.routes) if not r.path.startswith("/v1")]


# -- login lockout and sessions ----------------------------------------------------------------


def test_login_locks_out_after_five_wrong_passwords_even_for_the_right_one(hub: WebHub) -> None:
    owner = hub.browser()
    owner.signup("lock@example.test")
    visitor = hub.browser()
    for _ in range(5):
        r = visitor.login("lock@example.test", "wrong password")
        assert r.status_code == 401
        assert "Wrong e-mail address or password." in r.text
    r = visitor.login("lock@example.test", PASSWORD)
    assert r.status_code == 429
    assert "Too many attempts: try again in 15 minutes." in r.text
    assert "playclock_hub" not in r.cookies
    hub.clock.advance(minutes=15, seconds=1)
    r = visitor.login("lock@example.test", PASSWORD)
    assert r.status_code == 303 and r.headers["location"] == "/today"
    assert visitor.get("/today").status_code == 200


def test_lockout_message_in_vietnamese(hub: WebHub) -> None:
    hub.browser().signup("vi@example.test")
    visitor = hub.browser("vi")
    for _ in range(5):
        assert visitor.login("vi@example.test", "sai mật khẩu").status_code == 401
    r = visitor.login("vi@example.test", PASSWORD)
    assert r.status_code == 429
    assert "Quá nhiều lần thử: hãy thử lại sau 15 phút." in r.text


def test_sessions_expire_after_twelve_hours(hub: WebHub) -> None:
    parent = hub.browser()
    parent.signup("exp@example.test")
    assert parent.get("/today").status_code == 200
    hub.clock.advance(hours=11, minutes=59)
    assert parent.get("/today").status_code == 200
    hub.clock.advance(minutes=2)
    r = parent.get("/today", follow_redirects=False)
    assert r.status_code == 303
    assert r.headers["location"].startswith("/login?next=/today")
    # A form posted with the expired session does nothing either.
    r = parent.post_form("/devices/pair", csrf="0" * 40)
    assert r.status_code == 303 and r.headers["location"].startswith("/login")


def test_logout_ends_the_session_for_the_stolen_cookie_too(hub: WebHub) -> None:
    parent = hub.browser()
    parent.signup("out@example.test")
    stolen = parent.client.cookies.get("playclock_hub")
    assert stolen
    assert parent.post_form("/logout", page="/today").status_code == 303
    thief = hub.browser()
    thief.client.cookies.set("playclock_hub", stolen)
    assert thief.get("/today", follow_redirects=False).status_code == 303


def test_session_cookie_is_httponly_and_not_readable_by_scripts(hub: WebHub) -> None:
    parent = hub.browser()
    r = parent.post_form("/signup", {"family_name": "F", "email": "c@example.test",
                                     "password": PASSWORD}, page="/signup")
    cookie = next(v for k, v in r.headers.items() if k == "set-cookie" and "playclock_hub=" in v)
    assert "HttpOnly" in cookie and "SameSite=lax" in cookie
    assert "pcs_" not in parent.get("/today").text  # the token never appears in a page


# -- CSRF ------------------------------------------------------------------------------------------


def test_every_form_on_every_page_carries_a_csrf_token(hub: WebHub) -> None:
    fam = Family(hub, "forms@example.test", "An")
    parent = fam.browser
    pages = [parent.get(p).text for p in PAGES]
    pages.append(parent.post_form("/devices/pair", page="/devices").text)
    pages.append(parent.post_form("/parents/invite", page="/parents").text)
    logged_out = hub.browser()
    pages += [logged_out.get("/login").text, logged_out.get("/signup").text]
    posts = [(action, inner) for html in pages for method, action, inner in forms_of(html)
             if method == "post"]
    assert len(posts) >= 15
    for action, inner in posts:
        assert re.search(r'name="csrf" value="[0-9a-f]{40}"', inner), action


def _fill(path: str, fam: Family) -> str:
    return (path.replace("{request_id}", str(fam.request))
            .replace("{device_id}", str(fam.device))
            .replace("{consent_id}", fam.consent)
            .replace("{token}", "pci_unknown"))


def test_every_post_route_refuses_a_missing_wrong_or_cross_site_token(hub: WebHub) -> None:
    fam = Family(hub, "csrf@example.test", "An")
    parent = fam.browser
    good = parent.get("/today") and re.search(r'name="csrf" value="([^"]+)"',
                                              parent.last_html)[1]  # type: ignore[index]
    posts = [r for r in _web_routes(hub) if "POST" in r.methods]
    assert {r.path for r in posts} >= {"/signup", "/login", "/logout", "/parents/invite",
                                       "/invite/{token}", "/requests/{request_id}/answer",
                                       "/adjust/{kind}", "/devices/pair",
                                       "/devices/{device_id}/remove",
                                       "/consents/{consent_id}/withdraw",
                                       "/push/subscriptions"}
    kinds = ("grant", "limit", "pause", "hours")
    targets = [p for r in posts for p in
               ([r.path.replace("{kind}", k) for k in kinds] if "{kind}" in r.path
                else [_fill(r.path, fam)])]
    form = {"child": "An", "minutes": "5", "daily_minutes": "5", "answer": "approve",
            "email": "x@example.test", "password": PASSWORD, "family_name": "F"}
    for path in targets:
        for token in ("", "0" * 40):
            r = parent.client.post(path, data={**form, "csrf": token}, follow_redirects=False)
            assert r.status_code == 403, (path, token, r.status_code)
            assert "This form has expired" in r.text
        r = parent.client.post(path, data={**form, "csrf": good}, follow_redirects=False,
                               headers={"Origin": "https://evil.example"})
        assert r.status_code == 403, (path, "cross-site")
    # The push subscription takes its token in a header (it is posted by script).
    r = parent.client.post("/push/subscriptions", json={
        "endpoint": "https://push.example/x", "keys": {"p256dh": "a", "auth": "b"}})
    assert r.status_code == 403
    # Nothing happened: the device, request and consent are as they were.
    with hub.app.state.hub.db.begin() as s:
        assert s.get(Device, fam.device) is not None
        assert s.get_one(ChildRequest, fam.request).status == "open"
        assert s.get_one(Consent, fam.consent).withdrawn_at is None
        assert s.execute(select(func.count()).select_from(Command)).scalar_one() == 0


def test_logged_out_forms_need_the_cookie_token_too(hub: WebHub) -> None:
    visitor = hub.browser()
    visitor.get("/login")
    r = visitor.client.post("/login", data={"email": "a@example.test", "password": "x" * 9},
                            follow_redirects=False)
    assert r.status_code == 403
    other = hub.browser()  # a token from another visitor's page does not match this cookie
    other.get("/signup")
    foreign = re.search(r'name="csrf" value="([^"]+)"', other.last_html)[1]  # type: ignore[index]
    r = visitor.client.post("/signup", data={"csrf": foreign, "family_name": "F",
                                             "email": "b@example.test", "password": PASSWORD})
    assert r.status_code == 403


# -- no cross-family access --------------------------------------------------------------------

Probe = Callable[[WebBrowser, Family], Any]

# Every web route that names an object: how a parent of family A asks for family B's.
CROSS_FAMILY: dict[tuple[str, str], list[Probe]] = {
    ("POST", "/requests/{request_id}/answer"): [
        lambda a, b: a.post_form(f"/requests/{b.request}/answer", {"answer": "approve"},
                                 page="/requests"),
        lambda a, b: a.post_form(f"/requests/{b.request}/answer", {"answer": "decline"},
                                 page="/requests"),
    ],
    ("POST", "/devices/{device_id}/remove"): [
        lambda a, b: a.post_form(f"/devices/{b.device}/remove", page="/devices"),
    ],
    ("POST", "/consents/{consent_id}/withdraw"): [
        lambda a, b: a.post_form(f"/consents/{b.consent}/withdraw", page="/consents"),
    ],
    ("POST", "/adjust/{kind}"): [
        (lambda k: lambda a, b: a.post_form(f"/adjust/{k}", {
            "child": b.child, "target": "total", "minutes": "30", "daily_minutes": "30",
            "allowed": "16:00-20:00"}, page="/adjust"))(kind)
        for kind in ("grant", "limit", "pause", "hours")
    ],
    ("GET", "/adjust"): [lambda a, b: a.get(f"/adjust?child={b.child}")],
}
# Routes with a path parameter that is not a family's object.
NOT_OBJECTS = {
    "/lang/{code}",  # a language code
    "/invite/{token}",  # a bearer link: whoever holds it may join that family, by design
}
# The API's parent routes with an object of another family (JSON 404s).
API_CROSS_FAMILY: list[Callable[[WebHub, str, Family], Any]] = [
    lambda h, t, b: h.api.delete(f"/v1/devices/{b.device}", headers={"Authorization": t}),
    lambda h, t, b: h.api.post("/v1/commands", headers={"Authorization": t}, json={
        "type": "answer_request", "request_id": b.request, "approve": True}),
    lambda h, t, b: h.api.post("/v1/commands", headers={"Authorization": t}, json={
        "type": "grant", "child": b.child, "target": "total", "minutes": 5,
        "device_id": b.device}),
]


def test_every_object_route_is_in_the_cross_family_table(hub: WebHub) -> None:
    with_params = {r.path for r in _web_routes(hub) if "{" in r.path}
    listed = {path for _method, path in CROSS_FAMILY} | NOT_OBJECTS
    assert with_params <= listed, f"add these routes to CROSS_FAMILY: {with_params - listed}"


def test_a_parent_of_family_a_gets_404_for_every_object_of_family_b(hub: WebHub) -> None:
    a = Family(hub, "a@example.test", "An")
    b = Family(hub, "b@example.test", "Binh")
    for (method, path), probes in CROSS_FAMILY.items():
        for probe in probes:
            r = probe(a.browser, b)
            assert r.status_code == 404, (method, path, r.status_code)
            assert "Not found" in r.text
            main = r.text.split('<main id="main"', 1)[1]  # the language links echo the URL
            assert "Binh" not in main and "b@example.test" not in main
    r = hub.api.post("/v1/login", json={"email": "a@example.test", "password": PASSWORD})
    token = f"Bearer {r.json()['token']}"
    for call in API_CROSS_FAMILY:
        r = call(hub, token, b)
        assert r.status_code == 404, r.text
    # Family A's own pages never show B's child, device or request.
    for page in PAGES:
        html = a.browser.get(page).text
        assert "Binh" not in html, page
    # B's things are untouched.
    with hub.app.state.hub.db.begin() as s:
        assert s.get(Device, b.device) is not None
        assert s.get_one(ChildRequest, b.request).status == "open"
        assert s.get_one(Consent, b.consent).withdrawn_at is None
        assert s.execute(select(func.count()).select_from(Command)).scalar_one() == 0
    # And B still sees all of it.
    assert "Binh" in b.browser.get("/today").text
    assert f"request-{b.request}" in b.browser.get("/requests").text


# -- no 500 and no traceback ever reaches a user -------------------------------------------------


def test_odd_input_never_gives_a_500_or_a_traceback(hub: WebHub) -> None:
    fam = Family(hub, "odd@example.test", "An")
    parent = fam.browser
    odd = ["/report?week=2026-W99", "/report?week=%00", "/report?week=9999-W52",
           "/adjust?child=%00", "/adjust?child=" + "x" * 5000, "/requests/abc/answer",
           "/devices/99999999999999999999999/remove", "/consents/not-a-uuid/withdraw",
           "/lang/xx?next=//evil.example", "/invite/" + "z" * 300, "/nowhere", "/static/../x"]
    for path in odd:
        for method in ("GET", "POST"):
            r = parent.client.request(method, path, data={"csrf": "x"}, follow_redirects=False)
            assert r.status_code < 500, (method, path, r.status_code)
            assert "Traceback" not in r.text
            if r.status_code == 303:
                assert r.headers["location"].startswith("/"), r.headers["location"]
                assert not r.headers["location"].startswith("//")
    garbage = {"minutes": "-5", "daily_minutes": "99999", "allowed": "25:00-26:00",
               "target": "a b/c", "child": "An", "answer": "maybe"}
    for kind in ("grant", "limit", "hours", "pause"):
        r = parent.post_form(f"/adjust/{kind}", garbage, page="/adjust")
        assert r.status_code in (303, 404), (kind, r.status_code)
    r = parent.post_form(f"/requests/{fam.request}/answer", {"answer": "approve",
                                                             "minutes": "x"}, page="/requests")
    assert r.status_code == 303


def test_a_crash_shows_a_friendly_page_not_a_traceback(hub: WebHub,
                                                       monkeypatch: pytest.MonkeyPatch) -> None:
    from fastapi.testclient import TestClient

    from sync.hub.web import routes_family

    parent = hub.browser()
    parent.signup("crash@example.test")

    def boom(*_args: Any, **_kwargs: Any) -> Any:
        raise RuntimeError("secret internal detail")

    monkeypatch.setattr(routes_family, "family_today", boom)
    client = TestClient(hub.app, base_url="http://hub.test", raise_server_exceptions=False)
    client.cookies.update(parent.client.cookies)
    r = client.get("/today")
    assert r.status_code == 500
    assert "Something went wrong on the hub" in r.text
    assert "secret internal detail" not in r.text and "Traceback" not in r.text
    assert client.get("/v1/health").json()["status"] == "ok"
