"""Web Push into the installed web app's real service worker, in headless Chromium.

The hub runs on loopback (uvicorn, a fresh SQLite database, VAPID keys) and a local HTTP
server stands in for the push service. The parent signs up in Chromium, the page installs
the service worker, notifications are allowed (CDP `Browser.grantPermissions`) and the
browser's subscription is given to the hub. A child's request then makes the hub send its
encrypted push; the test decrypts it with the subscription's keys, as the push service and
the browser would, and hands exactly those bytes to the service worker through the DevTools
protocol (`ServiceWorker.deliverPushMessage`), the way Chromium's own DevTools "Push" does.
The page then reads the notification the worker showed (`registration.getNotifications()`).

Headless Chromium has no push service (`pushManager.subscribe` needs Google's), and a shown
notification cannot be clicked from CDP or WebDriver: the test checks the URL the worker's
`notificationclick` opens and that it is the requests page with the request on it.
"""

from __future__ import annotations

import json
import threading
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import requests

from sync.hub import HubSettings, create_app
from sync.hub.config import PushSettings
from sync.hub.setup import new_vapid_keys
from tests.support.browser import PHONE, browser_unavailable, chromium
from tests.support.hubserver import HubApi, free_port
from tests.support.recording_server import RecordingServer
from tests.support.waiting import WaitTimeout, wait_until
from tests.support.webpush import PhoneKeys

pytestmark = [
    pytest.mark.browser,
    pytest.mark.skipif(browser_unavailable() is not None, reason=str(browser_unavailable())),
]

PASSWORD = "mật khẩu 12345"
TEXT = {
    "vi": ("An xin thêm thời gian",
           "An xin thêm 20 phút (total) trên PC phòng khách. “Con làm bài xong rồi ạ”"),
    "en": ("An asks for more time",
           "An asks for 20 more minutes (total) on PC phòng khách. “Con làm bài xong rồi ạ”"),
}


class LoopbackHub:
    """The hub app served by uvicorn on a free loopback port, in this process."""

    def __init__(self, tmp: Path, push: PushSettings) -> None:
        import uvicorn

        port = free_port()
        self.url = f"http://127.0.0.1:{port}"
        settings = HubSettings(push=push, push_allow_http=True, public_url=self.url)
        app = create_app(f"sqlite:///{tmp / 'hub.sqlite'}", settings)
        self.server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port,
                                                    log_level="warning", lifespan="on"))
        self.thread = threading.Thread(target=self.server.run, daemon=True)

    def __enter__(self) -> LoopbackHub:
        self.thread.start()
        wait_until(lambda: self.server.started, timeout=30, message="the hub listening")
        return self

    def __exit__(self, *exc: object) -> None:
        self.server.should_exit = True
        self.thread.join(timeout=30)


@pytest.fixture
def push_service() -> Iterator[RecordingServer]:
    with RecordingServer() as server:  # no upstream: it answers what the test says
        yield server


class DevTools:
    """A second DevTools client on the page Chromium shows (chromedriver holds the first)."""

    def __init__(self, driver: Any, page_url: str) -> None:
        import websocket

        address = driver.capabilities["goog:chromeOptions"]["debuggerAddress"]
        targets = requests.get(f"http://{address}/json/list", timeout=10).json()
        page = next(t for t in targets if t["type"] == "page" and t["url"].startswith(page_url))
        self.ws = websocket.create_connection(page["webSocketDebuggerUrl"], timeout=30,
                                              suppress_origin=True)
        self.next_id = 0
        self.events: list[dict[str, Any]] = []

    def call(self, method: str, **params: Any) -> dict[str, Any]:
        """Send one command and return its result (events meanwhile are kept)."""
        self.next_id += 1
        self.ws.send(json.dumps({"id": self.next_id, "method": method, "params": params}))
        while True:
            message = json.loads(self.ws.recv())
            if message.get("id") == self.next_id:
                assert "error" not in message, message
                result: dict[str, Any] = message.get("result", {})
                return result
            self.events.append(message)

    def wait_event(self, method: str, matches: Any) -> dict[str, Any]:
        """The first event `method` whose params `matches`, reading on as they come."""
        while True:
            for event in self.events:
                if event.get("method") == method and matches(event["params"]):
                    return event
            self.events.append(json.loads(self.ws.recv()))

    def close(self) -> None:
        """Disconnect (the page stays)."""
        self.ws.close()


def _type(driver: Any, element_id: str, text: str) -> None:
    from selenium.webdriver.common.by import By

    field = driver.find_element(By.ID, element_id)
    field.clear()
    field.send_keys(text)


def _loaded(driver: Any, path: str) -> bool:
    return bool(driver.current_url.endswith(path)
                and driver.execute_script("return document.readyState") == "complete")


def _registration(driver: Any) -> dict[str, Any]:
    """The page's service worker registration, once its worker is active."""
    result: dict[str, Any] = driver.execute_async_script("""
        const done = arguments[arguments.length - 1];
        navigator.serviceWorker.ready.then(
            (r) => done({scope: r.scope, state: r.active && r.active.state}),
            (e) => done({error: String(e)}));""")
    return result


def _notifications(driver: Any) -> list[dict[str, Any]]:
    shown: list[dict[str, Any]] = driver.execute_async_script("""
        const done = arguments[arguments.length - 1];
        navigator.serviceWorker.ready
            .then((r) => r.getNotifications())
            .then((list) => done(list.map((n) => (
                {title: n.title, body: n.body, data: n.data, icon: n.icon}))),
                  (e) => done([{error: String(e)}]));""")
    return shown


