"""The hub's web app page by page, in English and Vietnamese: what a parent sees and sends."""

from __future__ import annotations

import re
import time
from html import unescape

import pytest
from sqlalchemy import select

from sync.hub.models import ChildRequest, Command, Consent, DaySummary, PushSubscription
from tests.support.hubweb import PASSWORD, WebHub


@pytest.fixture
def hub() -> WebHub:
    return WebHub(push_allow_http=True)


def _commands(hub: WebHub) -> list[tuple[str, dict[str, object]]]:
    with hub.app.state.hub.db.begin() as s:
        return [(c.kind, c.payload) for c in s.execute(select(Command).order_by(Command.id))
                .scalars()]


def test_sign_up_lands_on_computers_and_pairing_shows_code_command_and_qr(hub: WebHub) -> None:
    parent = hub.browser()
    r = parent.post_form("/signup", {"family_name": "Gia đình Nguyễn", "parent_name": "Mẹ",
                                     "email": "Me@Example.test", "password": PASSWORD},
                         page="/signup", follow=True)
    assert r.status_code == 200 and r.url.path == "/devices"
    assert "Welcome! Now pair your child&#39;s computer." in r.text
    assert "Gia đình Nguyễn" in r.text
    r = parent.post_form("/devices/pair", page="/devices")
    code = re.search(r'id="pair-code">([0-9A-Z]{4}-[0-9A-Z]{4})<', r.text)
    assert code
    assert f"playclock sync pair http://hub.test {code[1]}" in r.text
    assert '<svg' in r.text and 'class="qr"' in r.text
    # The code on the page pairs a device through the API, once.
    hub.pair_device(parent)  # takes another code from the page
    assert hub.api.post("/v1/devices/pair", json={"code": code[1], "device_name": "B"}
                        ).status_code == 201
    assert hub.api.post("/v1/devices/pair", json={"code": code[1], "device_name": "C"}
                        ).json()["error"] == "pairing_code_used"
    page = parent.get("/devices").text
    assert page.count('class="card device"') == 2
    # The e-mail is matched without case when logging in again.
    parent.post_form("/logout", page="/today")
    assert parent.login("me@example.test").status_code == 303


def test_signup_errors_are_shown_and_the_form_keeps_what_was_typed(hub: WebHub) -> None:
    visitor = hub.browser("vi")
    r = visitor.post_form("/signup", {"family_name": "", "email": "not-an-email",
                                      "password": "short"}, page="/signup")
    assert r.status_code == 422
    assert "Hãy nhập tên gia đình" in r.text and "Mật khẩu cần ít nhất 8 ký tự." in r.text
    assert 'value="not-an-email"' in r.text
    hub.browser().signup("taken@example.test")
    r = visitor.post_form("/signup", {"family_name": "F", "email": "taken@example.test",
                                      "password": PASSWORD}, page="/signup")
    assert r.status_code == 409 and "Đã có tài khoản" in r.text


def test_today_shows_each_child_across_computers_with_limits_running_and_tamper(
        hub: WebHub) -> None:
    parent = hub.browser()
    parent.signup("today@example.test")
    one, c1 = hub.pair_device(parent, name="Living room")
    two, c2 = hub.pair_device(parent, name="Bedroom")
    limits = [{"key": "total", "kind": "total", "used_seconds": 3000, "limit_seconds": 3600,
               "left_seconds": 600, "state": "warning"},
              {"key": "games", "kind": "category", "used_seconds": 1800,
               "limit_seconds": 1800, "left_seconds": 0, "state": "blocked",
               "reason": "budget"}]
    assert hub.upload(one, c1, total=3000, apps={"minecraft": 1800},
                      categories={"games": 1800}, limits=limits,
                      running=["minecraft"]).status_code == 200
    assert hub.upload(two, c2, total=600, apps={"notes": 600},
                      counts={"gaps": 1, "gap_seconds": 1200, "tamper": 2}).status_code == 200
    html = parent.get("/today").text
    assert 'data-seconds="3600"' in html  # 50 + 10 minutes, summed
    assert "1 h 00 min" in html
    assert "Blocked" in html and "minecraft" in html and "Running now:" in html
    assert "Living room" in html and "Bedroom" in html
    assert "PlayClock was not running for 20 min" in html
    assert "clock or files changed 2 times" in html
    # A device that stops reporting is flagged.
    hub.clock.advance(minutes=31)
    html = parent.get("/today").text
    assert "not reporting" in html
    vi = hub.browser("vi")
    vi.client.cookies.update(parent.client.cookies)
    vi.client.cookies.set("playclock_lang", "vi")
    html = vi.get("/today").text
    assert "Bị chặn" in html and "1 giờ 00 phút" in html and "không gửi báo cáo" in html


