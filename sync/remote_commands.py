"""Parent commands from the hub (grant, set_limit, answer_request) applied through the agent."""

from __future__ import annotations

import datetime as dt
from dataclasses import replace
from typing import Any, Literal, Protocol

from agent.ledger.store import EventKind, EventLog, Request
from rules.model import Config, LimitSpec
from rules.timeutil import parse_window
from sync.state import SyncState

__all__ = ["AgentActions", "CommandLedger", "Outcome", "actor_for", "apply_command"]

Outcome = Literal["applied", "rejected"] | None  # None: not yet (e.g. a grant for tomorrow)


class AgentActions(Protocol):
    """What sync asks of the running agent (agent.service.agent.Agent fits)."""

    config: Config

    def grant(self, child: str, target: str, minutes: int, actor: str) -> object:
        """Bonus minutes for today on a limit key."""

    def set_limit(self, child: str, key: str, spec: LimitSpec | None, actor: str) -> None:
        """Change one of a child's limits."""

    def answer(
        self, request_id: int, approve: bool, minutes: int | None, actor: str
    ) -> dict[str, Any]:
        """Approve or deny a child's request."""

    def pause(self, child: str, paused: bool, actor: str) -> None:
        """Pause (or resume) a child's limits for the rest of today."""

    def log(self, kind: str, detail: dict[str, Any], actor: str = "agent") -> None:
        """Record an event."""


class CommandLedger(EventLog, Protocol):
    """What is read to make applying a command idempotent."""

    def requests(self, state: str | None = None) -> list[Request]:
        """Requests, newest first."""


_PAUSE_FRESH = dt.timedelta(hours=18)  # a pause "for today" older than this is stale


def actor_for(command_id: int) -> str:
    """The actor recorded with a command's effect: "hub:<id>" (the parent, via the hub)."""
    return f"hub:{command_id}"


def _logged(ledger: CommandLedger, kind: str, actor: str, since: dt.datetime) -> bool:
    """Whether an event of this kind by this actor is in the log since `since`."""
    after = 0
    while True:
        page = ledger.events(since, None, after_id=after, limit=1000)
        if any(e.kind == kind and e.actor == actor for e in page):
            return True
        if len(page) < 1000:
            return False
        after = page[-1].id


def _created(command: dict[str, Any]) -> dt.datetime:
    try:
        when = dt.datetime.fromisoformat(str(command.get("created_at", "")).replace("Z", "+00:00"))
    except ValueError:
        when = dt.datetime.now(dt.UTC) - dt.timedelta(days=31)
    return when - dt.timedelta(days=1)  # device and hub clocks may disagree


def _grant(
    actions: AgentActions, ledger: CommandLedger, command: dict[str, Any], today: dt.date
) -> Outcome:
    p = command["payload"]
    day = p.get("day")
    if day is not None:
        when = dt.date.fromisoformat(str(day))
        if when < today:
            return "rejected"  # that day is over here
        if when > today:
            return None  # apply it when that day comes
    actor = actor_for(int(command["id"]))
    if _logged(ledger, "grant", actor, _created(command)):
        return "applied"  # applied before a crash lost our note of it
    actions.grant(str(p["child"]), str(p["target"]), int(p["minutes"]), actor)
    return "applied"


def _set_limit(actions: AgentActions, command: dict[str, Any]) -> Outcome:
    p = command["payload"]
    child, key, minutes = str(p["child"]), str(p["key"]), int(p["daily_minutes"])
    kid = actions.config.child(child)
    if kid is None:
        return "rejected"
    current = kid.effective_limits().get(key)
    # A new daily budget for every day; allowed windows and reminders are kept.
    spec = (
        replace(current, daily=minutes, weekend=None, days=())
        if current is not None
        else LimitSpec(key=key, daily=minutes)
    )
    actions.set_limit(kid.name, key, spec, actor_for(int(command["id"])))
    return "applied"


def _pause(actions: AgentActions, command: dict[str, Any], now: dt.datetime) -> Outcome:
    p = command["payload"]
    created = _created(command) + dt.timedelta(days=1)  # _created() allowed a day of skew
    if now.astimezone(dt.UTC) - created > _PAUSE_FRESH:
        return "rejected"  # "for today" was a day that has passed
    actions.pause(str(p["child"]), bool(p.get("paused", True)), actor_for(int(command["id"])))
    return "applied"


def _set_hours(actions: AgentActions, command: dict[str, Any]) -> Outcome:
    p = command["payload"]
    child, key = str(p["child"]), str(p["key"])
    windows = tuple(parse_window(str(w)) for w in p["allowed"])
    kid = actions.config.child(child)
    if kid is None or any(w is None for w in windows):
        return "rejected"
    allowed = tuple(w for w in windows if w is not None)
    current = kid.effective_limits().get(key)
    # The same allowed hours every day; budgets and reminders are kept.
    spec = (
        replace(current, allowed=allowed, allowed_weekend=None, allowed_days=())
        if current is not None
        else LimitSpec(key=key, allowed=allowed)
    )
    actions.set_limit(kid.name, key, spec, actor_for(int(command["id"])))
    return "applied"


def _answer(
    actions: AgentActions, ledger: CommandLedger, state: SyncState, command: dict[str, Any]
) -> Outcome:
    p = command["payload"]
    link = state.requests.get(str(p.get("client_request_id", "")))
    if link is None:
        return "rejected"
    local = int(link["local"])
    approve = bool(p["approve"])
    minutes = p.get("minutes")
    try:
        actions.answer(local, approve, int(minutes) if approve and minutes else None,
                       actor_for(int(command["id"])))
    except ValueError:
        # Answered already: by us before a crash (same answer), or by a parent at this PC.
        done = next((r for r in ledger.requests() if r.id == local), None)
        same = done is not None and done.state == ("approved" if approve else "denied")
        return "applied" if same else "rejected"
    return "applied"


def apply_command(
    actions: AgentActions,
    ledger: CommandLedger,
    state: SyncState,
    command: dict[str, Any],
    today: dt.date,
    now: dt.datetime | None = None,
) -> Outcome:
    """Carry out one command: "applied", "rejected" (unknown child, target…), or None (later)."""
    kind = command.get("type")
    payload = command.get("payload") or {}
    child = payload.get("child")
    steered = ("grant", "set_limit", "pause", "set_hours")
    if kind in steered and (child is None or state.consent_for(str(child)) is None):
        return "rejected"  # only children shared under a consent are steered from the hub
    try:
        if kind == EventKind.GRANT:
            return _grant(actions, ledger, command, today)
        if kind == "set_limit":
            return _set_limit(actions, command)
        if kind == "answer_request":
            return _answer(actions, ledger, state, command)
        if kind == "pause":
            return _pause(actions, command, now or dt.datetime.now(dt.UTC))
        if kind == "set_hours":
            return _set_hours(actions, command)
    except ValueError:  # AgentError is a ValueError: unknown child, target or key
        return "rejected"
    except (KeyError, TypeError):
        return "rejected"  # a payload this agent does not understand
    except OSError:
        return None  # the rules file could not be written now: try again next run
    return "rejected"
