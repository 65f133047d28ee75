"""The event log in words: one translated line per ledger event."""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from agent.dashboard.language import _
from agent.dashboard.views import limit_title
from agent.i18n import formatting as fmt
from agent.ledger.store import Event, EventKind
from rules.limits import ALL, limit_kind
from rules.model import Config

__all__ = ["LogLine", "describe", "log_lines"]


@dataclass(frozen=True)
class LogLine:
    """One event as the log page shows it."""

    time: str
    child: str
    text: str
    actor: str
    kind: str  # "alert" for things a parent should look at, else "info"


def _target(config: Config, target: str | None) -> str:
    if not target or target == ALL:
        return _("all limits")
    kind = limit_kind(config, target)
    app, cat = config.app(target), config.category(target)
    return limit_title(config, target, kind, app.title if app else cat.title if cat else target)


def _minutes(value: Any) -> str:
    try:
        return fmt.duration(int(value) * 60)
    except (TypeError, ValueError):
        return "?"


def _pin(kind: str, d: Mapping[str, Any]) -> str:
    result = d.get("result")
    if kind == EventKind.PIN_TRY:
        if result == "ok":
            return _("Parent PIN entered correctly.")
        if result == "locked" and d.get("count", 1) != 1:
            return _(
                "Parent PIN refused {count} times: locked for {seconds} s after wrong tries."
            ).format(count=d.get("count"), seconds=d.get("seconds_left", "?"))
        if result == "locked":
            return _("Parent PIN refused: locked for {seconds} s after wrong tries.").format(
                seconds=d.get("seconds_left", "?")
            )
        return _("Wrong parent PIN (wrong tries in a row: {count}).").format(
            count=d.get("failures", "?")
        )
    if kind == EventKind.PIN_SET:
        return _("Parent PIN set.") if result == "ok" else _("Parent PIN change refused.")
    if kind == EventKind.PIN_ADMIN_RESET:
        return _("Parent PIN reset by the administrator.")
    return _("Parent PIN: {what}").format(what=kind.removeprefix("pin."))


def _rules_changed(config: Config, d: Mapping[str, Any]) -> str:
    """What a parent changed in the rules, from the event's detail."""
    if "key" in d and "child" in d:
        limit = _target(config, str(d["key"]))
        if d.get("limit") is None:
            return _("Limit removed: {limit} for {child}.").format(limit=limit, child=d["child"])
        return _("Limit changed: {limit} for {child}.").format(limit=limit, child=d["child"])
    simple = {
        "child_added": _("Child added: {child}."),
        "child_removed": _("Child removed: {child}."),
        "app_added": _("App added: {app}."),
        "app_removed": _("App removed: {app}."),
        "category_added": _("Category added: {title}."),
        "category": _("Category renamed: {title}."),
        "always_allowed": _("Always-allowed apps changed for {child}."),
    }
    for key, text in simple.items():
        if key in d:
            value = d.get("child", "") if key == "always_allowed" else d[key]
            if key.startswith("category"):
                value = d.get("title") or value
            return text.format(child=value, app=value, title=value)
    if "child" in d:
        return _("Details of {child} changed.").format(child=d["child"])
    return _("Rules changed.")


def _tampered(what: object) -> str:
    """The thing a tamper event names, in the reader's language."""
    names = {
        "config": _("the rules file"),
        "ledger": _("the usage ledger"),
        "permissions": _("the permissions of PlayClock's files"),
    }
    return names.get(str(what), str(what) if what else "?")


