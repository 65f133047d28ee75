"""Notifications: the agent's events turned into messages, and a thread that polls for them."""

from __future__ import annotations

import datetime as dt
import logging
import threading
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any, Protocol

from agent.api_client import AgentUnavailable, ApiRefused
from agent.i18n import _, current
from agent.i18n.formatting import date_short, duration, time_left, time_short
from agent.i18n.titles import limit_title
from agent.ledger.store import EventKind
from rules.keys import BUILTIN_CATEGORIES, SCREEN, TOTAL

__all__ = [
    "REMINDER_EN",
    "REMINDER_VI",
    "EventPoller",
    "EventSource",
    "Notice",
    "notice_for",
    "reminder_text",
]

log = logging.getLogger("playclock.tray")

# Decree 147/2024/NĐ-CP, Art. 39(1)(g) prescribes these exact Vietnamese words, so they
# are never left to a translation catalogue that might be missing or reworded.
REMINDER_VI = "Chơi quá 180 phút một ngày sẽ ảnh hưởng xấu đến sức khỏe"
REMINDER_EN = "Playing more than 180 minutes a day harms your health"


@dataclass(frozen=True)
class Notice:
    """One notification: a title, a line or two of text, and the event kind behind it."""

    title: str
    text: str
    kind: str


def reminder_text() -> str:
    """The Decree 147 health reminder in the current language."""
    return REMINDER_VI if current() == "vi" else _(REMINDER_EN)


def _opens_again(until: str | None, today: dt.date | None) -> str:
    if not until:
        return _("It stays closed for the rest of today.")
    moment = dt.datetime.fromisoformat(until)
    if today is not None and moment.date() > today + dt.timedelta(days=1):
        return _("It opens again on {date} at {time}.").format(
            date=date_short(moment.date()), time=time_short(moment)
        )
    return _("It opens again at {time}.").format(time=time_short(moment))


def _limit_title(key: str | None, recorded: str | None, names: Mapping[str, str]) -> str:
    """A limit's title in the tray's language, translated here (events record English).

    "Total" in an event becomes "Tổng thời gian sử dụng" in a Vietnamese tray; a built-in
    category's title is translated too; a parent's own titles stay as they are.
    """
    ident = key or ""
    title = recorded or names.get(ident) or ident
    if ident == TOTAL:
        kind = "total"
    elif ident in BUILTIN_CATEGORIES:
        kind = "category"
    else:
        kind = "app"
    return limit_title(kind, ident, title)


def _usable(gave: str, detail: Mapping[str, Any], names: Mapping[str, str]) -> str:
    """The grant's words, and what of it the child can really use when a limit caps it."""
    by = detail.get("limited_by")
    if not by or "usable_seconds" not in detail:
        return gave
    limit = _limit_title(by, None, names)
    usable = int(detail["usable_seconds"])
    if usable <= 0:
        but = _("But {limit} does not allow it now, so you cannot use it yet.")
        return f"{gave} {but.format(limit=limit)}"
    but = _("But because of {limit} you can only use {time} of it today.")
    left = time_left(usable)  # rounded up, as the tray's ring shows time left
    return f"{gave} {but.format(limit=limit, time=left)}"