@pytest.mark.parametrize("lang", ["vi", "en"])
def test_a_push_from_the_hub_is_shown_by_the_web_apps_service_worker(
        tmp_path: Path, push_service: RecordingServer, lang: str) -> None:
    from selenium.webdriver.common.by import By

    pem, public = new_vapid_keys()
    vapid = PushSettings(private_key_pem=pem, public_key=public,
                         subject="mailto:hub@example.test")
    email = f"me-{uuid.uuid4().hex[:8]}@example.test"
    with LoopbackHub(tmp_path, vapid) as hub, \
            chromium(PHONE, mobile=True, lang=lang) as driver:
        driver.set_script_timeout(30)
        # Allowed before the worker starts: a worker started earlier may not see a later grant
        # (the push then shows nothing, seen under load).
        driver.execute_cdp_cmd("Browser.grantPermissions", {
            "origin": hub.url, "permissions": ["notifications"]})
        driver.get(f"{hub.url}/lang/{lang}?next=/signup")
        _type(driver, "family_name", "Gia đình Nguyễn")
        _type(driver, "parent_name", "Mẹ")
        _type(driver, "email", email)
        _type(driver, "password", PASSWORD)
        driver.find_element(By.ID, "signup").click()
        wait_until(lambda: _loaded(driver, "/devices"), timeout=30,
                   message="the page after sign-up")
        driver.get(f"{hub.url}/today")
        # The page installs the service worker (app.js), as on the phone.
        registration = wait_until(lambda: (r := _registration(driver))["state"] == "activated"
                                  and r, timeout=30, message="the service worker active")
        assert registration["scope"] == f"{hub.url}/"
        assert driver.execute_script("return Notification.permission") == "granted"
        assert driver.find_element(By.CSS_SELECTOR, "[data-push-key]").get_attribute(
            "data-push-key") == public
        # The subscription a push service would have made, given to the hub as app.js does.
        phone = PhoneKeys()
        stored = driver.execute_async_script("""
            const [endpoint, p256dh, auth, done] = arguments;
            const box = document.querySelector("[data-push-key]");
            fetch("/push/subscriptions", {method: "POST", credentials: "same-origin",
                  headers: {"Content-Type": "application/json",
                            "X-CSRF-Token": box.getAttribute("data-csrf")},
                  body: JSON.stringify({endpoint, keys: {p256dh, auth}})})
                .then((r) => done(r.status), (e) => done(String(e)));""",
            f"{push_service.url}/push/phone", phone.p256dh, phone.auth_b64)
        assert stored == 201

        # A real device of the family asks for time, with An's words shared.
        api = HubApi(hub.url)
        login = api.call("POST", "/v1/login", json={"email": email, "password": PASSWORD})
        parent = str(login.json()["token"])
        consent = api.consent_body("An", shares=("total", "messages"))
        paired = api.call("POST", "/v1/devices/pair", json={
            "code": api.pairing_code(parent), "device_name": "PC phòng khách",
            "consents": [consent]})
        assert paired.status_code == 201, paired.text
        push_service.fail(1, 201, match="POST /push/phone")
        asked = api.call("POST", "/v1/devices/me/requests", paired.json()["device_token"],
                         json={"client_request_id": "r1", "child": "An", "target": "total",
                               "minutes": 20, "message": "Con làm bài xong rồi ạ"})
        assert asked.status_code == 201, asked.text
        (sent,) = wait_until(lambda: push_service.matching("POST /push/phone"), timeout=30,
                             message="the hub's push")
        payload = phone.decrypt_text(sent.body)  # what the browser's push service hands over

        # Delivered to the real service worker through DevTools; it shows the notification.
        devtools = DevTools(driver, hub.url)
        try:
            devtools.call("ServiceWorker.enable")
            update = devtools.wait_event(
                "ServiceWorker.workerRegistrationUpdated",
                lambda p: any(r["scopeURL"] == f"{hub.url}/" and not r["isDeleted"]
                              for r in p["registrations"]))
            (reg_id,) = [r["registrationId"] for r in update["params"]["registrations"]
                         if r["scopeURL"] == f"{hub.url}/" and not r["isDeleted"]]
            # DevTools' delivery to a worker it is starting is now and then dropped (about one
            # run in five on this 2-core machine under load): delivered again after 10 s, up
            # to three times, as a push service retries. The same bytes each time.
            for attempt in range(3):
                devtools.call("ServiceWorker.deliverPushMessage", origin=hub.url,
                              registrationId=reg_id, data=payload)
                try:
                    notes = wait_until(lambda: _notifications(driver), timeout=10,
                                       message="the notification the service worker showed")
                    break
                except WaitTimeout:
                    if attempt == 2:
                        raise
        finally:
            devtools.close()
        shown = notes[0]
        assert all(note == shown for note in notes)
        title, body = TEXT[lang]
        assert shown == {"title": title, "body": body,
                         "data": {"url": f"{hub.url}/requests"},
                         "icon": f"{hub.url}/static/icon-192.png"}
        # Its click opens data.url (sw.js): the requests page, with An's request on it.
        driver.get(shown["data"]["url"])
        card = driver.find_element(By.CSS_SELECTOR, "section.request")
        assert "Con làm bài xong rồi ạ" in card.text
