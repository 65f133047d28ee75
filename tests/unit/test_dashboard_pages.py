"""Dashboard pages and forms through TestClient: sessions, CSRF, languages and edits."""

from __future__ import annotations

import html as html_lib
import importlib.util
import re
import unicodedata
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from starlette.testclient import TestClient

from agent import dashboard
from agent.api.app import create_app
from agent.api.context import ApiContext
from agent.security.pin.lockout import FileLockoutStore
from agent.security.pin.manager import PinManager, ScryptParams
from agent.security.root_keyring import RootFileKeyring
from agent.security.secret_store import open_store
from playclock.compose import Runtime, build

PIN = "4321"
RULES = """version = 1

[settings]
locale = "{locale}"

[apps.fakegame]
title = "Fake game"
category = "games"
names = ["fakegame"]

[apps.calc]
title = "Calculator"
category = "education"
names = ["gnome-calculator"]

[[child]]
name = "An"
accounts = ["an-playclock-test"]

[child.limits.total]
daily = 120

[child.limits.games]
daily = 60

[[child]]
name = "Bình"
accounts = ["binh-playclock-test"]
preset = "vn-decree-147"
"""


@dataclass
class Dash:
    """A started agent (not ticking) with the dashboard, and a client for it."""

    runtime: Runtime
    client: TestClient
    rules: Path

    def status(self) -> dict[str, Any]:
        """The agent's status document through the API."""
        body: dict[str, Any] = self.client.get("/api/v1/status").json()
        return body

    def child(self, name: str) -> dict[str, Any]:
        """One child of the status document."""
        return dict(next(c for c in self.status()["children"] if c["name"] == name))

    def limit(self, child: str, key: str) -> dict[str, Any]:
        """One limit row of a child."""
        return dict(next(r for r in self.child(child)["limits"] if r["id"] == key))

    def login_token(self) -> str:
        """The PIN form's token (and its cookie, kept by the client)."""
        page = self.client.get("/login")
        assert page.status_code == 200
        return _field(page.text, "token")

    def login(self, pin: str = PIN, next_page: str = "/parent") -> Any:
        """POST the PIN form."""
        token = self.login_token()
        return self.client.post("/login", data={"pin": pin, "token": token, "next": next_page})

    def csrf(self) -> str:
        """Log in and return the session's CSRF token from the parent page."""
        assert self.login().status_code == 303
        return _field(self.client.get("/parent").text, "csrf")

    def flash(self, page: str = "/") -> str:
        """The message shown once on the next page."""
        found = re.search(r'class="flash flash-\w+"[^>]*>([^<]*)<', self.client.get(page).text)
        return found.group(1) if found else ""


def _field(html: str, name: str) -> str:
    found = re.search(rf'name="{name}" value="([^"]*)"', html)
    assert found, f"no {name} field"
    return found.group(1)


def _make(tmp_path: Path, locale: str = "en") -> Iterator[Dash]:
    rules = tmp_path / "rules.toml"
    rules.write_text(RULES.format(locale=locale), encoding="utf-8")
    runtime = build(rules, tmp_path / "data")
    runtime.agent.start()
    secrets = tmp_path / "secrets"
    secrets.mkdir(mode=0o700)
    pins = PinManager(
        open_store(RootFileKeyring(secrets)),
        FileLockoutStore(tmp_path / "lockout.json"),
        log=lambda event, fields: runtime.agent.log(event, fields, "pin"),
        params=ScryptParams(n=2**10),
    )
    pins.set_pin(PIN)
    ctx = ApiContext(runtime.agent, lambda: pins, 7377)
    # A real loopback client and Host, as the guard demands of every caller.
    client = TestClient(
        create_app(ctx, [dashboard.mount]),
        base_url="http://127.0.0.1:7377",
        client=("127.0.0.1", 50000),
        follow_redirects=False,
    )
    try:
        yield Dash(runtime, client, runtime.agent.source.path or rules)
    finally:
        client.close()
        runtime.agent.stop()
        runtime.ledger.close()