def describe(event: Event, config: Config) -> str:
    """A sentence for an event."""
    d = event.detail
    k = event.kind
    if k.startswith("pin."):
        return _pin(k, d)
    target = _target(config, event.target)
    texts: dict[str, Any] = {
        EventKind.AGENT_START: lambda: _("PlayClock started."),
        EventKind.AGENT_STOP: lambda: _("PlayClock stopped."),
        EventKind.GAP: lambda: _("PlayClock was not running for {time}.").format(
            time=fmt.duration(d.get("seconds", 0))
        ),
        EventKind.WATCH_FAILED: lambda: _("PlayClock could not see the running programs."),
        EventKind.API_UNAVAILABLE: lambda: _(
            "The local API could not listen on {listen}; the limits are still enforced."
        ).format(listen=d.get("listen", "?")),
        EventKind.CLOCK_JUMP: lambda: _("The computer's clock was changed by {time}.").format(
            time=fmt.duration(abs(d.get("seconds", 0)))
        ),
        EventKind.TAMPER: lambda: _("Possible tampering: {what} changed outside PlayClock.").format(
            what=_tampered(d.get("what"))
        ),
        EventKind.CONFIG_LOADED: lambda: _("Rules loaded."),
        EventKind.CONFIG_REJECTED: lambda: _("Rules file rejected: it has errors."),
        EventKind.RULES_CHANGED: lambda: _rules_changed(config, d),
        EventKind.RELOAD: lambda: _("Rules reloaded."),
        EventKind.WARNING: lambda: _("Warning: {minutes} left on {limit}.").format(
            minutes=_minutes(d.get("minutes")), limit=target
        ),
        EventKind.REMINDER: lambda: _("Health reminder: {minutes} of {limit} so far.").format(
            minutes=_minutes(d.get("minutes")), limit=target
        ),
        EventKind.CLOSE: lambda: (
            _("{app} closed: time is up.")
            if d.get("reason") == "budget"
            else _("{app} closed: outside allowed hours.")
        ).format(app=target),
        EventKind.KILL: lambda: _("A program that did not close was stopped."),
        EventKind.GRANT: lambda: _("{minutes} of bonus time on {limit}.").format(
            minutes=_minutes(d.get("minutes")), limit=target
        ),
        EventKind.PAUSE: lambda: _("Limits paused for today."),
        EventKind.RESUME: lambda: _("Limits apply again."),
        EventKind.REQUEST: lambda: _("Asked for {minutes} more.").format(
            minutes=_minutes(d.get("minutes"))
        ),
        EventKind.REQUEST_ANSWERED: lambda: (
            _("Request approved: {minutes} more.").format(minutes=_minutes(d.get("minutes")))
            if d.get("approved")
            else _("Request denied.")
        ),
        EventKind.PIN_CHANGED: lambda: _("Parent PIN changed."),
        EventKind.SYNC_CONSENT: lambda: _(
            "Consent to share summaries recorded for {child}."
        ).format(child=event.child or d.get("child", "")),
        EventKind.SYNC_PAIRED: lambda: _("Sync with the family hub turned on."),
        EventKind.SYNC_WITHDRAWN: lambda: _(
            "Sync turned off; the hub was asked to delete this computer's data."
        ),
        EventKind.SYNC_REVOKED: lambda: _(
            "Sync stopped: the family hub no longer accepts this computer."
        ),
        EventKind.SYNC_CONSENT_WITHDRAWN: lambda: _(
            "Consent to share withdrawn for {child}."
        ).format(child=event.child or d.get("child", "")),
    }
    make = texts.get(k)
    return str(make()) if make else _("Event: {kind}").format(kind=k)


_ALERTS = {
    "tamper", "clock_jump", "gap", "config_rejected", "kill", "watch_failed", "api_unavailable"
}


def _actor(actor: str) -> str:
    return {
        "parent": _("parent"),
        "child": _("child"),
        "agent": _("PlayClock"),
        "pin": _("PIN check"),
        "sync": _("family sync"),
    }.get(actor, _("parent, from the family hub") if actor.startswith("hub:") else actor)


def log_lines(events: list[Event], config: Config, tz: dt.tzinfo) -> list[LogLine]:
    """The log page's lines, oldest first."""
    out = []
    for e in events:
        alert = e.kind in _ALERTS or (
            e.kind == EventKind.PIN_TRY and e.detail.get("result") in ("wrong", "locked")
        )
        out.append(
            LogLine(
                fmt.time_short(e.ts.astimezone(tz)),
                e.child or "",
                describe(e, config),
                _actor(e.actor),
                "alert" if alert else "info",
            )
        )
    return out
