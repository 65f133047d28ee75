"""The ledger's interface: what is recorded (usage, events, requests) and the store protocol."""

from __future__ import annotations

import datetime as dt
import enum
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Protocol

from agent.ledger.limits import DayLimits, LimitRecord

if TYPE_CHECKING:  # types only: the tray imports EventKind without the rules' model
    from rules.model import DayState, LimitKind

__all__ = [
    "Event",
    "EventKind",
    "EventLog",
    "Identity",
    "Ledger",
    "LedgerError",
    "Request",
    "UsageRecord",
]


UsageRecord = tuple[dt.date, str, "LimitKind", str]  # (day, child, kind, id)


class LedgerError(RuntimeError):
    """The ledger could not be opened or written."""


class EventKind(enum.StrEnum):
    """Every kind of event the ledger records (the values are what the ledger stores)."""

    AGENT_START = "agent_start"  # the agent started
    AGENT_STOP = "agent_stop"  # the agent stopped cleanly
    GAP = "gap"  # time the agent was not running (or not watching: detail "reason")
    WATCH_FAILED = "watch_failed"  # the processes could not be listed (once per episode)
    API_UNAVAILABLE = "api_unavailable"  # the local API could not listen (it keeps trying)
    CLOCK_JUMP = "clock_jump"  # the system clock was moved
    TAMPER = "tamper"  # rules, ledger or permissions changed outside PlayClock
    CONFIG_LOADED = "config_loaded"  # rules (re)loaded
    CONFIG_REJECTED = "config_rejected"  # a broken rules file was refused
    RULES_CHANGED = "rules_changed"  # a parent changed the rules
    RELOAD = "reload"  # a parent asked for the rules to be read again
    WARNING = "warning"  # time is nearly up on a limit
    REMINDER = "reminder"  # a health reminder
    CLOSE = "close"  # an app was asked to close
    KILL = "kill"  # an app that did not close was killed
    SCREEN_COUNTDOWN = "screen_countdown"  # the last minute of `screen` began
    SCREEN_LOCK = "screen_lock"  # a child's session was locked (`screen` blocked)
    SCREEN_LOGOUT = "screen_logout"  # a child's session was logged out (forced: killed)
    SCREEN_BLOCKED = "screen_blocked"  # `screen` blocked with screen_action "notify"
    GRANT = "grant"  # bonus time
    PAUSE = "pause"  # limits paused for today
    RESUME = "resume"  # limits apply again
    REQUEST = "request"  # a child asked for more time
    REQUEST_ANSWERED = "request_answered"  # a parent answered a request
    PIN_CHANGED = "pin_changed"  # the PIN changed through the API
    PIN_SET = "pin.set"  # the PIN was set
    PIN_TRY = "pin.try"  # a PIN was tried
    PIN_VERIFY = "pin.verify"  # a PIN check (CLI)
    PIN_ADMIN_RESET = "pin.admin_reset"  # an administrator removed the PIN
    PIN_DAMAGED = "pin.damaged"  # the stored PIN hash was damaged
    PIN_REHASH = "pin.rehash"  # the PIN hash got stronger parameters
    SYNC_CONSENT = "sync_consent"  # consent to share recorded
    SYNC_PAIRED = "sync_paired"  # paired with a family hub
    SYNC_WITHDRAWN = "sync_withdrawn"  # sync turned off
    SYNC_REVOKED = "sync_revoked"  # the hub no longer accepts this computer
    SYNC_CONSENT_WITHDRAWN = "sync_consent_withdrawn"  # one child's consent withdrawn
    # Not in the ledger: on the event stream only, the trays' cue to fetch the status again
    # (a child's running apps, a limit's state or the minutes left changed).
    STATUS = "status"