def test_approving_a_request_queues_the_answer_for_the_device_that_asked(hub: WebHub) -> None:
    parent = hub.browser()
    parent.signup("req@example.test")
    token, _ = hub.pair_device(parent, shares=("total", "messages"))
    request_id = hub.ask(token, minutes=20, message="please, homework done\x07")
    html = parent.get("/requests").text
    assert "An asks for 20 minutes" in html and "please, homework done" in html
    assert '<span class="badge" id="open-count">1</span>' in html
    r = parent.post_form(f"/requests/{request_id}/answer", {"answer": "approve",
                                                            "minutes": "15"}, follow=True)
    assert "Approved: An gets 15 more minutes on the next sync." in r.text
    assert "No open requests." in r.text and "approved: 15 min" in r.text
    (kind, payload), = _commands(hub)
    assert kind == "answer_request" and payload["approve"] is True and payload["minutes"] == 15
    pulled = hub.api.get("/v1/devices/me/commands",
                         headers={"Authorization": f"Bearer {token}"}).json()["commands"]
    assert [c["type"] for c in pulled] == ["answer_request"]
    # A second answer to the same request changes nothing.
    r = parent.post_form(f"/requests/{request_id}/answer", {"answer": "decline"},
                         page="/requests", follow=True)
    assert "This request was answered already." in r.text
    assert len(_commands(hub)) == 1
    # Declining another one.
    other = hub.ask(token, minutes=5, message=None)
    parent.post_form(f"/requests/{other}/answer", {"answer": "decline"}, page="/requests")
    assert _commands(hub)[-1][1]["approve"] is False


def test_adjust_sends_grant_pause_limit_and_hours_to_every_computer(hub: WebHub) -> None:
    parent = hub.browser()
    parent.signup("adj@example.test")
    token, consent = hub.pair_device(parent)
    hub.upload(token, consent, apps={"minecraft": 60}, categories={"games": 60})
    html = parent.get("/adjust?child=an").text
    assert '<option value="games">' in html and '<option value="minecraft">' in html
    sends = {
        "grant": {"target": "games", "minutes": "30"},
        "pause": {"paused": "yes"},
        "limit": {"target": "total", "daily_minutes": "90"},
        "hours": {"target": "games", "allowed": "16:00-18:00, 19:00-20:30"},
    }
    for kind, form in sends.items():
        r = parent.post_form(f"/adjust/{kind}", {"child": "An", **form}, page="/adjust")
        assert r.status_code == 303, (kind, r.text)
    assert _commands(hub) == [
        ("grant", {"child": "An", "target": "games", "minutes": 30, "day": None}),
        ("pause", {"child": "An", "paused": True}),
        ("set_limit", {"child": "An", "key": "total", "daily_minutes": 90}),
        ("set_hours", {"child": "An", "key": "games", "allowed": ["16:00-18:00",
                                                                  "19:00-20:30"]}),
    ]
    r = parent.post_form("/adjust/hours", {"child": "An", "target": "games",
                                           "allowed": "late evening"}, page="/adjust",
                         follow=True)
    assert "Write allowed hours as HH:MM-HH:MM" in r.text
    assert len(_commands(hub)) == 4


def test_weekly_report_sums_days_and_computers_with_charts(hub: WebHub) -> None:
    parent = hub.browser()
    parent.signup("rep@example.test")
    one, c1 = hub.pair_device(parent, name="A")
    two, c2 = hub.pair_device(parent, name="B")
    hub.upload(one, c1, day="2026-01-05", total=3600, apps={"minecraft": 3600})
    hub.upload(one, c1, day="2026-01-06", total=1800, apps={"roblox": 1800})
    hub.upload(two, c2, day="2026-01-06", total=600, apps={"minecraft": 600})
    html = parent.get("/report?week=2026-W02").text
    assert "1 h 40 min" in html  # 6000 s in the week
    assert html.count("<rect") >= 7 + 2
    assert "minecraft" in html and "roblox" in html and "A: 1 h 30 min" in html
    prev = parent.get("/report?week=2026-W01").text
    assert "No usage reported for this week." in prev