def notice_for(
    event: Mapping[str, Any],
    child: str | None,
    titles: Mapping[str, str] | None = None,
    today: dt.date | None = None,
) -> Notice | None:
    """The notification an event deserves for this child's tray, or None."""
    kind = event.get("kind")
    if event.get("child") not in (None, child):
        return None
    detail = event.get("detail") or {}
    names = titles or {}
    target = event.get("target")
    if kind == EventKind.WARNING:
        title = _limit_title(target, detail.get("title"), names)
        return Notice(
            _("Time is almost up"),
            _("{limit}: {left} left. Save what you are doing.").format(
                limit=title,
                left=time_left(detail.get("left_seconds", detail.get("minutes", 0) * 60)),
            ),
            kind,
        )
    if kind == EventKind.CLOSE:
        app = detail.get("app_title") or names.get(target or "", target or _("An app"))
        limit = _limit_title(detail.get("limit") or target, None, names)
        if detail.get("reason") == "window":
            why = _("{limit} is not allowed at this time of day.").format(limit=limit)
        elif (detail.get("limit") or target) == SCREEN:
            why = _("Your computer time for today is used up.")
        else:
            why = _("Today's time for {limit} is used up.").format(limit=limit)
        return Notice(
            _("{app} was closed").format(app=app),
            f"{why} {_opens_again(detail.get('until'), today)}",
            kind,
        )
    if kind == EventKind.SCREEN_COUNTDOWN and event.get("child") == child:
        seconds = int(detail.get("left_seconds") or 60)
        action = detail.get("action")
        if action == "logout":
            text = _("You will be signed out in {seconds} s. Save your work now.")
        elif action == "notify":
            text = _("Computer time runs out in {seconds} s.")
        elif action == "close":
            text = _("Your games and apps close in {seconds} s. Save your work now.")
        else:
            text = _("The screen locks in {seconds} s. Save your work now.")
        return Notice(_("Computer time is almost up"), text.format(seconds=seconds), kind)
    if kind == EventKind.SCREEN_BLOCKED and event.get("child") == child:
        return Notice(
            _("Computer time is used up"),
            _("Your parents will see the time you use from now on."),
            kind,
        )
    if kind == EventKind.REMINDER:
        return Notice(_("Health reminder"), reminder_text(), kind)
    if kind == EventKind.GRANT and event.get("child") == child:
        minutes = int(detail.get("minutes") or 0)
        if minutes <= 0:
            return None
        gave = _("A parent gave you {time} more today.").format(time=duration(minutes * 60))
        return Notice(_("More time"), _usable(gave, detail, names), kind)
    if kind == EventKind.PAUSE and event.get("child") == child:
        return Notice(_("Limits paused"), _("A parent paused your limits for today."), kind)
    if kind == EventKind.RESUME and event.get("child") == child:
        return Notice(_("Limits resumed"), _("Your time limits count again."), kind)
    if kind == EventKind.REQUEST_ANSWERED and event.get("child") == child:
        if detail.get("approved"):
            minutes = int(detail.get("minutes") or 0)
            gave = _("You got {time} more.").format(time=duration(minutes * 60))
            return Notice(_("Request approved"), _usable(gave, detail, names), kind)
        return Notice(_("Request answered"), _("A parent said no this time."), kind)
    return None


class EventSource(Protocol):
    """The part of the agent client the poller uses."""

    def events(self, after: int, wait: float = 0, run: str | None = None) -> dict[str, Any]: ...


class EventPoller(threading.Thread):
    """Long-polls the agent's events and hands each to `on_event` (daemon thread)."""

    def __init__(
        self,
        client: EventSource,
        on_event: Callable[[dict[str, Any]], None],
        stop: threading.Event,
        wait: float = 25.0,
        retry: float = 5.0,
    ) -> None:
        super().__init__(name="playclock-tray-events", daemon=True)
        self.client = client
        self.on_event = on_event
        self.stop = stop
        self.wait = wait
        self.retry = retry
        self.after: int | None = None  # None: start from now, skipping the history
        self.agent_run: str | None = None  # the agent's run `after` belongs to

    def poll_once(self) -> None:
        """One round: fetch what is new and hand it on; errors wait `retry` seconds."""
        try:
            if self.after is None:
                first = self.client.events(0)
                self.after, self.agent_run = int(first["last"]), first.get("run")
                return
            answer = self.client.events(self.after, wait=self.wait, run=self.agent_run)
        except (AgentUnavailable, ApiRefused, KeyError, ValueError) as exc:
            log.debug("events: %s", exc)
            self.stop.wait(self.retry)
            return
        last = int(answer.get("last", self.after))
        run = answer.get("run")
        # A restarted agent: every event of its run is new here (a game it closed at once).
        restarted = run is not None and self.agent_run is not None and run != self.agent_run
        self.agent_run = run if run is not None else self.agent_run
        for event in answer.get("events", []):
            if restarted or int(event.get("seq", 0)) > self.after:
                try:
                    self.on_event(event)
                except Exception:  # one bad event must not end the notifications
                    log.exception("event %r", event)
        # A restarted agent counts from 1 again: follow it down.
        self.after = last

    def run(self) -> None:
        """Poll until stopped."""
        while not self.stop.is_set():
            self.poll_once()