@dataclass(frozen=True)
class Event:
    """One line of the event log."""

    kind: str  # an EventKind value
    ts: dt.datetime
    day: dt.date | None = None
    child: str | None = None
    target: str | None = None
    detail: Mapping[str, Any] = field(default_factory=dict)
    actor: str = "agent"
    id: int = 0

    def as_json(self) -> dict[str, Any]:
        """A JSON-ready dict."""
        return {
            "id": self.id,
            "kind": self.kind,
            "ts": self.ts.isoformat(timespec="seconds"),
            "day": self.day.isoformat() if self.day else None,
            "child": self.child,
            "target": self.target,
            "detail": dict(self.detail),
            "actor": self.actor,
        }


@dataclass(frozen=True)
class Identity:
    """The content identity of an app's executable: a file with this digest is that app."""

    digest: str
    size: int
    app: str
    exe: str = ""  # where it was first seen


@dataclass(frozen=True)
class Request:
    """A child's request for more time."""

    id: int
    ts: dt.datetime
    child: str
    minutes: int
    message: str
    state: str = "pending"  # pending | approved | denied
    answered_minutes: int | None = None

    def as_json(self) -> dict[str, Any]:
        """A JSON-ready dict."""
        return {
            "id": self.id,
            "ts": self.ts.isoformat(timespec="seconds"),
            "child": self.child,
            "minutes": self.minutes,
            "message": self.message,
            "state": self.state,
            "answered_minutes": self.answered_minutes,
        }


class EventLog(Protocol):
    """What reads the event log (sync's summaries and commands need no more than this)."""

    def events(
        self,
        since: dt.datetime | None = None,
        until: dt.datetime | None = None,
        after_id: int = 0,
        limit: int = 1000,
    ) -> list[Event]:
        """Events in time order, optionally in a time range or after an id."""


class Ledger(EventLog, Protocol):
    """What the agent, reports and sync need from storage."""

    def add_usage(self, records: Mapping[UsageRecord, float]) -> None:
        """Add seconds (buffered until `flush`)."""

    def flush(self) -> None:
        """Make everything added so far durable."""

    def load_day(self, day: dt.date) -> DayState:
        """The day's usage, bonus, pauses and warnings fired so far."""

    def usage(self, first: dt.date, last: dt.date) -> dict[UsageRecord, float]:
        """Usage of the days from `first` to `last` inclusive."""

    def add_event(self, event: Event) -> int:
        """Log an event; returns its id."""


    def add_grant(self, day: dt.date, child: str, target: str, seconds: float) -> None:
        """Bonus seconds for a child's limit (or "*") on a day."""

    def set_paused(self, day: dt.date, child: str, paused: bool) -> None:
        """Pause or resume a child's limits for a day."""

    def mark_warned(self, day: dt.date, child: str, key: str, minutes: int) -> None:
        """Remember a warning threshold fired."""

    def add_request(self, ts: dt.datetime, child: str, minutes: int, message: str) -> Request:
        """Record a child's request for more time."""

    def requests(self, state: str | None = None) -> list[Request]:
        """Requests, newest first, optionally of one state."""

    def answer_request(self, request_id: int, approve: bool, minutes: int | None) -> Request:
        """Approve or deny a pending request (KeyError when unknown or answered)."""

    def record_limits(self, day: dt.date, limits: LimitRecord) -> None:
        """Replace the day's budgets of the children given: (child, key) -> (kind, seconds)."""

    def day_limits(self, first: dt.date, last: dt.date) -> DayLimits:
        """Budgets recorded for the days from `first` to `last`: (day, child, key) -> (kind, s)."""

    def trim_events(self, prefix: str, keep: int) -> int:
        """Delete all but the newest `keep` events whose kind starts with prefix; how many."""

    def add_identity(self, identity: Identity, ts: dt.datetime) -> None:
        """Remember an executable's identity (a digest already known keeps its app)."""

    def identities(self) -> list[Identity]:
        """Every remembered identity."""

    def get_meta(self, key: str) -> str | None:
        """A small stored value (heartbeat, lockout, sync state)."""

    def set_meta(self, key: str, value: str) -> None:
        """Store a small value durably."""

    def close(self) -> None:
        """Flush and release."""
