"""Telling parents: e-mail (SMTP) and Web Push when a child asks for time or a device goes quiet."""

from __future__ import annotations

import json
import logging
import smtplib
import ssl
import threading
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from email.message import EmailMessage
from functools import partial
from typing import TYPE_CHECKING

from sqlalchemy import delete, select, update

from agent.i18n import gettext_for
from sync.hub.db import Database, insert_ignore
from sync.hub.models import (
    ChildRequest,
    Consent,
    Device,
    Parent,
    ParentPrefs,
    PushSubscription,
    SilenceAlert,
)

if TYPE_CHECKING:
    from sync.hub.core import HubSettings

__all__ = ["Message", "Notifier", "send_email", "send_push"]

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Message:
    """One notification in one language: a title, a body and the page it opens."""

    title: str
    body: str
    path: str


def _request_message(lang: str, child: str, minutes: int, target: str, device: str,
                     note: str | None) -> Message:
    t = gettext_for(lang)
    body = t.gettext("{child} asks for {minutes} more minutes ({target}) on {device}.").format(
        child=child, minutes=minutes, target=target, device=device)
    if note:
        body += " “" + note + "”"
    return Message(t.gettext("{child} asks for more time").format(child=child), body, "/requests")


def _silent_message(lang: str, device: str, minutes: int) -> Message:
    t = gettext_for(lang)
    body = t.gettext("PlayClock on {device} has not reported for {minutes} minutes: the computer "
                     "may be off or offline, or PlayClock was stopped.").format(
                         device=device, minutes=minutes)
    return Message(t.gettext("{device} stopped reporting").format(device=device), body, "/today")


def send_email(settings: HubSettings, to: str, message: Message, link: str) -> None:
    """Send one notification e-mail (raises OSError / smtplib.SMTPException on failure)."""
    smtp = settings.smtp
    if smtp is None:
        return
    mail = EmailMessage()
    mail["From"] = smtp.sender
    mail["To"] = to
    mail["Subject"] = f"PlayClock: {message.title}"
    mail.set_content(f"{message.body}\n\n{link}\n")
    context = ssl.create_default_context()
    client: smtplib.SMTP
    if smtp.security == "tls":
        client = smtplib.SMTP_SSL(smtp.host, smtp.port, timeout=smtp.timeout, context=context)
    else:
        client = smtplib.SMTP(smtp.host, smtp.port, timeout=smtp.timeout)
    with client:
        if smtp.security == "starttls":
            client.starttls(context=context)
        if smtp.username and smtp.password:
            client.login(smtp.username, smtp.password)
        client.send_message(mail)


def send_push(settings: HubSettings, sub: PushSubscription, message: Message,
              link: str) -> bool:
    """Push one notification; False when the push service says the subscription is gone."""
    push = settings.push
    if push is None:
        return True
    from py_vapid import Vapid
    from pywebpush import WebPushException, webpush

    data = json.dumps({"title": message.title, "body": message.body, "url": link})
    try:
        webpush({"endpoint": sub.endpoint, "keys": {"p256dh": sub.p256dh, "auth": sub.auth}},
                data=data, vapid_private_key=Vapid.from_pem(push.private_key_pem.encode()),
                vapid_claims={"sub": push.subject}, ttl=24 * 3600, timeout=10)
    except WebPushException as exc:
        status = exc.response.status_code if exc.response is not None else None
        if status in (404, 410):
            return False
        raise
    return True


