"""What each menu action does, through the agent's local API; parent actions ask for the PIN."""

from __future__ import annotations

import datetime as dt
import logging
import time
from collections.abc import Callable
from typing import Any, Protocol

from agent.api_client import AgentUnavailable, ApiRefused
from agent.i18n import _
from agent.i18n.formatting import duration
from agent.i18n.limit_text import capped_note
from agent.ledger.store import EventKind
from tray import model

__all__ = ["SESSION_SECONDS", "Actions", "Client", "Ui", "about_text", "help_111_text", "tips_text"]

log = logging.getLogger("playclock.tray")

# The agent's sessions last 15 minutes; stop trusting ours a little before that.
SESSION_SECONDS = 15 * 60 - 30


class Client(Protocol):
    """The part of `agent.api_client.AgentClient` the actions use."""

    token: str | None

    def login(self, pin: str) -> None: ...
    def logout(self) -> None: ...
    def grant(self, child: str, target: str, minutes: int, pin: str | None = None) -> Any: ...
    def pause(self, child: str, paused: bool, pin: str | None = None) -> Any: ...
    def set_limit(
        self,
        child: str,
        key: str,
        daily: int | None,
        allowed: list[str] | None = None,
        pin: str | None = None,
    ) -> Any: ...
    def ask(self, child: str, minutes: int, message: str = "") -> Any: ...
    def status(self) -> dict[str, Any]: ...


class Ui(Protocol):
    """What the actions need from the screen: dialogs, messages, notifications, a browser."""

    def ask_pin(self) -> str | None: ...
    def ask_more(self) -> tuple[int, str] | None: ...
    def message(self, title: str, text: str) -> None: ...
    def notify(self, title: str, text: str) -> None: ...
    def open_url(self, url: str) -> None: ...
    def refresh(self) -> None: ...


def help_111_text() -> str:
    """Where a child can get help: the national child protection hotline."""
    return "\n\n".join(
        (
            _(
                "Call 111 — Tổng đài quốc gia bảo vệ trẻ em "
                "(the national child protection hotline)."
            ),
            _("It is free, 24 hours a day, every day, from any phone."),
            _(
                "Call if someone hurts you, scares you or asks you for pictures or secrets, "
                "online or offline. You can also talk to them about anything that worries you."
            ),
            _("In an emergency, call 113 (police)."),
            "tongdai111.vn",
        )
    )


def tips_text() -> str:
    """A few short online-safety tips for children."""
    tips = (
        _("Keep your password, address, school and phone number to yourself."),
        _("People online are not always who they say they are."),
        _("Never meet someone you only know online without a parent."),
        _("Think before you post: pictures and messages can stay online forever."),
        _("If something online upsets or scares you, stop and tell an adult you trust."),
        _("You can call 111 for free at any time."),
    )
    return "\n".join(f"• {tip}" for tip in tips)


def about_text() -> str:
    """What is tracked, what is shared, and who set it up."""
    return "\n\n".join(
        (
            _("A parent set up PlayClock on this computer to help with screen time."),
            _(
                "What is tracked: which games and apps run on your account, and for how long, "
                "to count them against your daily limits."
            ),
            _(
                "What is not tracked: what you type or say, your screen, your messages, "
                "your photos or the websites you visit."
            ),
            _(
                "What is shared: nothing leaves this computer unless a parent turns on family "
                "sync, which sends only daily totals and needs your agreement too. The words you "
                "write when asking for more time are sent only if you agree to that as well."
            ),
            _("Questions? Talk to your parent. You can always see your time here."),
        )
    )