def test_request_words_are_kept_only_under_the_messages_share_and_shown_as_text(
        hub: WebHub) -> None:
    parent = hub.browser()
    parent.signup("words@example.test")
    quiet, _ = hub.pair_device(parent, child="Bình", name="PC 1")
    # A client that sends words without the share: the hub keeps none, and says so.
    hub.ask(quiet, child="Bình", minutes=10, message="bí mật")
    token, consent = hub.pair_device(parent, name="PC 2", shares=("total", "counts", "messages"))
    attack = "<script>alert('x')</script><img src=x onerror=alert(1)> xin 5 phút\x00\x1b[31m"
    hub.ask(token, minutes=5, message=(attack + "!" * 300)[:200])
    html = parent.get("/requests").text
    assert "bí mật" not in html and html.count("(message not shared)") == 1
    assert "<script>alert" not in html and "<img src=x" not in html
    shown = re.search(r'<blockquote class="message">([^<]*)</blockquote>', html)
    assert shown is not None
    words = unescape(shown[1])
    assert words.startswith("<script>alert('x')</script><img src=x onerror=alert(1)> xin 5 phút")
    raw = len(attack) + 300 - 200  # the device sends 200 characters at most
    assert words.endswith("phút [31m" + "!" * (300 - raw)) and len(words) < 200
    assert "\x00" not in words and "\x1b" not in words
    with hub.app.state.hub.db.begin() as s:
        rows = {r.child: r for r in s.execute(select(ChildRequest)).scalars()}
    assert rows["Bình"].message is None and not rows["Bình"].message_shared
    assert rows["An"].message == words and rows["An"].message_shared
    vi = hub.browser("vi")
    vi.login("words@example.test", PASSWORD)
    assert "(không chia sẻ lời nhắn)" in vi.get("/requests").text
    # The parent or the child takes the share back: the words are deleted, not hidden.
    r = hub.api.put(f"/v1/devices/me/consents/{consent}",
                    json=hub.consent_body(consent, shares=("total", "counts")),
                    headers={"Authorization": f"Bearer {token}"})
    assert r.status_code == 200, r.text
    with hub.app.state.hub.db.begin() as s:
        assert [(r.message, r.message_shared) for r in s.execute(select(ChildRequest)).scalars()
                ] == [(None, False), (None, False)]
    html = parent.get("/requests").text
    assert html.count("(message not shared)") == 2 and "xin 5 phút" not in html
    assert "the words of requests for more time" not in parent.get("/consents").text
    hub.api.put(f"/v1/devices/me/consents/{consent}",
                json=hub.consent_body(consent, shares=("total", "messages")),
                headers={"Authorization": f"Bearer {token}"})
    assert "the words of requests for more time" in parent.get("/consents").text


def test_withdrawing_a_consent_deletes_that_childs_data_on_the_hub(hub: WebHub) -> None:
    parent = hub.browser()
    parent.signup("con@example.test")
    token, consent = hub.pair_device(parent)
    hub.upload(token, consent)
    html = parent.get("/consents").text
    assert "Parent: Mẹ" in html and "An agreed on" in html
    r = parent.post_form(f"/consents/{consent}/withdraw", page="/consents", follow=True)
    assert "Consent withdrawn" in r.text and "Withdrawn on" in r.text
    with hub.app.state.hub.db.begin() as s:
        assert s.get_one(Consent, consent).withdrawn_at is not None
        assert s.execute(select(DaySummary)).first() is None
    assert hub.upload(token, consent, revision=2).json()["error"] == "consent_withdrawn"


def test_removing_a_computer_revokes_it(hub: WebHub) -> None:
    parent = hub.browser()
    parent.signup("rm@example.test")
    token, _ = hub.pair_device(parent, name="Old PC")
    device_id = re.search(r'id="device-(\d+)"', parent.get("/devices").text)[1]  # type: ignore[index]
    r = parent.post_form(f"/devices/{device_id}/remove", page="/devices", follow=True)
    assert "Old PC was removed and its data deleted." in r.text
    assert hub.api.get("/v1/devices/me", headers={"Authorization": f"Bearer {token}"}
                       ).status_code == 401


def test_a_second_parent_joins_by_invitation_link_once(hub: WebHub) -> None:
    first = hub.browser()
    first.signup("mum@example.test")
    hub.pair_device(first)
    r = first.post_form("/parents/invite", page="/parents")
    link = re.search(r'id="invite-link" aria-label="[^"]*"', r.text) and re.search(
        r'value="(http://hub.test/invite/pci_[^"]+)"', r.text)
    assert link
    path = link[1].removeprefix("http://hub.test")
    dad = hub.browser("vi")
    assert "Tham gia Gia đình Nguyễn" in dad.get(path).text
    r = dad.post_form(path, {"name": "Bố", "email": "dad@example.test", "password": PASSWORD},
                      follow=True)
    assert r.url.path == "/today" and "An" in r.text
    names = dad.get("/parents").text
    assert "mum@example.test" in names and "dad@example.test" in names
    again = hub.browser()
    assert again.get(path).status_code == 404
    r = first.post_form("/parents/invite", page="/parents")
    stale = re.search(r'value="http://hub.test(/invite/pci_[^"]+)"', r.text)[1]  # type: ignore[index]
    hub.clock.advance(days=3, seconds=1)
    assert hub.browser().get(stale).status_code == 404  # invitations last 3 days