@pytest.fixture
def dash(tmp_path: Path) -> Iterator[Dash]:
    """English settings."""
    yield from _make(tmp_path)


@pytest.fixture
def dash_vi(tmp_path: Path) -> Iterator[Dash]:
    """`locale = "vi"` in the settings."""
    yield from _make(tmp_path, "vi")


def _changes(dash: Dash) -> list[str]:
    return [
        e.kind
        for e in dash.runtime.ledger.events()
        if e.kind in ("grant", "pause", "resume", "rules_changed", "request_answered")
    ]


# -- who may see what --------------------------------------------------------------------


@pytest.mark.parametrize("path", ["/parent", "/rules", "/log", "/report", "/log?day=2026-01-02"])
def test_parent_pages_redirect_to_login_without_a_session(dash: Dash, path: str) -> None:
    resp = dash.client.get(path)
    assert resp.status_code == 303
    location = resp.headers["location"]
    assert location.startswith("/login?next=")
    assert path.split("?")[0] in location


def test_today_is_for_everyone_and_says_monitoring_is_on(dash: Dash) -> None:
    resp = dash.client.get("/")
    assert resp.status_code == 200
    html = resp.text
    assert "This computer is monitored by PlayClock; a parent set it up" in html
    assert 'href="/about"' in html
    assert "An" in html and "Bình" in html
    assert "Total screen time" in html
    assert re.search(r"<progress max=\"7200\" value=\"0\"", html)
    assert "default-src 'none'" in resp.headers["content-security-policy"]
    assert resp.headers["x-frame-options"] == "DENY"
    assert 'href="/rules"' not in html, "no parent links without a session"


def test_today_partial_is_only_the_children(dash: Dash) -> None:
    resp = dash.client.get("/?partial=1")
    assert resp.status_code == 200
    assert "<html" not in resp.text
    assert "Updated at" in resp.text and "Bình" in resp.text


def test_about_tells_what_is_tracked_and_where_to_get_help(dash: Dash) -> None:
    html = dash.client.get("/about").text
    assert "111</a> — Tổng đài quốc gia bảo vệ trẻ em" in html
    assert "free, 24 hours a day" in html
    assert "Sync is off" in html
    assert "does not record websites" in html


def test_static_files(dash: Dash) -> None:
    css = dash.client.get("/static/dashboard.css")
    assert css.status_code == 200 and css.headers["content-type"].startswith("text/css")
    assert dash.client.get("/static/dashboard.js").status_code == 200
    assert dash.client.get("/static/other.txt").status_code == 404


# -- login ----------------------------------------------------------------------------------


def test_right_pin_logs_in_and_logout_ends_it(dash: Dash) -> None:
    resp = dash.login(next_page="/rules")
    assert resp.status_code == 303
    assert resp.headers["location"] == "/rules"
    cookie = next(h for h in resp.headers.get_list("set-cookie") if "playclock_session=" in h)
    assert "HttpOnly" in cookie and "SameSite=strict" in cookie
    assert dash.client.get("/rules").status_code == 200
    csrf = _field(dash.client.get("/parent").text, "csrf")
    out = dash.client.post("/logout", data={"csrf": csrf})
    assert out.status_code == 303 and out.headers["location"] == "/"
    assert dash.client.get("/parent").status_code == 303


def test_wrong_pin_is_refused_with_the_count_then_locked(dash: Dash) -> None:
    resp = dash.login(pin="0000")
    assert resp.status_code == 303 and resp.headers["location"].startswith("/login")
    assert dash.flash("/login") == "Wrong PIN. Wrong tries in a row: 1."
    for _try in range(4):
        dash.login(pin="1111")
    assert "Wrong tries in a row: 5. Try again in 30 s." in dash.flash("/login")
    assert "Too many wrong PINs. Try again in" in dash.client.get("/login").text
    resp = dash.login(pin=PIN)
    assert dash.flash("/login").startswith("Too many wrong PINs. Try again in")
    assert "playclock_session" not in dash.client.cookies
    assert dash.client.get("/parent").status_code == 303