class Actions:
    """Runs action ids from the menu or the panel for one child."""

    def __init__(
        self,
        client: Client,
        ui: Ui,
        child: Callable[[], str | None],
        url: str,
        clock: Callable[[], float] = time.monotonic,
        verify: Callable[[], str | None] = lambda: None,
    ) -> None:
        self.client = client
        self.verify = verify  # why the PIN must not go to the agent's address now, if it must not
        self.ui = ui
        self.child = child
        self.url = url.rstrip("/")
        self.clock = clock
        self.titles: dict[str, str] = {}  # limit id -> title, kept fresh by the app
        self._session_until = 0.0

    @property
    def parent_active(self) -> bool:
        """Whether a parent session (from the PIN) is still open."""
        return self.client.token is not None and self.clock() < self._session_until

    def run(self, action: str) -> None:
        """Do what an action id says; failures become messages, never exceptions."""
        try:
            self._dispatch(action)
        except AgentUnavailable:
            self.ui.message(
                _("PlayClock"), _("The PlayClock agent is not running, so nothing was changed.")
            )
        except ApiRefused as exc:
            self.ui.message(_("PlayClock"), str(exc))
        except Exception:  # a tray must survive any one action going wrong
            log.exception("action %s failed", action)
            self.ui.message(_("PlayClock"), _("Something went wrong; nothing was changed."))
        finally:
            self.ui.refresh()

    def _dispatch(self, action: str) -> None:
        kind, _sep, rest = action.partition(":")
        child = self.child()
        if action == model.HELP_111:
            self.ui.message(_("Help: call 111"), help_111_text())
        elif action == model.HELP_TIPS:
            self.ui.message(_("Online safety tips"), tips_text())
        elif action == model.ABOUT:
            self.ui.message(_("About monitoring"), about_text())
        elif action == model.REFRESH:
            pass  # `run` refreshes after every action
        elif action == model.DASHBOARD:
            self.ui.open_url(self.url + "/")
        elif action == model.REPORT:
            self.ui.open_url(self.url + "/report")
        elif action == model.LOGOUT:
            self._session_until = 0.0
            self.client.logout()
        elif child is None:
            self.ui.message(_("PlayClock"), _("No child is set up yet"))
        elif action == model.ASK:
            self._ask(child)
        elif kind == EventKind.GRANT:
            self._grant(child, int(rest))
        elif action in (model.PAUSE, model.RESUME):
            self._pause(child, action == model.PAUSE)
        elif kind == "limit":
            key, _sep, minutes = rest.rpartition(":")
            self._set_limit(child, key, int(minutes))
        else:
            raise ValueError(f"unknown tray action {action!r}")

    def _ask(self, child: str) -> None:
        wish = self.ui.ask_more()
        if wish is None:
            return
        minutes, message = wish
        try:
            self.client.ask(child, minutes, message)
        except ApiRefused as exc:
            if exc.status == 429:
                self.ui.message(_("Ask for more time"), str(exc))
                return
            raise
        self.ui.notify(
            _("Request sent"),
            _("A parent will see that you asked for {time} more.").format(
                time=duration(minutes * 60)
            ),
        )

    # Grants and pauses are announced by the agent's own events (see tray.notify).
    def _grant(self, child: str, minutes: int) -> None:
        if self._as_parent(lambda: self.client.grant(child, "*", minutes)):
            self._note_cap(child, "*")

    def _note_cap(self, child: str, target: str) -> None:
        """Tell the parent when another limit keeps the granted time from being usable."""
        try:
            doc = self.client.status()
        except (AgentUnavailable, ApiRefused):
            return
        found = next((c for c in doc.get("children", []) if c["name"] == child), None)
        note = found and capped_note(found, target, dt.date.fromisoformat(doc["day"]))
        if note:
            self.ui.message(_("More time"), note)

    def _pause(self, child: str, paused: bool) -> None:
        self._as_parent(lambda: self.client.pause(child, paused))

    def _set_limit(self, child: str, key: str, minutes: int) -> None:
        if self._as_parent(lambda: self.client.set_limit(child, key, minutes)):
            self.ui.notify(
                _("Daily limit changed"),
                _("{limit}: {time} a day.").format(
                    limit=self.titles.get(key, key), time=duration(minutes * 60)
                ),
            )

    def _login(self) -> bool:
        pin = self.ui.ask_pin()
        if not pin:
            return False
        try:
            self.client.login(pin)
        except ApiRefused as exc:
            title = _("Parent PIN")
            if exc.status == 401:
                self.ui.message(title, _("Wrong PIN. Nothing was changed."))
            elif exc.status == 423:
                seconds = exc.retry_after or 60
                self.ui.message(
                    title,
                    _("Too many wrong PINs. Try again in {seconds} seconds.").format(
                        seconds=seconds
                    ),
                )
            else:
                self.ui.message(title, str(exc))
            return False
        self._session_until = self.clock() + SESSION_SECONDS
        return True

    def _as_parent(self, act: Callable[[], Any]) -> bool:
        """Run `act` in a parent session, asking for the PIN when there is none."""
        problem = self.verify()
        if problem:  # neither the PIN nor the session token goes to an impostor
            self.ui.message(_("Parent PIN"), problem)
            return False
        for attempt in (1, 2):
            if not self.parent_active and not self._login():
                return False
            try:
                act()
                return True
            except ApiRefused as exc:
                if exc.status != 401 or attempt == 2:
                    raise
                # The agent forgot the session (restart, PIN change): ask once more.
                self._session_until = 0.0
                self.client.token = None
        return False