def test_pages_work_in_both_languages_and_switch_by_link(hub: WebHub) -> None:
    parent = hub.browser("vi")
    parent.signup("lang@example.test")
    assert "Hôm nay" in parent.get("/today").text
    r = parent.get("/lang/en?next=/requests", follow_redirects=False)
    assert r.status_code == 303 and r.headers["location"] == "/requests"
    parent.client.cookies.set("playclock_lang", "en")
    assert "No open requests." in parent.get("/requests").text
    assert hub.browser().get("/lang/en?next=https://evil.example",
                             follow_redirects=False).headers["location"] == "/"
    # Without a cookie the browser's Accept-Language decides.
    stranger = hub.browser()
    stranger.client.cookies.clear()
    assert 'lang="vi"' in stranger.get("/login", headers={"Accept-Language": "vi-VN,vi;q=0.9"}
                                       ).text
    assert 'lang="en"' in stranger.get("/login", headers={"Accept-Language": "en-GB"}).text


def test_pwa_manifest_icons_and_service_worker(hub: WebHub) -> None:
    api = hub.api
    manifest = api.get("/manifest.webmanifest")
    assert manifest.headers["content-type"].startswith("application/manifest+json")
    body = manifest.json()
    assert body["display"] == "standalone" and body["start_url"] == "/today"
    for icon in body["icons"]:
        r = api.get(icon["src"])
        assert r.status_code == 200 and len(r.content) > 200
    sw = api.get("/sw.js")
    assert sw.status_code == 200 and "showNotification" in sw.text
    assert sw.headers["service-worker-allowed"] == "/"
    page = hub.browser().get("/login")
    assert 'rel="manifest"' in page.text
    assert "script-src 'self'" in page.headers["content-security-policy"]
    assert "<script>" not in page.text and "style=" not in page.text


def test_push_subscription_is_stored_for_the_parent(hub: WebHub) -> None:
    parent = hub.browser("vi")
    parent.signup("push@example.test")
    csrf = re.search(r'name="csrf" value="([^"]+)"', parent.get("/today").text)[1]  # type: ignore[index]
    sub = {"endpoint": "http://127.0.0.1:9/push/abc", "keys": {"p256dh": "BPx_y", "auth": "k-1"}}
    r = parent.client.post("/push/subscriptions", json=sub, headers={"X-CSRF-Token": csrf})
    assert r.status_code == 201
    r = parent.client.post("/push/subscriptions", json={"endpoint": "ftp://x", "keys": {}},
                           headers={"X-CSRF-Token": csrf})
    assert r.status_code == 400
    with hub.app.state.hub.db.begin() as s:
        (row,) = s.execute(select(PushSubscription)).scalars().all()
        assert row.lang == "vi" and row.endpoint == sub["endpoint"]


def test_pages_render_under_50_ms_with_1000_families() -> None:
    hub = WebHub()
    db = hub.app.state.hub.db
    from sync.hub.models import Device, Family, Parent

    now = hub.clock.now
    with db.begin() as s:  # 999 other families, each with a device and a week of days
        for i in range(999):
            fam = Family(name=f"F{i}", created_at=now)
            s.add(fam)
            s.flush()
            s.add(Parent(family_id=fam.id, email=f"p{i}@example.test", name="P",
                         password_hash="x", created_at=now))
            dev = Device(family_id=fam.id, name="PC", created_at=now, last_seen_at=now)
            s.add(dev)
            s.flush()
            for d in range(7):
                s.add(DaySummary(family_id=fam.id, device_id=dev.id, child="An",
                                 child_key="an", day=now.date().replace(day=1 + d),
                                 revision=1, consent_id="c", total_seconds=60 * d,
                                 apps={"minecraft": 60 * d}, categories={}, warnings=0,
                                 closes=0, grants=0, requests=0, updated_at=now))
    parent = hub.browser()
    parent.signup("mine@example.test")
    token, consent = hub.pair_device(parent)
    for d in range(5):
        hub.upload(token, consent, day=f"2026-01-0{d + 1}", total=600 * d,
                   apps={"minecraft": 300 * d, "roblox": 300 * d})
    hub.ask(token)
    for page in ("/today", "/requests", "/adjust", "/report?week=2026-W02", "/devices",
                 "/consents", "/parents"):
        parent.get(page)  # warm the template cache
        timings = []
        for _ in range(5):
            start = time.perf_counter()
            r = parent.get(page)
            timings.append(time.perf_counter() - start)
            assert r.status_code == 200
        assert sorted(timings)[2] < 0.050, (page, timings)