def test_login_needs_the_token_of_its_own_form(dash: Dash) -> None:
    resp = dash.client.post("/login", data={"pin": PIN, "next": "/parent"})
    assert resp.status_code == 403
    assert "playclock_session" not in dash.client.cookies
    forged = dash.client.post("/login", data={"pin": PIN, "token": "made-up"})
    assert forged.status_code == 403


@pytest.mark.parametrize("target", ["//evil.example/x", "https://evil.example/", "\\\\evil"])
def test_login_goes_back_to_local_pages_only(dash: Dash, target: str) -> None:
    resp = dash.login(next_page=target)
    assert resp.status_code == 303
    assert resp.headers["location"] == "/parent"


# -- CSRF -----------------------------------------------------------------------------------


def test_post_without_csrf_is_refused_and_changes_nothing(dash: Dash) -> None:
    csrf = dash.csrf()
    rules_before = dash.rules.read_text(encoding="utf-8")
    status_before = dash.status()
    form = {"child": "An", "key": "total", "daily": "5", "op": "save"}
    assert dash.client.post("/rules/limit", data=form).status_code == 403
    assert dash.client.post("/rules/limit", data={**form, "csrf": "wrong"}).status_code == 403
    grant = {"child": "An", "target": "*", "minutes": "60"}
    assert dash.client.post("/parent/grant", data=grant).status_code == 403
    assert dash.client.post("/parent/pause", data={"child": "An", "paused": "1"}).status_code == 403
    assert dash.rules.read_text(encoding="utf-8") == rules_before
    assert dash.status()["children"] == status_before["children"]
    assert _changes(dash) == []
    # The same form with the token does change things (so the refusals above meant it).
    assert dash.client.post("/rules/limit", data={**form, "csrf": csrf}).status_code == 303
    assert dash.limit("An", "total")["limit_seconds"] == 5 * 60


def test_post_from_another_site_is_refused(dash: Dash) -> None:
    csrf = dash.csrf()
    resp = dash.client.post(
        "/parent/pause",
        data={"csrf": csrf, "child": "An", "paused": "1"},
        headers={"Origin": "http://evil.example"},
    )
    assert resp.status_code == 403
    assert dash.child("An")["paused"] is False


def test_post_without_a_session_goes_to_login(dash: Dash) -> None:
    csrf = dash.csrf()
    dash.client.cookies.clear()
    resp = dash.client.post("/parent/pause", data={"csrf": csrf, "child": "An", "paused": "1"})
    assert resp.status_code == 303 and resp.headers["location"] == "/login"
    assert dash.child("An")["paused"] is False


def test_every_post_form_carries_the_csrf_token(dash: Dash) -> None:
    csrf = dash.csrf()
    dash.runtime.agent.ask("An", 15, "please")
    for page in ("/parent", "/rules", "/", "/log", "/about"):
        html = dash.client.get(page).text
        forms = re.findall(r'<form[^>]*method="post".*?</form>', html, re.S)
        assert forms or page in ("/", "/log", "/about")
        for form in forms:
            assert f'name="csrf" value="{csrf}"' in form, form[:200]


# -- languages ------------------------------------------------------------------------------


def test_language_switch_is_remembered_in_a_cookie(dash: Dash) -> None:
    resp = dash.client.get("/lang/vi", params={"next": "/about"})
    assert resp.status_code == 303 and resp.headers["location"] == "/about"
    assert "playclock_lang=vi" in resp.headers["set-cookie"]
    html = dash.client.get("/").text
    assert '<html lang="vi">' in html
    assert "Thời gian sử dụng hôm nay" in html
    assert re.search(r"(Thứ (Hai|Ba|Tư|Năm|Sáu|Bảy)|Chủ Nhật), \d\d/\d\d/\d{4}", html)
    assert "Tổng thời gian sử dụng" in html and "Thời gian còn lại" in html
    back = dash.client.get("/lang/en", params={"next": "https://evil.example/"})
    assert back.headers["location"] == "/"
    assert '<html lang="en">' in dash.client.get("/").text