class Notifier:
    """Sends notifications on a background thread so that no upload waits for SMTP or push."""

    def __init__(self, db: Database, settings: HubSettings) -> None:
        self.db = db
        self.settings = settings
        self._lock = threading.Lock()
        self._threads: list[threading.Thread] = []

    @property
    def enabled(self) -> bool:
        """Whether any channel is configured."""
        return self.settings.smtp is not None or self.settings.push is not None

    def _link(self, path: str) -> str:
        base = (self.settings.public_url or "").rstrip("/")
        return f"{base}{path}" if base else path

    def _later(self, job: Callable[[], None]) -> None:
        def run() -> None:
            try:
                job()
            except Exception:  # a notification that fails must never break the hub
                log.exception("sending a notification failed")

        thread = threading.Thread(target=run, name="hub-notify", daemon=True)
        with self._lock:
            self._threads = [t for t in self._threads if t.is_alive()] + [thread]
        thread.start()

    def join(self, timeout: float = 30.0) -> None:
        """Wait for notifications in flight (tests, shutdown)."""
        with self._lock:
            threads = list(self._threads)
        for thread in threads:
            thread.join(timeout)

    def child_asked(self, request_id: int) -> None:
        """A child asked for more time: tell the family's parents (in the background)."""
        if self.enabled:
            self._later(lambda: self._send_request(request_id))

    def _send_request(self, request_id: int) -> None:
        with self.db.begin() as s:
            row = s.get(ChildRequest, request_id)
            if row is None:
                return
            device = s.get(Device, row.device_id)
            name = device.name if device else "?"
            family_id, child, minutes, target, note = (row.family_id, row.child, row.minutes,
                                                       row.target, row.message)
        self._deliver(family_id, lambda lang: _request_message(lang, child, minutes, target,
                                                               name, note))

    def check_silent(self, now: datetime) -> int:
        """Alert once per silence for devices (with an active consent) gone quiet; how many."""
        if not self.enabled:
            return 0
        cutoff = now - self.settings.silent_after
        with self.db.begin() as s:
            quiet = s.execute(
                select(Device).where(Device.last_seen_at < cutoff, Device.id.in_(
                    select(Consent.device_id).where(Consent.withdrawn_at.is_(None))))
            ).scalars().all()
            claimed: list[tuple[int, str, datetime]] = []
            for device in quiet:
                seen = device.last_seen_at
                new = insert_ignore(s, SilenceAlert, {"device_id": device.id,
                                                      "last_seen_at": seen, "alerted_at": now})
                if not new:
                    # One UPDATE claims the alert, so two hub processes never both send it.
                    won = s.execute(update(SilenceAlert).where(
                        SilenceAlert.device_id == device.id,
                        SilenceAlert.last_seen_at != seen).values(
                            last_seen_at=seen, alerted_at=now)
                        .returning(SilenceAlert.device_id)).first()
                    if won is None:
                        continue
                assert seen is not None
                claimed.append((device.family_id, device.name, seen))
        for family_id, name, seen in claimed:
            minutes = max(1, int((now - seen) / timedelta(minutes=1)))
            self._deliver(family_id, partial(_silent_message, device=name, minutes=minutes))
        return len(claimed)

    def _deliver(self, family_id: int, build: Callable[[str], Message]) -> None:
        with self.db.begin() as s:
            parents = s.execute(select(Parent.id, Parent.email, ParentPrefs.lang)
                                .outerjoin(ParentPrefs, ParentPrefs.parent_id == Parent.id)
                                .where(Parent.family_id == family_id)).all()
            subs = s.execute(select(PushSubscription).where(
                PushSubscription.family_id == family_id)).scalars().all()
        if self.settings.smtp is not None:
            for _pid, email, lang in parents:
                message = build(lang or "vi")
                try:
                    send_email(self.settings, email, message, self._link(message.path))
                except (OSError, smtplib.SMTPException):
                    log.warning("e-mail to a parent of family %s failed", family_id,
                                exc_info=True)
        gone: list[int] = []
        for sub in subs:
            message = build(sub.lang)
            try:
                if not send_push(self.settings, sub, message, self._link(message.path)):
                    gone.append(sub.id)
            except Exception:  # the push service's failures are logged, never raised
                log.warning("web push to a parent of family %s failed", family_id, exc_info=True)
        if gone:
            with self.db.begin() as s:
                s.execute(delete(PushSubscription).where(PushSubscription.id.in_(gone)))
