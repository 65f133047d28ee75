"""Parents are told: e-mail through a real SMTP server (aiosmtpd) and Web Push to a stand-in."""

from __future__ import annotations

import email
import re
from collections.abc import Iterator
from email.message import Message
from typing import Any

import pytest
from sqlalchemy import select

from sync.hub.config import PushSettings, SmtpSettings
from sync.hub.models import PushSubscription
from sync.hub.setup import new_vapid_keys
from tests.support.hubserver import free_port
from tests.support.hubweb import WebBrowser, WebHub
from tests.support.recording_server import RecordingServer
from tests.support.waiting import wait_until
from tests.support.webpush import PhoneKeys


class Inbox:
    """A real SMTP server on loopback keeping every message."""

    def __init__(self) -> None:
        from aiosmtpd.controller import Controller

        self.messages: list[Message] = []
        self.port = free_port()
        inbox = self

        class Handler:
            async def handle_DATA(self, _server: Any, _session: Any,
                                  envelope: Any) -> str:
                inbox.messages.append(email.message_from_bytes(envelope.content))
                return "250 OK"

        self.controller = Controller(Handler(), hostname="127.0.0.1", port=self.port)

    def for_(self, to: str) -> list[Message]:
        """Messages to one address."""
        return [m for m in self.messages if m["To"] == to]


@pytest.fixture
def inbox() -> Iterator[Inbox]:
    box = Inbox()
    box.controller.start()
    yield box
    box.controller.stop()


@pytest.fixture
def push_service() -> Iterator[RecordingServer]:
    with RecordingServer() as server:  # no upstream: it answers what the test says
        yield server


def _text(message: Message) -> str:
    part = message.get_payload(decode=True)
    assert isinstance(part, bytes)
    return part.decode(message.get_content_charset() or "utf-8")


def _subject(message: Message) -> str:
    return str(email.header.make_header(email.header.decode_header(message["Subject"])))


def _subscribe(parent: WebBrowser, endpoint: str, keys: PhoneKeys) -> None:
    csrf = re.search(r'data-csrf="([^"]+)"', parent.get("/today").text)
    assert csrf, "the page offers push when the hub has VAPID keys"
    r = parent.client.post("/push/subscriptions", headers={"X-CSRF-Token": csrf[1]}, json={
        "endpoint": endpoint, "keys": {"p256dh": keys.p256dh, "auth": keys.auth_b64}})
    assert r.status_code == 201, r.text


@pytest.fixture
def vapid() -> PushSettings:
    pem, public = new_vapid_keys()
    return PushSettings(private_key_pem=pem, public_key=public,
                        subject="mailto:hub@example.test")


def test_a_childs_request_reaches_every_parent_by_email_and_push(
        inbox: Inbox, push_service: RecordingServer, vapid: PushSettings) -> None:
    hub = WebHub(smtp=SmtpSettings(host="127.0.0.1", port=inbox.port, security="none",
                                   sender="PlayClock <hub@example.test>"),
                 push=vapid, push_allow_http=True, public_url="https://hub.example.test")
    mum = hub.browser("vi")
    mum.signup("mum@example.test")
    phone = PhoneKeys()
    _subscribe(mum, f"{push_service.url}/push/mum-phone", phone)
    token, _consent = hub.pair_device(mum, name="PC phòng khách",
                                      shares=("total", "counts", "messages"))
    push_service.fail(1, 201, match="POST /push/mum-phone")

    hub.ask(token, minutes=20, message="Con làm bài xong rồi ạ")

    mail = wait_until(lambda: inbox.for_("mum@example.test"), timeout=20,
                      message="the request e-mail")[0]
    assert _subject(mail) == "PlayClock: An xin thêm thời gian"
    body = _text(mail)
    assert "An xin thêm 20 phút (games) trên PC phòng khách." in body
    assert "Con làm bài xong rồi ạ" in body
    assert "https://hub.example.test/requests" in body
    (sent,) = wait_until(lambda: push_service.matching("POST /push/mum-phone"), timeout=20,
                         message="the push message")
    headers = {k.lower(): v for k, v in sent.headers.items()}
    assert headers["content-encoding"] == "aes128gcm"
    assert headers["authorization"].startswith("vapid t=")
    assert f"k={vapid.public_key}" in headers["authorization"]
    assert int(headers["ttl"]) > 0
    shown = phone.decrypt(sent.body)
    assert shown == {"title": "An xin thêm thời gian",
                     "body": "An xin thêm 20 phút (games) trên PC phòng khách. "
                             "“Con làm bài xong rồi ạ”",
                     "url": "https://hub.example.test/requests"}
    # One message per parent and channel.
    hub.app.state.hub.notifier.join()
    assert len(inbox.messages) == 1


def test_a_device_that_stops_reporting_is_told_once_per_silence(
        inbox: Inbox, push_service: RecordingServer, vapid: PushSettings) -> None:
    hub = WebHub(smtp=SmtpSettings(host="127.0.0.1", port=inbox.port, security="none"),
                 push=vapid, push_allow_http=True)
    dad = hub.browser("en")
    dad.signup("dad@example.test")
    phone = PhoneKeys()
    _subscribe(dad, f"{push_service.url}/push/gone", phone)
    token, consent = hub.pair_device(dad, name="Bedroom PC")
    notifier = hub.app.state.hub.notifier
    assert notifier.check_silent(hub.clock()) == 0  # it just reported
    hub.clock.advance(minutes=31)
    push_service.fail(1, 410, match="POST /push/gone")  # the phone unsubscribed meanwhile
    assert notifier.check_silent(hub.clock()) == 1
    mail = wait_until(lambda: inbox.for_("dad@example.test"), timeout=20)[0]
    assert _subject(mail) == "PlayClock: Bedroom PC stopped reporting"
    assert "has not reported for 31 minutes" in _text(mail)
    assert notifier.check_silent(hub.clock()) == 0  # the same silence: no second message
    # The push service said 410 Gone: the subscription is forgotten.
    with hub.app.state.hub.db.begin() as s:
        assert s.execute(select(PushSubscription)).first() is None
    # It reports again, then goes quiet again: a new alert.
    assert hub.upload(token, consent).status_code == 200
    hub.clock.advance(minutes=31)
    assert notifier.check_silent(hub.clock()) == 1
    wait_until(lambda: len(inbox.for_("dad@example.test")) == 2, timeout=20)


def test_without_smtp_or_push_nothing_is_sent_and_nothing_breaks() -> None:
    hub = WebHub()
    parent = hub.browser()
    parent.signup("quiet@example.test")
    token, _ = hub.pair_device(parent)
    hub.ask(token)
    hub.clock.advance(hours=2)
    assert hub.app.state.hub.notifier.check_silent(hub.clock()) == 0
    assert "data-push-key" not in parent.get("/today").text


def test_an_smtp_server_that_is_down_does_not_break_the_request(vapid: PushSettings) -> None:
    hub = WebHub(smtp=SmtpSettings(host="127.0.0.1", port=free_port(), security="none",
                                   timeout=2))
    parent = hub.browser()
    parent.signup("down@example.test")
    token, _ = hub.pair_device(parent)
    hub.ask(token)  # 201 although the e-mail cannot go out
    hub.app.state.hub.notifier.join()
    assert "An asks for 20 minutes" in parent.get("/requests").text