def test_unknown_language_is_ignored(dash: Dash) -> None:
    resp = dash.client.get("/lang/xx")
    assert resp.status_code == 303
    assert "set-cookie" not in resp.headers
    assert '<html lang="en">' in dash.client.get("/").text


def test_language_comes_from_the_settings_unless_switched(dash_vi: Dash) -> None:
    assert '<html lang="vi">' in dash_vi.client.get("/").text
    dash_vi.client.get("/lang/en")
    assert '<html lang="en">' in dash_vi.client.get("/").text


def test_page_language_does_not_leak_into_the_api(dash_vi: Dash) -> None:
    for _i in range(20):
        assert "Giới thiệu" in dash_vi.client.get("/about").text
    resp = dash_vi.client.post("/api/v1/grants", json={"child": "An", "minutes": 5})
    assert resp.status_code == 401
    assert resp.json()["detail"] == "a parent PIN is needed"


# -- parent actions -------------------------------------------------------------------------


def test_grant_pause_and_answers(dash: Dash) -> None:
    csrf = dash.csrf()
    resp = dash.client.post(
        "/parent/grant", data={"csrf": csrf, "child": "An", "target": "games", "minutes": "15"}
    )
    assert resp.status_code == 303
    assert dash.flash("/parent") == "An got 15 minutes of bonus time for today."
    assert dash.limit("An", "games")["bonus_seconds"] == 15 * 60
    assert dash.limit("An", "total")["bonus_seconds"] == 0

    dash.client.post("/parent/pause", data={"csrf": csrf, "child": "An", "paused": "1"})
    assert dash.child("An")["paused"] is True
    assert "Paused today" in dash.client.get("/").text
    dash.client.post("/parent/pause", data={"csrf": csrf, "child": "An", "paused": "0"})
    assert dash.child("An")["paused"] is False

    first = dash.runtime.agent.ask("Bình", 30, "xin thêm")
    second = dash.runtime.agent.ask("An", 10, "")
    assert "xin thêm" in dash.client.get("/parent").text
    dash.client.post(
        "/parent/answer", data={"csrf": csrf, "id": first["id"], "approve": "1", "minutes": "20"}
    )
    assert dash.flash("/parent") == "Approved: Bình got 20 more minutes."
    assert dash.limit("Bình", "games")["bonus_seconds"] == 20 * 60
    dash.client.post("/parent/answer", data={"csrf": csrf, "id": second["id"], "approve": "0"})
    assert dash.flash("/parent") == "Request from An denied."
    assert dash.runtime.ledger.requests("pending") == []
    again = dash.client.post(
        "/parent/answer", data={"csrf": csrf, "id": first["id"], "approve": "0"}
    )
    assert again.status_code == 303
    assert "no pending request" in dash.flash("/parent")


def test_an_approved_request_that_a_limit_caps_says_what_the_child_gets(dash: Dash) -> None:
    """Family test: "Approved: the child got 15 more minutes" when the total left 13."""
    import datetime as dt

    agent = dash.runtime.agent
    day = dt.date.fromisoformat(agent.status()["day"])
    # The total ran 100 s over (a tick's worth and more): 15 minutes more leave 800 s of it.
    dash.runtime.ledger.add_usage(
        {(day, "An", "total", "total"): 7300.0, (day, "An", "category", "games"): 100.0}
    )
    agent.start()
    csrf = dash.csrf()
    asked = agent.ask("An", 15, "")
    dash.client.post(
        "/parent/answer", data={"csrf": csrf, "id": asked["id"], "approve": "1", "minutes": "15"}
    )
    assert dash.flash("/parent") == (
        "Approved: An got 15 more minutes. "
        "Note: because of Total screen time, An can only use 14 min of it today."
    )


def test_grant_to_an_unknown_child_shows_the_error(dash: Dash) -> None:
    csrf = dash.csrf()
    dash.client.post("/parent/grant", data={"csrf": csrf, "child": "Nobody", "minutes": "15"})
    assert "unknown child" in dash.flash("/parent")
    assert _changes(dash) == []


# -- rules ----------------------------------------------------------------------------------


def test_computer_time_limit_from_the_editor(dash: Dash) -> None:
    csrf = dash.csrf()
    assert 'value="screen"' in dash.client.get("/rules").text  # offered in the key choice
    form = {"csrf": csrf, "child": "An", "key": "screen", "daily": "90", "weekend": "120"}
    resp = dash.client.post("/rules/limit", data={**form, "allowed": "07:00-21:00"})
    assert resp.status_code == 303 and dash.flash("/rules") == "Limit saved for An."
    assert "[child.limits.screen]" in dash.rules.read_text(encoding="utf-8")
    row = dash.limit("An", "screen")
    assert (row["kind"], row["limit_seconds"]) == ("screen", 90 * 60)
    html = dash.client.get("/rules").text
    assert "Computer time" in html and "Whole computer" in html
    assert "Computer time" in dash.client.get("/").text  # today's page


def test_change_and_remove_a_limit(dash: Dash) -> None:
    csrf = dash.csrf()
    form = {"csrf": csrf, "child": "An", "key": "games", "daily": "45", "weekend": "90"}
    resp = dash.client.post("/rules/limit", data={**form, "allowed": "08:00-12:00, 14:00-20:30"})
    assert resp.status_code == 303 and resp.headers["location"] == "/rules#child-0"
    assert dash.flash("/rules") == "Limit saved for An."
    text = dash.rules.read_text(encoding="utf-8")
    assert 'allowed = ["08:00-12:00", "14:00-20:30"]' in text
    spec = dash.runtime.agent.config.child("An").effective_limits()["games"]  # type: ignore[union-attr]
    assert (spec.daily, spec.weekend) == (45, 90)
    html = dash.client.get("/rules").text
    assert 'value="08:00-12:00, 14:00-20:30"' in html

    dash.client.post("/rules/limit", data={**form, "op": "remove"})
    assert dash.flash("/rules") == "Limit removed."
    assert all(r["id"] != "games" for r in dash.child("An")["limits"])


def test_bad_limit_input_changes_nothing(dash: Dash) -> None:
    csrf = dash.csrf()
    before = dash.rules.read_text(encoding="utf-8")
    base = {"csrf": csrf, "child": "An", "key": "total"}
    dash.client.post("/rules/limit", data={**base, "daily": "90", "allowed": "8-20"})
    assert "Allowed hours: write HH:MM-HH:MM" in dash.flash("/rules")
    dash.client.post("/rules/limit", data={**base, "daily": "lots"})
    assert dash.flash("/rules").startswith("Daily limit: enter whole minutes")
    dash.client.post("/rules/limit", data={**base, "key": "nothing", "daily": "5"})
    assert "unknown app or category" in dash.flash("/rules")
    assert dash.rules.read_text(encoding="utf-8") == before


def test_a_preset_limit_can_be_overridden(dash: Dash) -> None:
    csrf = dash.csrf()
    html = dash.client.get("/rules").text
    assert "from preset" in html and "each app 60 min; reminder every 30 min" in html
    form = {"csrf": csrf, "child": "Bình", "key": "games", "daily": "120"}
    dash.client.post("/rules/limit", data=form)
    spec = dash.runtime.agent.config.child("Bình").effective_limits()["games"]  # type: ignore[union-attr]
    assert (spec.daily, spec.each, spec.reminder_minutes) == (120, 60, 30)


def test_children_can_be_added_changed_and_removed(dash: Dash) -> None:
    csrf = dash.csrf()
    new = {"csrf": csrf, "name": "Chi", "accounts": "chi, chi2", "birth_year": "2016"}
    dash.client.post("/rules/child/add", data={**new, "preset": "age-6-11"})
    assert dash.flash("/rules") == "Chi was added."
    chi = dash.runtime.agent.config.child("Chi")
    assert chi is not None and chi.accounts == ("chi", "chi2") and chi.preset == "age-6-11"
    assert any(r["id"] == "total" for r in dash.child("Chi")["limits"])

    dash.client.post("/rules/child/add", data={**new, "name": "Dũng", "accounts": "chi2"})
    assert dash.flash("/rules") == "The account chi2 already belongs to Chi."
    dash.client.post("/rules/child/add", data={**new, "name": "chi"})
    assert dash.flash("/rules") == "There is already a child named chi."

    change = {"csrf": csrf, "child": "Chi", "accounts": "chi", "birth_year": "", "preset": ""}
    dash.client.post("/rules/child/update", data=change)
    chi = dash.runtime.agent.config.child("Chi")
    assert chi is not None and chi.accounts == ("chi",) and chi.preset is None
    assert chi.birth_year is None

    dash.client.post("/rules/child/remove", data={"csrf": csrf, "child": "Chi"})
    assert dash.runtime.agent.config.child("Chi") is None


def test_apps_from_the_catalogue_and_by_process_name(dash: Dash) -> None:
    csrf = dash.csrf()
    html = dash.client.get("/rules").text
    assert '<option value="roblox">Roblox</option>' in html
    dash.client.post("/rules/app/catalog", data={"csrf": csrf, "app": "roblox"})
    assert dash.flash("/rules") == "App added: Roblox."
    assert "roblox" in dash.runtime.agent.config.catalog
    assert 'catalog = ["roblox"]' in dash.rules.read_text(encoding="utf-8")
    assert '<option value="roblox">Roblox</option>' not in dash.client.get("/rules").text

    custom = {"csrf": csrf, "id": "tetris", "title": "Tetris", "category": "games"}
    dash.client.post("/rules/app/custom", data={**custom, "names": "tetris.exe, tetris-x"})
    app = dash.runtime.agent.config.app("tetris")
    assert app is not None and app.names == ("tetris.exe", "tetris-x") and app.category == "games"

    dash.client.post("/rules/app/custom", data={**custom, "id": "Bad Id", "names": "x"})
    assert dash.flash("/rules").startswith("An id uses lower-case letters")
    dash.client.post("/rules/app/custom", data={**custom, "id": "games", "names": "x"})
    assert dash.flash("/rules") == "The id games is already used."

    dash.client.post("/rules/app/remove", data={"csrf": csrf, "app": "tetris"})
    assert dash.runtime.agent.config.app("tetris") is None
    dash.client.post(
        "/rules/limit",
        data={"csrf": csrf, "child": "An", "key": "roblox", "daily": "30"},
    )
    dash.client.post("/rules/app/remove", data={"csrf": csrf, "app": "roblox"})
    assert "remove it first" in dash.flash("/rules")
    assert dash.runtime.agent.config.app("roblox") is not None


def test_categories_and_always_allowed_apps(dash: Dash) -> None:
    csrf = dash.csrf()
    dash.client.post("/rules/category/add", data={"csrf": csrf, "id": "school", "title": "School"})
    assert dash.flash("/rules") == "Category added: School."
    cat = dash.runtime.agent.config.category("school")
    assert cat is not None and cat.title == "School"
    dash.client.post("/rules/category/title", data={"csrf": csrf, "id": "games", "title": "Gaming"})
    cat = dash.runtime.agent.config.category("games")
    assert cat is not None and cat.title == "Gaming"
    assert '[categories.games]\ntitle = "Gaming"' in dash.rules.read_text(encoding="utf-8")

    dash.client.post("/rules/always", data={"csrf": csrf, "child": "An", "app": ["calc"]})
    child = dash.runtime.agent.config.child("An")
    assert child is not None and child.always_allowed == frozenset({"calc"})
    dash.client.post("/rules/always", data={"csrf": csrf, "child": "An"})
    child = dash.runtime.agent.config.child("An")
    assert child is not None and child.always_allowed == frozenset()


# -- looking back ---------------------------------------------------------------------------


def test_event_log_in_words(dash: Dash) -> None:
    csrf = dash.csrf()
    dash.client.post("/parent/pause", data={"csrf": csrf, "child": "An", "paused": "1"})
    dash.client.post(
        "/rules/limit", data={"csrf": csrf, "child": "An", "key": "total", "daily": "9"}
    )
    html = dash.client.get("/log").text
    assert "Limits paused for today." in html
    assert "Limit changed: Total screen time for An." in html
    assert "Parent PIN entered correctly." in html
    assert "PlayClock started." in html
    only_binh = dash.client.get("/log", params={"child": "Bình"}).text
    assert "Limits paused for today." not in only_binh
    empty = dash.client.get("/log", params={"day": "2001-01-01"}).text
    assert "Nothing was recorded on this day." in empty
    assert dash.client.get("/log", params={"day": "not-a-day"}).status_code == 200


def test_weekly_report_with_links_to_other_weeks(dash: Dash) -> None:
    dash.csrf()
    resp = dash.client.get("/report", params={"week": "2026-W01"})
    assert resp.status_code == 200
    html = resp.text
    assert 'href="/report?week=2025-W52"' in html
    assert 'href="/report?week=2026-W02"' in html
    assert 'value="2026-W01"' in html
    if importlib.util.find_spec("agent.reports") is None:
        assert "Weekly reports are not available" in html
    else:
        assert 'class="pc-bar"' in html, "the report's own page with the dashboard's week bar"
        assert "style-src 'self' 'unsafe-inline'" in resp.headers["content-security-policy"]
        assert "An" in html and "Bình" in html
    today = dash.runtime.agent.state.day
    year, week, _day = today.isocalendar()
    current = dash.client.get("/report", params={"week": "garbage"}).text
    assert f'value="{year}-W{week:02d}"' in current
    assert 'rel="next"' not in current, "no link to a week that has not happened"


def test_agent_errors_and_tamper_lines_are_in_the_pages_language(dash_vi: Dash) -> None:
    """No English in the Vietnamese dashboard from the agent's refusals or event details."""
    csrf = dash_vi.csrf()
    dash_vi.client.post("/parent/answer", data={"csrf": csrf, "id": "6", "approve": "0"})
    assert dash_vi.flash("/parent") == "không có yêu cầu đang chờ số 6"
    dash_vi.client.post("/parent/grant", data={"csrf": csrf, "child": "Nobody", "minutes": "15"})
    assert html_lib.unescape(dash_vi.flash("/parent")) == "không có trẻ tên 'Nobody'"
    dash_vi.runtime.agent._event("tamper", detail={"what": "config", "file": "rules.toml"})
    html = dash_vi.client.get("/log").text
    assert "Có thể bị can thiệp: tệp quy tắc đã bị thay đổi" in html


def test_a_child_name_in_decomposed_unicode_is_the_same_child(dash: Dash) -> None:
    nfd = unicodedata.normalize("NFD", "Bình")
    assert nfd != "Bình"
    csrf = dash.csrf()
    dash.client.post("/parent/grant", data={"csrf": csrf, "child": nfd, "minutes": "15"})
    assert "unknown child" not in dash.flash("/parent")
    assert dash.runtime.agent.ask(nfd, 15, "")["child"] == "Bình"


def test_about_names_the_children_whose_request_words_are_shared(dash: Dash) -> None:
    import datetime as dt

    from sync.consent_records import ChildInfo, make_consents
    from sync.state import SyncStore

    assert 'id="words-shared"' not in dash.client.get("/about").text
    with SyncStore(dash.runtime.ledger).locked() as state:
        state.enabled, state.hub = True, "https://hub.example.vn"
        state.consents = make_consents(
            [ChildInfo("An", 2014), ChildInfo("Bình", 2014)], "Mẹ", ["An", "Bình"],
            dt.datetime.now().astimezone(), messages=["An", "Bình"], child_messages=["An"])
    html = dash.client.get("/about").text
    assert "Sync is on" in html
    words = re.search(r'<p id="words-shared">([^<]*)</p>', html)
    assert words is not None and "for: An (agreed separately" in html_lib.unescape(words[1])
